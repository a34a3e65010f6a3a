"""The short version of `scripts/dev chaos`'s plan scenario: installments fall due for many autopay plans,
payments is killed with kill -9 while it charges them and plans right after, `scripts/dev up` brings both
back — every installment is charged exactly once and every balance is exact."""
import os
import signal

from conftest import process_running, run_dev, service_pid, sql, wait_until
from payments_helpers import assert_books_balanced, moved_clock, new_patient, post_charge, q, usd
from plans_helpers import at_ten_in_new_york, call, create, method_known_to_plans, ok

PLANS = 40
FEE = 9_000


def test_installments_due_while_payments_and_plans_are_killed_are_each_charged_once(clinic_id, publisher):
    ok(call("PUT", "/policy", clinic_id, {"minDownPaymentPercent": 0, "signatureRequired": False}, role="admin"))
    patients = [new_patient("fault") for _ in range(PLANS)]
    plan_ids = []
    for patient in patients:
        post_charge(publisher, clinic_id, patient, FEE)
    for patient in patients:
        method = method_known_to_plans(clinic_id, patient)
        created = ok(create(clinic_id, patient, FEE, 0, 3, method=method), 201)
        assert created["status"] == "ACTIVE", created
        plan_ids.append(created["id"])
    first_due = ok(call("GET", f"/{plan_ids[0]}/schedule", clinic_id))["payments"][0]["dueDate"]
    payments = lambda where: int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = {q(clinic_id)} "
                                     f"AND origin = 'plan' AND ({where})"))
    with moved_clock() as clock:
        clock.set(at_ten_in_new_york(first_due))
        wait_until(lambda: payments("true") > 0 or "none yet", 30, "plans did not ask for the installments due")
        pid = service_pid("payments")
        os.kill(pid, signal.SIGKILL)
        unsettled = payments("status IN ('processing', 'unknown')")
        plans_pid = service_pid("plans")
        os.kill(plans_pid, signal.SIGKILL)
        wait_until(lambda: not process_running(pid) and not process_running(plans_pid), 10, "payments and plans to die")
        asked = payments("true")
        assert unsettled > 0 or asked < PLANS, \
            f"all {PLANS} installments were settled before the kills: the drill killed nothing mid-flow"
        run_dev("up")
        paid = lambda: int(sql(f"SELECT count(*) FROM plans.scheduled_payments WHERE clinic_id = {q(clinic_id)} "
                               f"AND number = 1 AND status = 'PAID'"))
        wait_until(lambda: paid() == PLANS or f"{paid()} paid", 120, "every first installment to be paid after the restart")
    # Each installment charged once: payments' table and the sandbox gateway's own books agree.
    per_installment = sql(f"SELECT installment_id, count(*) FROM payments.payments WHERE clinic_id = {q(clinic_id)} "
                          f"AND origin = 'plan' AND status = 'succeeded' GROUP BY installment_id").splitlines()
    assert len(per_installment) == PLANS and all(line.endswith("|1") for line in per_installment), per_installment
    assert payments("true") == PLANS, "a plan payment beyond one per installment was created"
    at_gateway = int(sql(f"SELECT count(*) FROM payments.sandbox_charges WHERE idempotency_key IN (SELECT payment_id "
                         f"FROM payments.payments WHERE clinic_id = {q(clinic_id)} AND origin = 'plan')"))
    assert at_gateway == PLANS, f"the gateway holds {at_gateway} charges for {PLANS} installments"
    for plan_id in plan_ids[:3]:
        shown = ok(call("GET", f"/{plan_id}", clinic_id))
        assert shown["completedPayments"] == 1 and shown["remainingBalance"] == usd(FEE - 3_000), shown
    assert_books_balanced(clinic_id, {patient: FEE - 3_000 for patient in patients})
