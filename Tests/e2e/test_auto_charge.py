"""The auto-charge run: the practice owner starts it; every patient with a balance and an active card the
patient authorized for automatic charges is charged what may be collected (the balance less what plans
finance and insurance is expected to pay, capped by the authorized maximum) — once; everyone else gets a
payments.balance.due.v1. Soft declines are retried on days 1, 3 and 7 by the service clock, hard declines
never; plans' installment requests are charged once per installment."""
import datetime
import os
import threading
import zoneinfo

from conftest import request, sql, token, wait_until
from payments_helpers import (
    BALANCE_DUE, EXPIRED, FAILED, INSUFFICIENT_FUNDS, METHOD_REVOKED, SUCCEEDED, VISA, EventWatcher,
    assert_books_balanced, assert_error, auto_charge, balance, let_background_work_run, methods, moved_clock,
    new_patient, now_timestamp, payment_rows, post_charge, publish, q, saved_method, start_run, usd, wait_consumed)


def started(clinic):
    answer = start_run(clinic)
    assert answer.status == 201, answer.text
    # The run date is the clinic's local date (PAYMENTS_CLINIC_TIME_ZONE); every run here starts at wall time.
    zone = zoneinfo.ZoneInfo(os.environ.get("PAYMENTS_CLINIC_TIME_ZONE") or "America/New_York")
    assert answer.body["runDate"] == datetime.datetime.now(zone).date().isoformat(), answer.text
    return answer.body


def payments_of(clinic, patient):
    """(status, amount, origin) of the patient's payments, oldest first, as payments stored them."""
    rows = sql(f"""SELECT status || '|' || amount || '|' || origin FROM payments.payments
                   WHERE clinic_id = {q(clinic)} AND patient_id = {q(patient)} ORDER BY created_at, attempt""")
    return [tuple(int(x) if x.isdigit() else x for x in line.split("|")) for line in rows.splitlines() if line]


def wait_payments(clinic, patient, count, status=None, timeout=30):
    where = "true" if status is None else f"status = {q(status)}"
    wait_until(lambda: payment_rows(clinic, patient, where) >= count or payments_of(clinic, patient), timeout,
               f"{patient} did not get {count} payment(s){'' if status is None else ' ' + status}")
    return payments_of(clinic, patient)


def test_only_the_practice_owner_starts_a_run(clinic_id, publisher):
    patient = new_patient("ac-role")
    post_charge(publisher, clinic_id, patient, 10_000)
    saved_method(clinic_id, patient, VISA, auto_charge())
    assert_error(start_run(clinic_id, role="billing_staff"), 403, None)
    assert payment_rows(clinic_id, patient) == 0
    run = started(clinic_id)
    assert run["intents"] == 1 and run["balanceDue"] == 0, run
    assert wait_payments(clinic_id, patient, 1, "succeeded") == [("succeeded", 10_000, "auto_charge")]
    assert_books_balanced(clinic_id, {patient: 0})


def test_a_run_charges_authorized_cards_and_tells_the_rest_what_is_due(clinic_id, publisher):
    whole = new_patient("ac-whole")        # owes 300.00, may be charged up to 500.00: charged 300.00
    capped = new_patient("ac-capped")      # owes 250.00, may be charged up to 100.00: charged 100.00
    no_card = new_patient("ac-nocard")     # owes 120.00, no card: balance due
    not_authorized = new_patient("ac-noauth")  # owes 80.00, card saved without permission: never charged
    for patient, fee in [(whole, 30_000), (capped, 25_000), (no_card, 12_000), (not_authorized, 8_000)]:
        post_charge(publisher, clinic_id, patient, fee)
    saved_method(clinic_id, whole, VISA, auto_charge(maximum=50_000))
    saved_method(clinic_id, capped, VISA, auto_charge(maximum=10_000))
    unauthorized = saved_method(clinic_id, not_authorized, VISA)
    assert unauthorized.get("autoCharge") is None, unauthorized

    with EventWatcher(BALANCE_DUE, SUCCEEDED) as events:
        run = started(clinic_id)
        assert run["intents"] == 2, run
        assert run["balanceDue"] == 2, run
        assert wait_payments(clinic_id, whole, 1, "succeeded") == [("succeeded", 30_000, "auto_charge")]
        assert wait_payments(clinic_id, capped, 1, "succeeded") == [("succeeded", 10_000, "auto_charge")]
        due = events.wait_for(BALANCE_DUE, clinic_id, lambda e: e["patientId"] == no_card)
        assert due[0]["reason"] == "no_authorized_method", due
        assert due[0]["balance"] == usd(12_000) and due[0]["collectible"] == usd(12_000), due
        charged = events.wait_for(SUCCEEDED, clinic_id, lambda e: e["origin"] == "auto_charge", count=2)
        assert sorted(e["patientId"] for e in charged) == sorted([whole, capped]), charged
        let_background_work_run()
        assert len(events.events(SUCCEEDED, clinic_id)) == 2, events.events(SUCCEEDED, clinic_id)

    notes = sql(f"""SELECT note FROM payments.account_notes
                    WHERE clinic_id = {q(clinic_id)} AND patient_id = {q(no_card)}""")
    assert notes, f"no account note for {no_card}, whose balance could not be charged"
    assert payment_rows(clinic_id, no_card) == 0
    assert payment_rows(clinic_id, not_authorized) == 0, "a card saved without authorization was charged"
    assert payment_rows(clinic_id, whole) == 1 and payment_rows(clinic_id, capped) == 1
    assert_books_balanced(clinic_id, {whole: 0, capped: 15_000, no_card: 12_000, not_authorized: 8_000})


def test_two_runs_at_once_charge_each_balance_once(clinic_id, publisher):
    patients = [new_patient(f"ac-twice{i}") for i in range(3)]
    for i, patient in enumerate(patients):
        post_charge(publisher, clinic_id, patient, 10_000 + i)
        saved_method(clinic_id, patient, VISA, auto_charge())
    barrier = threading.Barrier(2)
    answers = [None, None]
    bearer = token("admin", clinic_id)

    def run(index):
        barrier.wait()
        answers[index] = request("POST", "payments", "/v1/auto-charge/runs", bearer=bearer, body={},
                                 headers={"Idempotency-Key": f"run-{index}-{clinic_id}"}, timeout=60)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(a.status in (201, 409) for a in answers), [(a.status, a.text) for a in answers]
    assert any(a.status == 201 for a in answers), [(a.status, a.text) for a in answers]
    for i, patient in enumerate(patients):
        wait_payments(clinic_id, patient, 1, "succeeded")
    let_background_work_run()
    for i, patient in enumerate(patients):
        assert payments_of(clinic_id, patient) == [("succeeded", 10_000 + i, "auto_charge")]
    assert_books_balanced(clinic_id, {patient: 0 for patient in patients})


def test_the_run_collects_only_what_plans_and_insurance_do_not_cover(clinic_id, publisher):
    patient = new_patient("ac-collectible")
    charge = post_charge(publisher, clinic_id, patient, 100_000)
    activated = publish(publisher, "plans.plan.activated.v1", clinic_id, {
        "planId": f"plan-{patient}", "patientId": patient, "financed": usd(30_000), "at": now_timestamp()})
    submitted = publish(publisher, "insurance.claim.submitted.v1", clinic_id, {
        "claimId": f"clm-{patient}", "patientId": patient, "payerId": "60054", "chargeIds": [charge],
        "billed": usd(100_000), "expectedInsurancePortion": usd(45_000), "submittedAt": now_timestamp()})
    wait_consumed(activated)
    wait_consumed(submitted)
    saved_method(clinic_id, patient, VISA, auto_charge())

    started(clinic_id)
    assert wait_payments(clinic_id, patient, 1, "succeeded") == [("succeeded", 25_000, "auto_charge")]
    let_background_work_run()
    assert payment_rows(clinic_id, patient) == 1
    assert_books_balanced(clinic_id, {patient: 75_000})


def test_a_plan_installment_is_charged_once_and_names_the_plan(clinic_id, publisher):
    patient = new_patient("ac-plan")
    post_charge(publisher, clinic_id, patient, 60_000)
    method = saved_method(clinic_id, patient, VISA, auto_charge())
    plan, installment = f"plan-{patient}", f"plan-{patient}-inst-1"
    requested = {"planId": plan, "installmentId": installment, "patientId": patient, "kind": "installment",
                 "amount": usd(10_000), "paymentMethodId": method["id"], "dueDate": datetime.date.today().isoformat()}
    with EventWatcher(SUCCEEDED) as events:
        first = publish(publisher, "plans.payment.requested.v1", clinic_id, requested)
        again = publish(publisher, "plans.payment.requested.v1", clinic_id, requested)  # same request, new event id
        wait_consumed(first)
        wait_consumed(again)
        succeeded = events.wait_for(SUCCEEDED, clinic_id, lambda e: e["patientId"] == patient)
        assert succeeded[0]["plan"] == {"planId": plan, "installmentId": installment}, succeeded
        assert succeeded[0]["origin"] == "plan" and succeeded[0]["amount"] == usd(10_000), succeeded
        assert succeeded[0]["method"] == "card_on_file", succeeded
        let_background_work_run()
        assert len(events.events(SUCCEEDED, clinic_id)) == 1, events.events(SUCCEEDED, clinic_id)
    assert payments_of(clinic_id, patient) == [("succeeded", 10_000, "plan")]
    assert balance(clinic_id, patient) == 50_000
    assert_books_balanced(clinic_id, {patient: 50_000})


# ---------------------------------------------------------------- moving the service clock (last in the file)

def test_a_soft_decline_is_retried_on_days_1_3_and_7_then_given_up(clinic_id, publisher):
    """One collection, four tries: the run's, then days 1, 3 and 7 after the first failure; the fourth
    failure is final and nothing tries the card again — neither a retry nor a later day's run."""
    patient = new_patient("ac-soft")
    post_charge(publisher, clinic_id, patient, 20_000)
    method = saved_method(clinic_id, patient, INSUFFICIENT_FUNDS, auto_charge())

    def tries():
        """(collection key, attempt, status) of every try, oldest first."""
        rows = sql(f"""SELECT collection_key || '|' || attempt || '|' || status FROM payments.payments
                       WHERE clinic_id = {q(clinic_id)} AND patient_id = {q(patient)} ORDER BY created_at, attempt""")
        return [tuple(line.split("|")) for line in rows.splitlines() if line]

    with EventWatcher(FAILED) as events, moved_clock() as clock:
        started(clinic_id)
        first = events.wait_for(FAILED, clinic_id, lambda e: e["patientId"] == patient)[0]
        assert first["soft"] is True and first["final"] is False, first
        assert first["failure"]["declineCode"] == "insufficient_funds", first
        assert first["origin"] == "auto_charge" and first["paymentMethodId"] == method["id"], first
        assert first["nextRetryAt"], first
        collection = tries()[0][0]

        for advance, attempts, final in [("1d", 2, False), ("2d", 3, False), ("4d", 4, True)]:
            clock.advance(advance)
            wait_payments(clinic_id, patient, attempts, "failed")
            let_background_work_run()
            expected = [(collection, str(n), "failed") for n in range(attempts)]
            assert tries() == expected, f"after {advance} more: expected only the tries of {collection}"
            latest = events.wait_for(FAILED, clinic_id, lambda e: e["patientId"] == patient, count=attempts)[-1]
            assert latest["final"] is final and latest["soft"] is True, (advance, latest)
            assert latest["amount"] == usd(20_000), latest
            assert bool(latest.get("nextRetryAt")) is not final, latest

        for advance in ("3d", "30d"):
            clock.advance(advance)
            let_background_work_run()
            assert len(tries()) == 4, f"the card was tried again {advance} after the final decline: {tries()}"
        assert len(events.events(FAILED, clinic_id)) == 4
    assert [m["status"] for m in methods(clinic_id, patient)] == ["active"], "a soft decline does not flag the card"
    assert_books_balanced(clinic_id, {patient: 20_000})


def test_a_hard_decline_flags_the_card_and_is_never_retried(clinic_id, publisher):
    patient = new_patient("ac-hard")
    post_charge(publisher, clinic_id, patient, 20_000)
    method = saved_method(clinic_id, patient, EXPIRED, auto_charge())
    with EventWatcher(FAILED, METHOD_REVOKED) as events, moved_clock() as clock:
        started(clinic_id)
        failed = events.wait_for(FAILED, clinic_id, lambda e: e["patientId"] == patient)[0]
        assert failed["final"] is True and failed["soft"] is False, failed
        assert failed["failure"]["code"] == "expired_card", failed
        flagged = events.wait_for(METHOD_REVOKED, clinic_id, lambda e: e["paymentMethodId"] == method["id"])
        assert flagged[0]["reason"] == "card_needs_updating", flagged
        assert [m["status"] for m in methods(clinic_id, patient)] == ["needs_updating"]
        for _ in range(8):
            clock.advance("1d")
        let_background_work_run()
        assert payment_rows(clinic_id, patient) == 1, payments_of(clinic_id, patient)
        assert len(events.events(FAILED, clinic_id)) == 1
    assert_books_balanced(clinic_id, {patient: 20_000})
