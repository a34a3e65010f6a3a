"""Payments, part 1: POST /v1/payments with every method and every sandbox token, as the desk and as the
patient would pay; the janitor resolving a charge whose answer was lost; ACH settling or returned as the
service clock moves; allocations oldest charge first; bad input refused with nothing written; one
Idempotency-Key under 50 concurrent requests; refunds and their limits. Every test that moves money ends
with the clinic's ledger summing to zero and each balance exact to the cent."""
import threading
import uuid

import pytest

from conftest import get_json, psql_as_service, request, sql, token, wait_until
from payments_helpers import (
    ACH_RETURNS_R01, ACH_SETTLES, DECLINED, EXPIRED, INSUFFICIENT_FUNDS, MASTERCARD, PROCESSING_ERROR,
    TIMEOUT_AFTER_CHARGE, VISA, assert_books_balanced, assert_error, balance, entries, get_payment,
    large_refund_threshold, let_background_work_run, moved_clock, new_patient, paid, pay, payment_body, payment_rows,
    payment_transfer_postings, post_charge, refund, restart_payments_if_stuck, sandbox_charges, scheduler_passes,
    usd, wait_payment_status)

FEE = 100_000


@pytest.fixture
def patient(clinic_id, publisher):
    """A patient who owes FEE (1,000.00) in the test's own clinic."""
    patient = new_patient()
    post_charge(publisher, clinic_id, patient, FEE)
    return patient


def assert_payment_entry(clinic, patient, payment_id, amount):
    """The account lists the payment: one entry of its transfer, taking `amount` off the balance."""
    shown = [e for e in entries(clinic, patient) if e["transferId"] == f"payment:{payment_id}"]
    assert len(shown) == 1, entries(clinic, patient)
    assert shown[0]["kind"] == "payment", shown
    assert shown[0]["amount"] == usd(-amount), shown


# ---------------------------------------------------------------- methods recorded at the desk

@pytest.mark.parametrize("method, extra", [
    ("cash", {}),
    ("check", {"reference": "check 1043"}),
    ("financing", {"financing": {"lender": "carecredit", "approvalReference": "CC-123"}}),
    ("financing", {"financing": {"lender": "sunbit", "approvalReference": "SB-77"}}),
], ids=["cash", "check", "financing-carecredit", "financing-sunbit"])
def test_desk_methods_are_recorded(clinic_id, patient, method, extra):
    answer = paid(clinic_id, payment_body(patient, 40_000, method, **extra))
    assert answer["status"] == "succeeded", answer
    assert answer["method"] == method and answer["patientId"] == patient, answer
    assert answer["amount"] == usd(40_000), answer
    if method == "check":
        assert answer["reference"] == "check 1043", answer
    assert balance(clinic_id, patient) == FEE - 40_000
    assert_payment_entry(clinic_id, patient, answer["id"], 40_000)
    assert get_payment(clinic_id, answer["id"])["status"] == "succeeded"
    assert_books_balanced(clinic_id, {patient: FEE - 40_000})


# ---------------------------------------------------------------- cards

@pytest.mark.parametrize("card, brand, last4", [(VISA, "visa", "4242"), (MASTERCARD, "mastercard", "4444")])
def test_card_tokens_that_succeed(clinic_id, patient, card, brand, last4):
    answer = paid(clinic_id, payment_body(patient, 25_050, "card", token=card))
    assert answer["status"] == "succeeded", answer
    assert (answer["cardBrand"], answer["cardLast4"]) == (brand, last4), answer
    assert balance(clinic_id, patient) == FEE - 25_050
    assert_payment_entry(clinic_id, patient, answer["id"], 25_050)
    assert sandbox_charges(answer["id"]) == 1
    assert_books_balanced(clinic_id, {patient: FEE - 25_050})


@pytest.mark.parametrize("card, code, decline_code", [
    (DECLINED, "card_declined", "generic_decline"),
    (INSUFFICIENT_FUNDS, "card_declined", "insufficient_funds"),
    (EXPIRED, "expired_card", None),
    (PROCESSING_ERROR, "processing_error", None),
])
def test_card_tokens_that_decline(clinic_id, patient, card, code, decline_code):
    answer = pay(clinic_id, payment_body(patient, 30_000, "card", token=card))
    assert answer.status == 201, answer.text
    assert answer.body["status"] == "failed", answer.text
    assert answer.body["failure"]["code"] == code, answer.text
    if decline_code is not None:
        assert answer.body["failure"]["declineCode"] == decline_code, answer.text
    assert answer.body["failure"].get("message"), answer.text
    assert get_payment(clinic_id, answer.body["id"])["status"] == "failed"
    assert payment_transfer_postings(clinic_id, answer.body["id"]) == 0
    assert_books_balanced(clinic_id, {patient: FEE})


def test_a_charge_whose_answer_was_lost_is_resolved_by_the_janitor(clinic_id, patient):
    """The sandbox charges, then the call times out: the payment is `unknown` (never guessed) until the
    janitor asks the gateway by idempotency key; then it succeeds, and the money moved once."""
    answer = paid(clinic_id, payment_body(patient, 12_345, "card", token=TIMEOUT_AFTER_CHARGE))
    assert answer["status"] == "unknown", answer
    settled = wait_payment_status(clinic_id, answer["id"], "succeeded", timeout=30)
    assert settled["amount"] == usd(12_345), settled
    assert balance(clinic_id, patient) == FEE - 12_345
    assert payment_transfer_postings(clinic_id, answer["id"]) == 2
    assert sandbox_charges(answer["id"]) == 1, "the gateway's books must show exactly one charge"
    assert_books_balanced(clinic_id, {patient: FEE - 12_345})


# ---------------------------------------------------------------- the patient pays

def test_a_patient_pays_its_own_balance_by_card_only(clinic_id, publisher, patient):
    other = new_patient("other")
    post_charge(publisher, clinic_id, other, 5_000)
    own = pay(clinic_id, payment_body(patient, 10_000, "card", token=VISA), role="patient", patient=patient)
    assert own.status == 201, own.text
    assert own.body["status"] == "succeeded", own.text

    theirs = pay(clinic_id, payment_body(other, 1_000, "card", token=VISA), role="patient", patient=patient)
    assert_error(theirs, 404, None)
    cash = pay(clinic_id, payment_body(patient, 1_000, "cash"), role="patient", patient=patient)
    assert_error(cash, (403, 422), None)

    # The patient sees its own payments, not another's.
    as_patient = token("patient", clinic_id, patient=patient)
    own_list = request("GET", "payments", f"/v1/payments?patientId={patient}", bearer=as_patient)
    assert own_list.status == 200 and [p["id"] for p in own_list.body["data"]] == [own.body["id"]], own_list.text
    other_list = request("GET", "payments", f"/v1/payments?patientId={other}", bearer=as_patient)
    assert_error(other_list, (403, 404), None)
    assert payment_rows(clinic_id, other) == 0
    assert payment_rows(clinic_id, patient) == 1
    assert_books_balanced(clinic_id, {patient: FEE - 10_000, other: 5_000})


# ---------------------------------------------------------------- reading payments back

def test_payments_are_listed_newest_first_and_pay_the_oldest_charge_first(clinic_id, publisher):
    patient = new_patient("alloc")
    # The newer service is posted first: allocation follows the service date, not the posting order.
    november = post_charge(publisher, clinic_id, patient, 20_000, service_date="2026-11-01")
    october = post_charge(publisher, clinic_id, patient, 30_000, service_date="2026-10-01")

    first = paid(clinic_id, payment_body(patient, 40_000, "cash"))
    shown = get_payment(clinic_id, first["id"])
    assert shown["allocations"] == [{"chargeId": october, "amount": usd(30_000)},
                                    {"chargeId": november, "amount": usd(10_000)}], shown
    second = paid(clinic_id, payment_body(patient, 5_000, "check", reference="chk 7"))
    assert get_payment(clinic_id, second["id"])["allocations"] == [{"chargeId": november, "amount": usd(5_000)}]

    status, listed = get_json("payments", f"/v1/payments?patientId={patient}", clinic=clinic_id)
    assert status == 200, listed
    assert [p["id"] for p in listed["data"]] == [second["id"], first["id"]], listed
    assert listed["has_more"] is False, listed
    status, page = get_json("payments", f"/v1/payments?patientId={patient}&limit=1", clinic=clinic_id)
    assert status == 200 and [p["id"] for p in page["data"]] == [second["id"]] and page["has_more"] is True, page
    assert_books_balanced(clinic_id, {patient: 5_000})


# ---------------------------------------------------------------- refused input writes nothing

BAD_PAYMENTS = [
    ("amount zero", lambda p: payment_body(p, 0, "cash"), 422, "amount_invalid"),
    ("negative amount", lambda p: payment_body(p, -500, "cash"), 422, "amount_invalid"),
    ("oversized amount", lambda p: payment_body(p, 10 ** 13, "cash"), 422, "amount_invalid"),
    ("EUR on a USD account", lambda p: payment_body(p, {"amount": 1_000, "currency": "EUR"}, "cash"), 422,
     "currency_mismatch"),
    ("unknown patient", lambda p: payment_body("pat-nobody-" + uuid.uuid4().hex[:6], 1_000, "cash"), 404, None),
    ("card without token", lambda p: payment_body(p, 1_000, "card"), 422, None),
    ("bank token for a card", lambda p: payment_body(p, 1_000, "card", token=ACH_SETTLES), 422, "token_wrong_kind"),
    ("card token for ACH", lambda p: payment_body(p, 1_000, "ach", token=VISA), 422, "token_wrong_kind"),
    ("unknown saved method", lambda p: payment_body(p, 1_000, "card_on_file", paymentMethodId="pm_doesnotexist"),
     404, None),
    ("unknown lender", lambda p: payment_body(p, 1_000, "financing",
                                              financing={"lender": "loanshark", "approvalReference": "X-1"}),
     422, "lender_unknown"),
]


@pytest.mark.parametrize("case, body, status, code", BAD_PAYMENTS, ids=[c[0] for c in BAD_PAYMENTS])
def test_bad_payment_requests_are_refused_and_write_nothing(clinic_id, patient, case, body, status, code):
    answer = pay(clinic_id, body(patient))
    # 400 or 422 are both fair for a body the API cannot accept; 404 is precise.
    assert_error(answer, (400, 422) if status == 422 else status, code)
    assert payment_rows(clinic_id, patient) == 0
    assert_books_balanced(clinic_id, {patient: FEE})


def test_a_payment_without_an_idempotency_key_is_refused(clinic_id, patient):
    answer = pay(clinic_id, payment_body(patient, 1_000, "cash"), key=None)
    assert_error(answer, 400, "idempotency_key_missing")
    assert payment_rows(clinic_id, patient) == 0
    assert_books_balanced(clinic_id, {patient: FEE})


@pytest.mark.parametrize("key", [
    # Random version-4 UUIDs (what clients send, and what Stripe recommends) whose leading groups are all
    # digits and happen to pass the Luhn check; about 1.4 in 10,000 random UUIDs look like that.
    "21808263-4061-4375-b1eb-fe27eea55af9",
    "95448831-0648-4242-970e-74c49a8fa06c",
    "99130038-0257-4906-a47a-b3dec18d19ad",
])
def test_a_uuid_idempotency_key_is_not_taken_for_a_card_number(clinic_id, patient, key):
    answer = pay(clinic_id, payment_body(patient, 1_000, "cash"), key=key)
    assert answer.status == 201, answer.text
    assert_books_balanced(clinic_id, {patient: FEE - 1_000})


def test_fifty_concurrent_payments_with_one_key_pay_once(clinic_id, patient):
    key = str(uuid.uuid4())
    body = payment_body(patient, 7_500, "card", token=VISA)
    bearer = token("billing_staff", clinic_id)
    barrier = threading.Barrier(50)
    answers = [None] * 50

    def send(index):
        barrier.wait()
        try:
            answers[index] = pay(clinic_id, body, key=key, bearer=bearer)
        except OSError as error:  # no answer within pay()'s 60 s
            answers[index] = error

    threads = [threading.Thread(target=send, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    unanswered = [a for a in answers if isinstance(a, OSError)]
    assert not unanswered, f"{len(unanswered)} of 50 requests got no answer within 60 s: {unanswered[0]!r}"
    other = [(a.status, a.text[:200]) for a in answers if a.status not in (201, 409)]
    assert not other, f"answers other than 201 or 409: {other}"
    for answer in answers:
        if answer.status == 409:
            assert answer.body["error"]["code"] == "request_in_progress", answer.text
    ids = {a.body["id"] for a in answers if a.status == 201}
    assert len(ids) == 1, f"one key made {len(ids)} payments: {ids}"
    assert payment_rows(clinic_id, patient) == 1
    payment_id = ids.pop()
    assert sandbox_charges(payment_id) == 1
    assert payment_transfer_postings(clinic_id, payment_id) == 2
    assert_books_balanced(clinic_id, {patient: FEE - 7_500})


def test_sixteen_card_payments_at_once_are_all_answered(clinic_id, publisher):
    """A busy front desk: 16 card payments at the same moment (16 patients, 16 keys) — more than the
    service's database pool (8) — are each answered, and payments stays ready."""
    patients = [new_patient(f"rush{i}") for i in range(16)]
    for patient in patients:
        post_charge(publisher, clinic_id, patient, 10_000)
    bearer = token("billing_staff", clinic_id)
    barrier = threading.Barrier(16)
    answers = [None] * 16

    def send(index):
        barrier.wait()
        try:
            answers[index] = pay(clinic_id, payment_body(patients[index], 4_000, "card", token=VISA), bearer=bearer)
        except OSError as error:
            answers[index] = error

    threads = [threading.Thread(target=send, args=(i,)) for i in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        unanswered = [a for a in answers if isinstance(a, OSError)]
        assert not unanswered, f"{len(unanswered)} of 16 concurrent card payments got no answer within 60 s"
        assert [a.status for a in answers] == [201] * 16, [(a.status, a.text[:120]) for a in answers]
        assert all(a.body["status"] == "succeeded" for a in answers), [a.text[:120] for a in answers]
        assert_books_balanced(clinic_id, {patient: 6_000 for patient in patients})
    finally:
        restart_payments_if_stuck()


# ---------------------------------------------------------------- refunds

def test_a_card_payment_refunded_in_part_then_the_rest(clinic_id, patient):
    payment = paid(clinic_id, payment_body(patient, 30_000, "card", token=VISA))
    assert payment["status"] == "succeeded", payment

    part = refund(clinic_id, payment["id"], 10_000, reason="overpaid at the desk")
    assert part.status == 201, part.text
    assert part.body["paymentId"] == payment["id"] and part.body["status"] == "succeeded", part.text
    assert part.body["amount"] == usd(10_000) and part.body["id"], part.text
    assert balance(clinic_id, patient) == FEE - 30_000 + 10_000

    rest = refund(clinic_id, payment["id"])  # no amount: whatever is left
    assert rest.status == 201, rest.text
    assert rest.body["amount"] == usd(20_000) and rest.body["status"] == "succeeded", rest.text
    assert rest.body["id"] != part.body["id"]
    assert balance(clinic_id, patient) == FEE

    assert_error(refund(clinic_id, payment["id"], 1), (400, 422), "refund_exceeds_payment")
    assert sql(f"SELECT count(*) FROM payments.refunds WHERE clinic_id = '{clinic_id}'") == "2"
    assert_books_balanced(clinic_id, {patient: FEE})


def test_a_refund_above_the_payment_is_refused(clinic_id, patient):
    payment = paid(clinic_id, payment_body(patient, 10_000, "card", token=VISA))
    assert_error(refund(clinic_id, payment["id"], 10_001), (400, 422), "refund_exceeds_payment")
    assert_books_balanced(clinic_id, {patient: FEE - 10_000})


def test_a_failed_payment_is_not_refundable(clinic_id, patient):
    failed = paid(clinic_id, payment_body(patient, 10_000, "card", token=DECLINED))
    assert failed["status"] == "failed", failed
    assert_error(refund(clinic_id, failed["id"], 5_000), (400, 409, 422), "payment_not_refundable")
    assert_books_balanced(clinic_id, {patient: FEE})


def test_a_cash_refund_is_recorded(clinic_id, patient):
    payment = paid(clinic_id, payment_body(patient, 10_000, "cash"))
    answer = refund(clinic_id, payment["id"], 4_000, reason="paid twice")
    assert answer.status == 201, answer.text
    assert answer.body["status"] == "succeeded" and answer.body["amount"] == usd(4_000), answer.text
    refunds = [e for e in entries(clinic_id, patient) if e["transferId"] == f"refund:{answer.body['id']}"]
    assert [e["amount"] for e in refunds] == [usd(4_000)], entries(clinic_id, patient)
    assert_books_balanced(clinic_id, {patient: FEE - 10_000 + 4_000})


def test_large_refunds_need_the_practice_owner(clinic_id, publisher):
    limit = large_refund_threshold()
    patient = new_patient("bigrefund")
    post_charge(publisher, clinic_id, patient, 3 * limit)
    payment = paid(clinic_id, payment_body(patient, 3 * limit, "card", token=VISA))

    at_limit = refund(clinic_id, payment["id"], limit, role="billing_staff")
    assert at_limit.status == 201, at_limit.text
    above = refund(clinic_id, payment["id"], limit + 1, role="billing_staff")
    assert_error(above, 403, "admin_required")
    assert balance(clinic_id, patient) == limit
    by_owner = refund(clinic_id, payment["id"], limit + 1, role="admin")
    assert by_owner.status == 201, by_owner.text
    assert_books_balanced(clinic_id, {patient: limit + limit + 1})


# ---------------------------------------------------------------- moving the service clock (last in the file)

def test_the_janitor_still_runs_after_the_clock_is_moved_back(clinic_id, patient):
    """Every test that moves the clock resets it afterwards: the janitor (every 2 s) must keep running
    then, not wait until wall time catches up with the moved clock."""
    with moved_clock() as clock:
        clock.advance("3d")
        wait_until(lambda: scheduler_passes() > 0 or "not yet", 10, "no scheduled job ran")
        let_background_work_run()  # the janitor ran at +3 days
    answer = paid(clinic_id, payment_body(patient, 2_222, "card", token=TIMEOUT_AFTER_CHARGE))
    assert answer["status"] == "unknown", answer
    wait_payment_status(clinic_id, answer["id"], "succeeded", timeout=30)
    assert_books_balanced(clinic_id, {patient: FEE - 2_222})


def test_ach_debit_settles_when_the_clock_moves(clinic_id, patient):
    answer = paid(clinic_id, payment_body(patient, 60_000, "ach", token=ACH_SETTLES))
    assert answer["status"] == "processing", answer
    assert balance(clinic_id, patient) == FEE, "a debit in flight does not move the balance"
    with moved_clock() as clock:
        clock.advance("3d")
        wait_payment_status(clinic_id, answer["id"], "succeeded", timeout=30)
    assert balance(clinic_id, patient) == FEE - 60_000
    assert_payment_entry(clinic_id, patient, answer["id"], 60_000)
    assert_books_balanced(clinic_id, {patient: FEE - 60_000})


def test_ach_debit_returned_r01_fails_and_moves_nothing(clinic_id, patient):
    answer = paid(clinic_id, payment_body(patient, 60_000, "ach", token=ACH_RETURNS_R01))
    assert answer["status"] == "processing", answer
    with moved_clock() as clock:
        clock.advance("3d")
        failed = wait_payment_status(clinic_id, answer["id"], "failed", timeout=30)
    assert failed["failure"]["declineCode"] == "R01", failed
    assert payment_transfer_postings(clinic_id, answer["id"]) == 0
    assert_books_balanced(clinic_id, {patient: FEE})


def test_the_database_refuses_a_transfer_that_does_not_sum_to_zero(clinic_id):
    """Not only Swift: even the payments login writing SQL by hand cannot post an unbalanced transfer."""
    insert = ("INSERT INTO payments.ledger_entries (clinic_id, transfer_id, kind, account, amount, currency, event_id) "
              f"VALUES ('{clinic_id}', 'payment:hand-made', 'payment', 'patient:p1:receivable', -500, 'USD', 'e1'), "
              f"('{clinic_id}', 'payment:hand-made', 'payment', 'practice:collections:cash', 400, 'USD', 'e1')")
    refused = psql_as_service("payments", insert)
    assert refused.returncode != 0 and "does not sum to zero" in refused.stderr, refused.stderr
    balanced = psql_as_service("payments", insert.replace(", 400,", ", 500,").replace("hand-made", "hand-made-2")
                               + f"; DELETE FROM payments.ledger_entries WHERE clinic_id = '{clinic_id}'")
    # The balanced pair is accepted; the ledger is append-only, so taking it back out is refused too.
    assert "append-only" in balanced.stderr and "sum to zero" not in balanced.stderr, balanced.stderr
