"""What payments holds for a person to look at rather than acting on: a charge that repeats one already
posted (same patient, procedure, tooth, surfaces in any order and service date), a payment far above what
the patient owes; and what it refuses outright: malformed procedure codes (dead-lettered) and card
testing (many declines for one patient within the hour)."""
import uuid

from conftest import dead_letters, get_json, request, sql, token, wait_until
from payments_helpers import (
    CHARGE, DECLINED, VISA, assert_books_balanced, assert_error, balance, charge_payload, new_patient, paid, pay,
    payment_body, payment_rows, post_charge, publish, q, sandbox_charges, wait_consumed)


def review_items(clinic, status="open"):
    """GET /v1/review lists one status at a time (open by default)."""
    code, body = get_json("payments", f"/v1/review?status={status}&limit=100", clinic=clinic)
    assert code == 200, (code, body)
    return body["data"]


def wait_review_item(clinic, kind, subject_id):
    def listed():
        found = [i for i in review_items(clinic) if i["kind"] == kind and i["subjectId"] == subject_id]
        return True if found else review_items(clinic)
    wait_until(listed, 30, f"no {kind} review item for {subject_id}")
    return [i for i in review_items(clinic) if i["kind"] == kind and i["subjectId"] == subject_id][0]


def decide(clinic, item_id, decision, note):
    return request("POST", "payments", f"/v1/review/{item_id}/{decision}", bearer=token("billing_staff", clinic),
                   body={"note": note}, headers={"Idempotency-Key": str(uuid.uuid4())})


def item(clinic, item_id):
    found = [i for status in ("open", "released", "rejected") for i in review_items(clinic, status) if i["id"] == item_id]
    assert len(found) == 1, f"review item {item_id} is listed {len(found)} times"
    return found[0]


def on_ledger(clinic, charge_id):
    return int(sql(f"""SELECT count(*) FROM payments.ledger_entries
                       WHERE clinic_id = {q(clinic)} AND transfer_id = {q('charge:' + charge_id)}"""))


def test_a_duplicate_charge_is_held_for_review_then_released_or_rejected(clinic_id, publisher):
    patient = new_patient("dup")
    work = dict(service_date="2026-11-20", code="D2392", tooth="30", surfaces=["M", "O", "D"])
    first = post_charge(publisher, clinic_id, patient, 18_500, **work)

    again = charge_payload(patient, 18_500, **{**work, "surfaces": ["D", "M", "O"]})
    wait_consumed(publish(publisher, CHARGE, clinic_id, again))
    held = wait_review_item(clinic_id, "duplicate_charge", again["chargeId"])
    assert held["status"] == "open" and held["patientId"] == patient and held["summary"], held
    assert held["id"], held
    assert balance(clinic_id, patient) == 18_500, "a held duplicate must not reach the balance"
    assert on_ledger(clinic_id, again["chargeId"]) == 0
    assert on_ledger(clinic_id, first) == 2

    released = decide(clinic_id, held["id"], "release", "two crowns on the same tooth: confirmed with the doctor")
    assert released.status in (200, 201), released.text
    assert released.body["status"] == "released", released.text
    assert item(clinic_id, held["id"])["status"] == "released"
    assert balance(clinic_id, patient) == 37_000
    assert on_ledger(clinic_id, again["chargeId"]) == 2

    third = charge_payload(patient, 18_500, **{**work, "surfaces": ["O", "D", "M"]})
    wait_consumed(publish(publisher, CHARGE, clinic_id, third))
    held_again = wait_review_item(clinic_id, "duplicate_charge", third["chargeId"])
    rejected = decide(clinic_id, held_again["id"], "reject", "posted twice by the front desk")
    assert rejected.status in (200, 201), rejected.text
    assert item(clinic_id, held_again["id"])["status"] == "rejected"
    assert on_ledger(clinic_id, third["chargeId"]) == 0
    assert review_items(clinic_id, "open") == []
    again_decided = decide(clinic_id, held_again["id"], "release", "changed my mind")
    assert_error(again_decided, (409, 422), None)
    assert on_ledger(clinic_id, third["chargeId"]) == 0
    assert_books_balanced(clinic_id, {patient: 37_000})


def test_other_work_on_the_same_day_is_not_a_duplicate(clinic_id, publisher):
    patient = new_patient("notdup")
    post_charge(publisher, clinic_id, patient, 18_500, code="D2392", tooth="30", surfaces=["M", "O"])
    post_charge(publisher, clinic_id, patient, 18_500, code="D2392", tooth="31", surfaces=["M", "O"])
    post_charge(publisher, clinic_id, patient, 20_000, code="D2392", tooth="30", surfaces=["M", "O", "D"])
    assert review_items(clinic_id) == []
    assert_books_balanced(clinic_id, {patient: 57_000})


def test_procedure_codes_are_normalised_or_refused(clinic_id, publisher):
    lower = new_patient("lower")
    charge = post_charge(publisher, clinic_id, lower, 9_000, code="d1110")
    assert sql(f"""SELECT procedure_code FROM payments.charges
                   WHERE clinic_id = {q(clinic_id)} AND charge_id = {q(charge)}""") == "D1110"

    supply = new_patient("hcpcs")
    charge = post_charge(publisher, clinic_id, supply, 4_500, code="E0114", code_system="HCPCS")
    assert sql(f"""SELECT procedure_code || ' ' || code_system FROM payments.charges
                   WHERE clinic_id = {q(clinic_id)} AND charge_id = {q(charge)}""") == "E0114 HCPCS"

    malformed = new_patient("badcode")
    event_id = publish(publisher, CHARGE, clinic_id, charge_payload(malformed, 1_000, code="D11"))

    def dead_lettered():
        letters = {d["messageId"]: d for d in dead_letters("payments")}
        if event_id not in letters:
            return "not dead-lettered yet"
        return True if "D11" in letters[event_id]["reason"] else letters[event_id]["reason"]
    wait_until(dead_lettered, 30, "a charge with the procedure code D11 was not dead-lettered with its reason")
    assert sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = {q(clinic_id)} AND patient_id = {q(malformed)}") == "0"
    assert_books_balanced(clinic_id, {lower: 9_000, supply: 4_500})


def test_a_payment_far_above_the_balance_is_taken_and_flagged(clinic_id, publisher):
    patient = new_patient("above")
    post_charge(publisher, clinic_id, patient, 10_000)
    payment = paid(clinic_id, payment_body(patient, 500_000, "cash"))
    assert payment["status"] == "succeeded", payment
    flagged = wait_review_item(clinic_id, "payment_above_balance", payment["id"])
    assert flagged["status"] == "open" and flagged["patientId"] == patient, flagged
    assert_books_balanced(clinic_id, {patient: 10_000 - 500_000})


def test_a_payment_just_above_the_balance_is_not_flagged(clinic_id, publisher):
    patient = new_patient("slightly")
    post_charge(publisher, clinic_id, patient, 10_000)
    payment = paid(clinic_id, payment_body(patient, 12_000, "cash"))
    assert payment["status"] == "succeeded", payment
    assert [i for i in review_items(clinic_id) if i["kind"] == "payment_above_balance"] == []
    assert_books_balanced(clinic_id, {patient: -2_000})


def test_card_testing_is_stopped_after_five_declines_within_the_hour(clinic_id, publisher):
    patient = new_patient("cardtest")
    post_charge(publisher, clinic_id, patient, 50_000)
    for attempt in range(5):
        declined = paid(clinic_id, payment_body(patient, 1_000 + attempt, "card", token=DECLINED))
        assert declined["status"] == "failed", (attempt, declined)
    gateway_charges = sandbox_charges()

    for card in (DECLINED, VISA):
        refused = pay(clinic_id, payment_body(patient, 1_100, "card", token=card))
        assert_error(refused, (402, 403, 422, 429), "too_many_declines")
    assert sandbox_charges() == gateway_charges, "the gateway was called after the decline limit was reached"
    assert payment_rows(clinic_id, patient) == 5
    # Another patient of the clinic pays as usual.
    other = new_patient("cardtest-other")
    post_charge(publisher, clinic_id, other, 5_000)
    assert paid(clinic_id, payment_body(other, 5_000, "card", token=VISA))["status"] == "succeeded"
    assert_books_balanced(clinic_id, {patient: 50_000, other: 0})
