"""Payment plans end to end, as the billing office and the patient use them: the spec's API with tokens of
the right role, plan money charged by payments' sandbox gateway through events, other services' events
published by an outside publisher (pika), time moved with the service clock (never by sleeping)."""
import datetime

from conftest import sql, wait_until
from payments_helpers import (
    EventWatcher, assert_books_balanced, assert_error, balance, balance_or_zero, moved_clock, new_patient, paid,
    payment_body, post_charge, q, usd)
from plans_helpers import (
    PLAN_EVENTS, agreement_bytes, assert_installments_exact, call, create, method_known_to_plans, ok, pdf_text, plan,
    plan_payments, schedule, service_today, sign, wait_plan)


def test_a_signed_plan_takes_its_down_payment_then_twelve_installments_by_autopay(clinic_id, publisher):
    patient = new_patient("plan")
    post_charge(publisher, clinic_id, patient, 130_000)
    method = method_known_to_plans(clinic_id, patient)
    with EventWatcher(*PLAN_EVENTS) as events, moved_clock() as clock:
        created = ok(create(clinic_id, patient, 130_000, 30_000, 12, method=method), 201)
        plan_id = created["id"]
        assert created["status"] == "PENDING" and created["signatureNeeded"], created
        assert created["planNumber"].startswith("PP-"), created
        assert created["financedAmount"] == usd(100_000) and created["monthlyPayment"] == usd(8_333), created
        lines = schedule(clinic_id, plan_id)
        assert_installments_exact(lines, 100_000)
        assert [line["amount"]["amount"] for line in lines] == [30_000] + [8_333] * 11 + [8_337], lines
        text = pdf_text(agreement_bytes(clinic_id, plan_id))
        for words in ["Amount financed", "1,000.00 USD", "Finance charge", "Total of payments", "Installment 12",
                      "Down payment", "300.00 USD", "83.37 USD", created["planNumber"]]:
            assert words in text, f"{words!r} not in the agreement:\n{text}"
        # Unsigned: no money is asked for.
        assert plan_payments(clinic_id, plan_id, "succeeded") == 0
        signed = sign(clinic_id, plan_id, patient)
        assert signed["signedBy"] == "Ana Lopez" and signed["agreementSHA256"], signed
        active = wait_plan(clinic_id, plan_id, lambda p: p["status"] == "ACTIVE", "the down payment did not activate the plan")
        assert active["remainingBalance"] == usd(100_000), active
        events.wait_for("plans.plan.activated.v1", clinic_id, lambda b: b["planId"] == plan_id)
        assert balance(clinic_id, patient) == 100_000
        for number, line in enumerate(lines[1:], start=1):
            # 10:00 in New York on each due date: autopay charges the installment that day, and only it.
            clock.set(f"{line['dueDate']}T15:00")
            wait_plan(clinic_id, plan_id, lambda p: p["completedPayments"] == number,
                      f"installment {number} due {line['dueDate']} was not collected")
        done = wait_plan(clinic_id, plan_id, lambda p: p["status"] == "COMPLETED", "the plan did not complete")
        events.wait_for("plans.plan.completed.v1", clinic_id, lambda b: b["planId"] == plan_id and b["financed"] == usd(0))
        assert len(events.events("plans.payment.requested.v1", clinic_id, lambda b: b["planId"] == plan_id)) == 13
    assert done["remainingBalance"] == usd(0) and done["completedPayments"] == 12, done
    assert done["compliance"]["onTime"] == 12 and done["compliance"]["missed"] == 0, done
    # Thirteen charges (down payment + 12), each once; the patient owes nothing and the books balance.
    assert plan_payments(clinic_id, plan_id, "succeeded") == 13
    assert int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = {q(clinic_id)} AND plan_id = {q(plan_id)}")) == 13
    assert balance_or_zero(clinic_id, patient) == 0
    assert_books_balanced(clinic_id, {patient: 0})
