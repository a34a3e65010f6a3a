"""Payment plans end to end, as the billing office and the patient use them: the spec's API with tokens of
the right role, plan money charged by payments' sandbox gateway through events, other services' events
published by an outside publisher (pika), time moved with the service clock (never by sleeping)."""
import datetime
import uuid

from conftest import sql, wait_until
from payments_helpers import (
    DECLINED, EventWatcher, account, assert_books_balanced, assert_error, balance, balance_or_zero, moved_clock,
    new_patient, paid, pay, payment_body, post_charge, publish, q, usd, wait_consumed)
from plans_helpers import (
    PLAN_EVENTS, agreement_bytes, at_ten_in_new_york, assert_installments_exact, call, claim_paid_body, create, estimate_body,
    let_due_job_run, line_of, method_known_to_plans, no_signature_no_down_payment, ok, open_plan, options, pdf_text,
    plan, plan_payments, registration_body, schedule, service_today, set_policy, sign, treatment_charge, wait_line,
    wait_plan)

DAY = datetime.timedelta(days=1)


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


def test_three_declined_installments_in_a_row_default_the_plan_and_its_balance_is_collectible_again(clinic_id, publisher):
    no_signature_no_down_payment(clinic_id)
    patient = new_patient("default")
    post_charge(publisher, clinic_id, patient, 60_000)
    method = method_known_to_plans(clinic_id, patient, DECLINED)
    with EventWatcher(*PLAN_EVENTS) as events, moved_clock() as clock:
        created = ok(create(clinic_id, patient, 60_000, 0, 6, method=method), 201)
        plan_id = created["id"]
        # No signature and no down payment asked: active at once, nothing owed outside the plan.
        assert created["status"] == "ACTIVE" and not created["signatureNeeded"], created
        wait_until(lambda: account(clinic_id, patient)["collectible"] == [usd(0)] or account(clinic_id, patient)["collectible"],
                   30, "payments still collects what the plan finances")
        lines = schedule(clinic_id, plan_id)
        for number in (1, 2, 3):
            clock.set(at_ten_in_new_york(line_of(lines, number)["dueDate"]))
            wait_line(clinic_id, plan_id, number, "MISSED")
            if number < 3:
                assert plan(clinic_id, plan_id)["status"] == "ACTIVE"
                assert plan(clinic_id, plan_id)["consecutiveMissed"] == number
        defaulted = wait_plan(clinic_id, plan_id, lambda p: p["status"] == "DEFAULTED", "three misses did not default the plan")
        events.wait_for("plans.plan.defaulted.v1", clinic_id,
                        lambda b: b["planId"] == plan_id and b["financed"] == usd(0) and b["patientId"] == patient)
        # A defaulted plan asks for nothing more, even when its next installment falls due.
        clock.set(at_ten_in_new_york(line_of(lines, 4)["dueDate"]))
        let_due_job_run(2)
        requested = events.events("plans.payment.requested.v1", clinic_id, lambda b: b["planId"] == plan_id)
        assert sorted(b["installmentId"] for b in requested) == sorted(line_of(lines, n)["installmentId"] for n in (1, 2, 3)), requested
    shown = schedule(clinic_id, plan_id)
    assert [line["status"] for line in shown] == ["MISSED"] * 3 + ["SCHEDULED"] * 3, shown
    assert defaulted["compliance"]["missed"] == 3 and defaulted["consecutiveMissed"] == 3, defaulted
    assert defaulted.get("nextPaymentDate") is None, defaulted
    assert plan_payments(clinic_id, plan_id, "failed") == 3 and plan_payments(clinic_id, plan_id, "succeeded") == 0
    # Payments may collect the whole balance again.
    wait_until(lambda: account(clinic_id, patient)["collectible"] == [usd(60_000)] or account(clinic_id, patient), 30,
               "payments did not make the defaulted plan's balance collectible")
    assert account(clinic_id, patient)["financedByPlans"] == [usd(0)]
    assert_books_balanced(clinic_id, {patient: 60_000})


def test_a_paused_plan_asks_for_nothing_and_resumes_by_itself_thirty_days_later(clinic_id, publisher):
    patient = new_patient("pause")
    with EventWatcher(*PLAN_EVENTS) as events, moved_clock() as clock:
        active, lines = open_plan(publisher, clinic_id, patient, 60_000, 12_000, 12, frequency="WEEKLY")
        plan_id = active["id"]
        today = service_today()
        too_long = call("POST", f"/{plan_id}/pause", clinic_id, {"days": 61})
        assert_error(too_long, 422, "pause_too_long")
        assert "at most 60 days" in too_long.body["error"]["message"], too_long.text
        assert plan(clinic_id, plan_id)["status"] == "ACTIVE"
        paused = ok(call("POST", f"/{plan_id}/pause", clinic_id, {"days": 30}))
        assert paused["status"] == "PAUSED" and paused["pausedUntil"] == str(today + 30 * DAY), paused
        events.wait_for("plans.plan.paused.v1", clinic_id, lambda b: b["planId"] == plan_id and b["financed"] == usd(48_000))
        # The first installment falls due (a week after the start) while the plan is paused: not asked for.
        first = line_of(lines, 1)
        assert first["dueDate"] == str(today + 7 * DAY), lines
        clock.set(at_ten_in_new_york(today + 8 * DAY))
        let_due_job_run(3)
        assert plan(clinic_id, plan_id)["status"] == "PAUSED"
        assert line_of(schedule(clinic_id, plan_id), 1)["status"] == "SCHEDULED"
        assert not events.events("plans.payment.requested.v1", clinic_id,
                                 lambda b: b["planId"] == plan_id and b["kind"] == "installment")
        # Past the pause's end: active again by itself, every open installment 30 days later.
        clock.set(at_ten_in_new_york(today + 31 * DAY))
        resumed = wait_plan(clinic_id, plan_id, lambda p: p["status"] == "ACTIVE", "the pause did not end by itself")
        events.wait_for("plans.plan.resumed.v1", clinic_id, lambda b: b["planId"] == plan_id and b["financed"] == usd(48_000))
        assert resumed["pausedDaysUsed"] == 30 and resumed.get("pausedUntil") is None, resumed
        moved = schedule(clinic_id, plan_id)
        before = {line["number"]: line for line in lines}
        for line in moved:
            if line["number"] == 0:
                assert line["status"] == "PAID" and line["dueDate"] == before[0]["dueDate"], line
                continue
            expected = datetime.date.fromisoformat(before[line["number"]]["dueDate"]) + 30 * DAY
            assert line["status"] == "SCHEDULED" and line["dueDate"] == str(expected), (line, before[line["number"]])
        assert resumed["nextPaymentDate"] == str(today + 37 * DAY), resumed
        assert_installments_exact(moved, 48_000)
        let_due_job_run(2)
        assert not events.events("plans.payment.requested.v1", clinic_id,
                                 lambda b: b["planId"] == plan_id and b["kind"] == "installment")
    assert plan_payments(clinic_id, plan_id, "succeeded") == 1
    assert_books_balanced(clinic_id, {patient: 48_000})


def test_changing_the_term_or_the_installment_recalculates_only_the_open_installments(clinic_id, publisher):
    patient = new_patient("modify")
    with EventWatcher(*PLAN_EVENTS) as events, moved_clock() as clock:
        active, lines = open_plan(publisher, clinic_id, patient, 120_000, 24_000, 12)
        plan_id = active["id"]
        assert [line["amount"]["amount"] for line in lines[1:]] == [8_000] * 12, lines
        clock.set(at_ten_in_new_york(line_of(lines, 1)["dueDate"]))
        wait_plan(clinic_id, plan_id, lambda p: p["completedPayments"] == 1, "installment 1 was not collected")
    paid_lines = [line for line in schedule(clinic_id, plan_id) if line["status"] == "PAID"]
    assert [line["number"] for line in paid_lines] == [0, 1], paid_lines
    with EventWatcher(*PLAN_EVENTS) as events:
        # Six installments in all: the paid one stays, the 88,000 still open is spread over five.
        shorter = ok(call("PUT", f"/{plan_id}", clinic_id, {"numberOfPayments": 6}))
        assert shorter["numberOfPayments"] == 6 and shorter["termsVersion"] == 2 and shorter["signatureNeeded"], shorter
        assert shorter["status"] == "ACTIVE" and shorter["remainingBalance"] == usd(88_000), shorter
        assert shorter["monthlyPayment"] == usd(17_600), shorter
        shown = schedule(clinic_id, plan_id)
        assert [line for line in shown if line["status"] == "PAID"] == paid_lines, shown
        open_lines = [line for line in shown if line["status"] != "PAID"]
        assert [line["amount"]["amount"] for line in open_lines] == [17_600] * 5, shown
        assert [line["number"] for line in open_lines] == [2, 3, 4, 5, 6], shown
        assert [line["dueDate"] for line in open_lines] == [line_of(lines, n)["dueDate"] for n in range(2, 7)], shown
        assert not {line["installmentId"] for line in open_lines} & {line["installmentId"] for line in lines}, shown
        assert_installments_exact(shown, 96_000)
        events.wait_for("plans.plan.updated.v1", clinic_id, lambda b: b["planId"] == plan_id and b["financed"] == usd(88_000))
        # A chosen installment amount: 30,000 a month, the last one what is left.
        by_amount = ok(call("PUT", f"/{plan_id}", clinic_id, {"installmentAmount": usd(30_000)}))
        assert by_amount["numberOfPayments"] == 4 and by_amount["termsVersion"] == 3 and by_amount["signatureNeeded"], by_amount
        shown = schedule(clinic_id, plan_id)
        assert [line for line in shown if line["status"] == "PAID"] == paid_lines, shown
        assert [line["amount"]["amount"] for line in shown if line["status"] != "PAID"] == [30_000, 30_000, 28_000], shown
        assert_installments_exact(shown, 96_000)
        assert plan(clinic_id, plan_id)["remainingBalance"] == usd(88_000)
        # Beyond the policy's longest term (12 months for this amount): refused, nothing changed.
        for body in ({"numberOfPayments": 13}, {"installmentAmount": usd(5_000)}):
            assert_error(call("PUT", f"/{plan_id}", clinic_id, body), 422, "term_too_long")
        assert schedule(clinic_id, plan_id) == shown
        assert plan(clinic_id, plan_id)["termsVersion"] == 3
        # The new terms are signed like the first ones.
        signed = sign(clinic_id, plan_id, patient)
        assert not signed["signatureNeeded"] and signed["termsVersion"] == 3, signed
        text = pdf_text(agreement_bytes(clinic_id, plan_id))
        assert "280.00 USD" in text and "300.00 USD" in text, text
    assert_books_balanced(clinic_id, {patient: 88_000})


def payoff_payments(clinic, plan_id):
    return int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = {q(clinic)} AND plan_id = {q(plan_id)} "
                   f"AND installment_id LIKE '%-payoff-%'"))


def test_paying_a_plan_off_by_card_charges_the_quote_once(clinic_id, publisher):
    patient = new_patient("payoff")
    active, _ = open_plan(publisher, clinic_id, patient, 90_000, 18_000, 6)
    plan_id = active["id"]
    quote = ok(call("GET", f"/{plan_id}/payoff", clinic_id))
    assert quote["payoffAmount"] == usd(72_000) == quote["remainingBalance"] == active["remainingBalance"], quote
    assert quote["interestWaived"] == usd(0) and quote["state"] == "quote", quote
    # The patient may read the quote too.
    assert ok(call("GET", f"/{plan_id}/payoff", clinic_id, role="patient", patient=patient))["payoffAmount"] == usd(72_000)
    key = str(uuid.uuid4())
    with EventWatcher(*PLAN_EVENTS) as events:
        first = ok(call("POST", f"/{plan_id}/payoff", clinic_id, {"method": "card"}, key=key))
        assert first["state"] == "requested" and first["payoffAmount"] == usd(72_000), first
        again = ok(call("POST", f"/{plan_id}/payoff", clinic_id, {"method": "card"}, key=key))
        assert again == first
        done = wait_plan(clinic_id, plan_id, lambda p: p["status"] == "COMPLETED", "the payoff did not complete the plan")
        events.wait_for("plans.plan.completed.v1", clinic_id, lambda b: b["planId"] == plan_id and b["financed"] == usd(0))
        requested = events.events("plans.payment.requested.v1", clinic_id, lambda b: b["planId"] == plan_id)
        assert [(b["kind"], b["amount"]) for b in requested] == [("payoff", usd(72_000))], requested
    # The same key after the plan completed: still the first answer, and no second charge.
    assert ok(call("POST", f"/{plan_id}/payoff", clinic_id, {"method": "card"}, key=key)) == first
    assert done["remainingBalance"] == usd(0) and done["completedPayments"] == 6, done
    assert all(line["status"] == "PAID" for line in schedule(clinic_id, plan_id))
    assert payoff_payments(clinic_id, plan_id) == 1
    assert plan_payments(clinic_id, plan_id, "succeeded") == 2  # the down payment and the payoff
    assert ok(call("GET", f"/{plan_id}/payoff", clinic_id))["payoffAmount"] == usd(0)
    assert_books_balanced(clinic_id, {patient: 0})


def test_paying_a_plan_off_in_cash_at_the_desk(clinic_id, publisher):
    patient = new_patient("payoffcash")
    active, _ = open_plan(publisher, clinic_id, patient, 90_000, 18_000, 6)
    plan_id = active["id"]
    answer = ok(call("POST", f"/{plan_id}/payoff", clinic_id, {"method": "cash"}, key="new"))
    assert answer["state"] == "quote" and answer["payoffAmount"] == usd(72_000), answer
    assert plan_id in answer["instructions"] and "720.00 USD" in answer["instructions"], answer
    assert plan(clinic_id, plan_id)["status"] == "ACTIVE"  # nothing is charged for a cash payoff
    desk = paid(clinic_id, payment_body(patient, 72_000, "cash", planId=plan_id))
    assert desk["status"] == "succeeded", desk
    done = wait_plan(clinic_id, plan_id, lambda p: p["status"] == "COMPLETED", "the desk payment did not complete the plan")
    assert done["remainingBalance"] == usd(0), done
    assert payoff_payments(clinic_id, plan_id) == 0
    assert_books_balanced(clinic_id, {patient: 0})


def test_insurance_paying_part_of_a_financed_treatment_lowers_the_remaining_installments(clinic_id, publisher):
    patient = new_patient("reamort")
    treatment = f"tp-{uuid.uuid4().hex[:8]}"
    crown = treatment_charge(publisher, clinic_id, patient, 100_000, treatment, code="D2740", tooth="3")
    bridge = treatment_charge(publisher, clinic_id, patient, 50_000, treatment, code="D6240", tooth="4")
    active, lines = open_plan(publisher, clinic_id, patient, 150_000, 30_000, 12, charge=False, treatmentPlanId=treatment)
    plan_id = active["id"]
    assert active["treatmentPlanId"] == treatment and [line["amount"]["amount"] for line in lines[1:]] == [10_000] * 12
    claim, trace = f"clm-{uuid.uuid4().hex[:8]}", f"EFT-{uuid.uuid4().hex[:8]}"
    remittance = claim_paid_body(claim, patient, trace, [(crown, 100_000, 40_000, 10_000, 50_000)])
    with EventWatcher(*PLAN_EVENTS) as events:
        first = publish(publisher, "insurance.claim.paid.v1", clinic_id, remittance)
        wait_consumed(first, "plans")
        wait_consumed(first, "payments")
        # The patient now owes 100,000 for the treatment: 30,000 paid down, 70,000 over the same twelve months.
        updated = wait_plan(clinic_id, plan_id, lambda p: p["remainingBalance"] == usd(70_000),
                            "the remittance did not lower the plan")
        events.wait_for("plans.plan.updated.v1", clinic_id, lambda b: b["planId"] == plan_id and b["financed"] == usd(70_000))
        assert updated["status"] == "ACTIVE" and updated["totalAmount"] == usd(100_000), updated
        assert updated["financedAmount"] == usd(70_000) and updated["numberOfPayments"] == 12, updated
        shown = schedule(clinic_id, plan_id)
        installments = [line for line in shown if line["kind"] == "installment"]
        assert [line["amount"]["amount"] for line in installments] == [5_833] * 11 + [5_837], shown
        assert [line["dueDate"] for line in installments] == [line["dueDate"] for line in lines[1:]], shown
        assert line_of(shown, 0)["status"] == "PAID" and line_of(shown, 0)["amount"] == usd(30_000), shown
        assert_installments_exact(shown, 70_000)
        # Payments posted the insurance payment and the write-off: the balance is what the plan still finances.
        assert balance(clinic_id, patient) == 70_000
        assert account(clinic_id, patient)["collectible"] == [usd(0)]
        # The same remittance again (insurance re-sent it): nothing changes.
        again = publish(publisher, "insurance.claim.paid.v1", clinic_id, remittance)
        wait_consumed(again, "plans")
        wait_consumed(again, "payments")
        assert schedule(clinic_id, plan_id) == shown
        assert plan(clinic_id, plan_id)["updatedAt"] == updated["updatedAt"]
        assert balance(clinic_id, patient) == 70_000
        assert len(events.events("plans.plan.updated.v1", clinic_id, lambda b: b["planId"] == plan_id)) == 1
    # Work outside the plan is owed beside it, and collectible.
    post_charge(publisher, clinic_id, patient, 5_000)
    assert account(clinic_id, patient)["collectible"] == [usd(5_000)]
    assert plan(clinic_id, plan_id)["remainingBalance"] == usd(70_000)
    assert_books_balanced(clinic_id, {patient: 75_000})


def test_a_plan_built_from_an_accepted_estimate_finances_the_patient_portion(clinic_id, publisher):
    patient, other = new_patient("estimate"), new_patient("estother")
    estimate_id, treatment = f"est-{uuid.uuid4().hex[:8]}", f"tp-{uuid.uuid4().hex[:8]}"
    event = publish(publisher, "insurance.estimate.accepted.v1", clinic_id,
                    estimate_body(estimate_id, patient, 400_000, 150_000, treatment, "orthodontics"))
    wait_consumed(event, "plans")
    body = {"patientId": patient, "estimateId": estimate_id, "numberOfPayments": 30, "frequency": "MONTHLY"}
    created = ok(call("POST", "", clinic_id, body, key="new"), 201)
    assert created["totalAmount"] == usd(400_000) and created["estimateId"] == estimate_id, created
    assert created["treatmentPlanId"] == treatment and created["treatmentType"] == "orthodontics", created
    # The policy's minimum down payment (20 %), no interest for orthodontics, 30 months allowed for it.
    assert created["downPayment"] == usd(80_000) and created["financedAmount"] == usd(320_000), created
    assert created["aprBasisPoints"] == 0 and created["numberOfPayments"] == 30, created
    assert_installments_exact(schedule(clinic_id, created["id"]), 320_000)
    # The options for the estimate: its patient portion, for its patient (whose history may shorten the 36 months).
    offered = options(clinic_id, {"estimateId": estimate_id})
    assert offered["totalAmount"] == usd(400_000) and offered["risk"] is not None, offered
    longest = min(36, offered["risk"]["adjustment"].get("maxTermMonths") or 36)
    assert max(o["termMonths"] for o in offered["options"]) == longest, offered
    assert all(o["aprBasisPoints"] == 0 for o in offered["options"]), offered
    # An estimate nobody accepted, or one accepted by another patient: refused.
    for unknown in ({**body, "estimateId": "est-nobody"}, {**body, "patientId": other}):
        assert_error(call("POST", "", clinic_id, unknown, key="new"), 422, "estimate_unknown")
    assert_error(call("POST", "/options", clinic_id, {"estimateId": "est-nobody"}), 422, "estimate_unknown")
    # No more than the portion the patient accepted.
    assert_error(call("POST", "", clinic_id, {**body, "totalAmount": usd(400_001)}, key="new"), 422, "amount_invalid")


def test_autopay_needs_the_patients_own_saved_method_and_a_plan_without_signature_or_down_payment_starts_at_once(
        clinic_id, publisher):
    patient, stranger = new_patient("autopay"), new_patient("stranger")
    post_charge(publisher, clinic_id, patient, 40_000)
    post_charge(publisher, clinic_id, stranger, 1_000)
    theirs = method_known_to_plans(clinic_id, stranger)
    body = {"patientId": patient, "totalAmount": usd(40_000), "downPayment": usd(8_000), "numberOfPayments": 4}
    assert_error(call("POST", "", clinic_id, {**body, "autoPayEnabled": True}, key="new"), 422, "payment_method_required")
    assert_error(call("POST", "", clinic_id, {**body, "paymentMethodId": theirs, "autoPayEnabled": True}, key="new"),
                 422, "payment_method_unknown")
    assert_error(call("POST", "", clinic_id, {**body, "paymentMethodId": "pm_doesnotexist"}, key="new"),
                 422, "payment_method_unknown")
    # The standard policy wants 20 % down.
    assert_error(create(clinic_id, patient, 40_000, 0, 4), 422, "down_payment_too_small")
    # This clinic asks neither a signature nor a down payment (only an admin may say so).
    assert_error(set_policy(clinic_id, role="billing_staff", signatureRequired=False), 403, "permission_denied")
    policy = no_signature_no_down_payment(clinic_id)
    assert policy["signatureRequired"] is False and policy["minDownPaymentPercent"] == 0, policy
    assert policy["maxPauseDays"] == 60, policy  # keys left out keep their standard value
    assert ok(call("GET", "/policy", clinic_id)) == policy
    method = method_known_to_plans(clinic_id, patient)
    with EventWatcher(*PLAN_EVENTS) as events:
        created = ok(create(clinic_id, patient, 40_000, 0, 4, method=method), 201)
        plan_id = created["id"]
        assert created["status"] == "ACTIVE" and not created["signatureNeeded"], created
        assert [line["kind"] for line in schedule(clinic_id, plan_id)] == ["installment"] * 4
        events.wait_for("plans.plan.activated.v1", clinic_id, lambda b: b["planId"] == plan_id and b["financed"] == usd(40_000))
        assert not events.events("plans.payment.requested.v1", clinic_id, lambda b: b["planId"] == plan_id)
    wait_until(lambda: account(clinic_id, patient)["financedByPlans"] == [usd(40_000)] or account(clinic_id, patient), 30,
               "payments did not hear what the plan finances")
    assert account(clinic_id, patient)["collectible"] == [usd(0)]
    assert_books_balanced(clinic_id, {patient: 40_000, stranger: 1_000})


def test_a_patient_sees_only_its_own_plans_and_each_role_only_what_it_may_do(clinic_id):
    mine, theirs = new_patient("mine"), new_patient("theirs")
    my_plan = ok(create(clinic_id, mine, 50_000, 10_000, 5), 201)
    their_plan = ok(create(clinic_id, theirs, 70_000, 14_000, 7), 201)
    listed = ok(call("GET", "", clinic_id, role="patient", patient=mine))
    assert [p["id"] for p in listed["data"]] == [my_plan["id"]], listed
    # Asking for another patient's plans by filter shows still only its own.
    filtered = ok(call("GET", f"?patientId={theirs}", clinic_id, role="patient", patient=mine))
    assert [p["id"] for p in filtered["data"]] == [my_plan["id"]], filtered
    staff = ok(call("GET", "?limit=10", clinic_id))
    assert {p["id"] for p in staff["data"]} == {my_plan["id"], their_plan["id"]}, staff
    for suffix in ["", "/schedule", "/agreement.pdf", "/payoff"]:
        assert call("GET", f"/{my_plan['id']}{suffix}", clinic_id, role="patient", patient=mine).status == 200, suffix
        assert_error(call("GET", f"/{their_plan['id']}{suffix}", clinic_id, role="patient", patient=mine), 404,
                     "resource_missing")
    # Signing another patient's plan is refused the same way.
    assert_error(call("POST", f"/{their_plan['id']}/sign", clinic_id, {"signedBy": "Ana Lopez"}, role="patient",
                      patient=mine), 404, "resource_missing")
    assert_error(set_policy(clinic_id, role="billing_staff", maxPauseDays=90), 403, "permission_denied")
    assert ok(call("GET", "/policy", clinic_id))["maxPauseDays"] == 60
    denied = call("POST", "", clinic_id, {"patientId": mine, "totalAmount": usd(10_000), "numberOfPayments": 2},
                  role="insurance_specialist", key="new")
    assert_error(denied, 403, "permission_denied")
    assert call("GET", f"/{my_plan['id']}", clinic_id, role="insurance_specialist").status == 200
    for role in ("insurance_specialist", "patient"):
        assert_error(call("POST", f"/{my_plan['id']}/cancel", clinic_id, {}, role=role, patient=mine), 403,
                     "permission_denied")
    assert plan(clinic_id, my_plan["id"])["status"] == "PENDING"


def test_a_cash_desk_payment_naming_only_the_plan_pays_the_oldest_amounts_owed_first(clinic_id, publisher):
    patient = new_patient("desk")
    post_charge(publisher, clinic_id, patient, 100_000)
    created = ok(create(clinic_id, patient, 100_000, 20_000, 10), 201)  # no autopay: paid at the desk
    plan_id = created["id"]
    sign(clinic_id, plan_id, patient)
    assert plan(clinic_id, plan_id)["status"] == "PENDING"  # the down payment is still owed
    # 25,000 naming the plan, no installment: the down payment (20,000) first, then 5,000 of installment 1.
    desk = paid(clinic_id, payment_body(patient, 25_000, "cash", planId=plan_id))
    assert desk["status"] == "succeeded", desk
    active = wait_plan(clinic_id, plan_id, lambda p: p["status"] == "ACTIVE", "paying the down payment did not activate the plan")
    shown = schedule(clinic_id, plan_id)
    assert line_of(shown, 0)["status"] == "PAID" and line_of(shown, 0)["paid"] == usd(20_000), shown
    assert line_of(shown, 1)["status"] == "SCHEDULED" and line_of(shown, 1)["paid"] == usd(5_000), shown
    assert all(line["paid"] == usd(0) for line in shown if line["number"] > 1), shown
    assert active["remainingBalance"] == usd(75_000), active
    # The rest of installment 1 and 3,000 of installment 2.
    paid(clinic_id, payment_body(patient, 6_000, "cash", planId=plan_id))
    wait_plan(clinic_id, plan_id, lambda p: p["completedPayments"] == 1, "the desk payment did not finish installment 1")
    shown = schedule(clinic_id, plan_id)
    assert line_of(shown, 1)["status"] == "PAID" and line_of(shown, 2)["paid"] == usd(3_000), shown
    assert_books_balanced(clinic_id, {patient: 69_000})


def test_stats_show_success_by_term_and_frequency(clinic_id, publisher):
    no_signature_no_down_payment(clinic_id)
    patients = {name: new_patient(f"stats{name}") for name in "ABCDE"}
    defaulting, _ = open_plan(publisher, clinic_id, patients["A"], 60_000, 0, 6, card=DECLINED)
    six, _ = open_plan(publisher, clinic_id, patients["B"], 30_000, 0, 6)
    three, _ = open_plan(publisher, clinic_id, patients["C"], 15_000, 0, 3)
    post_charge(publisher, clinic_id, patients["D"], 9_000)
    cancelled = ok(create(clinic_id, patients["D"], 9_000, 0, 3), 201)
    running, running_lines = open_plan(publisher, clinic_id, patients["E"], 36_000, 0, 12)
    for paid_off in (six, three):
        ok(call("POST", f"/{paid_off['id']}/payoff", clinic_id, {"method": "card"}, key="new"))
        wait_plan(clinic_id, paid_off["id"], lambda p: p["status"] == "COMPLETED", "the payoff did not complete the plan")
    assert ok(call("POST", f"/{cancelled['id']}/cancel", clinic_id, {"reason": "treatment not done"}))["status"] == "CANCELLED"
    with moved_clock() as clock:
        lines = schedule(clinic_id, defaulting["id"])
        for number in (1, 2, 3):
            clock.set(at_ten_in_new_york(line_of(lines, number)["dueDate"]))
            wait_line(clinic_id, defaulting["id"], number, "MISSED")
            wait_plan(clinic_id, running["id"], lambda p: p["completedPayments"] == number,
                      f"installment {number} of the running plan was not collected")
        wait_plan(clinic_id, defaulting["id"], lambda p: p["status"] == "DEFAULTED", "the plan did not default")
    stats = ok(call("GET", "/stats", clinic_id))
    rows = {(row["numberOfPayments"], row["frequency"]): row for row in stats["byTerm"]}
    assert set(rows) == {(3, "MONTHLY"), (6, "MONTHLY"), (12, "MONTHLY")}, stats
    expected = {(3, "MONTHLY"): dict(plans=2, active=0, completed=1, defaulted=0, cancelled=1, successRate=1.0),
                (6, "MONTHLY"): dict(plans=2, active=0, completed=1, defaulted=1, cancelled=0, successRate=0.5),
                (12, "MONTHLY"): dict(plans=1, active=1, completed=0, defaulted=0, cancelled=0, successRate=None)}
    for key, values in expected.items():
        row = rows[key]
        assert {name: row.get(name) for name in values} == values, (key, row)
        decided = row["completed"] + row["defaulted"]
        assert row.get("successRate") == (round(row["completed"] / decided, 3) if decided else None), row
    # Every installment paid so far was paid on its due date (a payoff settles the rest early).
    assert rows[(12, "MONTHLY")]["onTimeRate"] == 1.0 and rows[(6, "MONTHLY")]["onTimeRate"] == 1.0, stats
    remaining = plan(clinic_id, running["id"])["remainingBalance"]
    assert remaining == usd(27_000) and stats["outstanding"] == [remaining], stats
    assert_books_balanced(clinic_id, {patients["A"]: 60_000, patients["B"]: 0, patients["C"]: 0, patients["D"]: 9_000,
                                      patients["E"]: 27_000})


def declined_at_the_desk(clinic, patient, times):
    """Card payments at the desk that the card's bank declines: payments tells plans of each decline."""
    for _ in range(times):
        answer = pay(clinic, payment_body(patient, 1_000, "card", token=DECLINED))
        assert answer.status == 201 and answer.body["failure"]["code"] == "card_declined", answer.text
    wait_until(lambda: sql(f"SELECT declines FROM plans.payment_history WHERE clinic_id = {q(clinic)} "
                           f"AND patient_id = {q(patient)}") == str(times) or "not yet", 30,
               f"plans did not hear of {times} declines")


def test_options_are_shaped_by_payment_behaviour_only(clinic_id, publisher):
    # A patient whose card was declined again and again, and a patient the practice knows nothing about.
    risky, fresh = new_patient("risky"), new_patient("fresh")
    post_charge(publisher, clinic_id, risky, 50_000)
    declined_at_the_desk(clinic_id, risky, 5)
    ask = {"totalAmount": usd(400_000), "frequencies": ["MONTHLY"]}
    bad = options(clinic_id, {**ask, "patientId": risky})
    new = options(clinic_id, {**ask, "patientId": fresh})
    assert bad["risk"]["tier"] == "high" and new["risk"]["tier"] != "high", (bad["risk"], new["risk"])
    assert bad["risk"]["probability"] < new["risk"]["probability"], (bad["risk"], new["risk"])
    facts = [reason["fact"] for reason in bad["risk"]["reasons"]]
    assert "5 card declines in the last 12 months" in facts, bad["risk"]
    assert new["risk"]["reasons"] == [], new["risk"]
    longest = lambda answer: max(o["termMonths"] for o in answer["options"])
    down = lambda answer: {o["downPayment"]["amount"] for o in answer["options"]}
    assert longest(bad) < longest(new) <= 24, (bad, new)
    assert len(down(bad)) == 1 and len(down(new)) == 1 and min(down(bad)) > min(down(new)) >= 80_000, (bad, new)
    for answer in (bad, new):
        for option in answer["options"]:
            assert option["financedAmount"]["amount"] == 400_000 - option["downPayment"]["amount"], option
    # Without a patient: the policy's own terms (up to 24 months for this amount), no risk.
    anyone = options(clinic_id, ask)
    assert anyone.get("risk") is None and longest(anyone) == 24 and down(anyone) == {80_000}, anyone

    # Two patients who paid alike but differ in name, language, address and age: the same options, the same risk.
    twins = [new_patient("twin"), new_patient("twin")]
    registrations = [
        registration_body(twins[0], "Ana", "Lopez", "es-MX",
                          {"lines": ["12 Elm St"], "city": "Springfield", "region": "IL", "postalCode": "62701",
                           "country": "US"}, "1986-04-12"),
        registration_body(twins[1], "John", "Whitaker", "en",
                          {"lines": ["1 Park Ave", "Apt 40"], "city": "New York", "region": "NY", "postalCode": "10016",
                           "country": "US"}, "1951-09-30"),
    ]
    for body in registrations:
        wait_consumed(publish(publisher, "clinic.patient.registered.v1", clinic_id, body), "plans")
    for twin in twins:
        post_charge(publisher, clinic_id, twin, 20_000)
        declined_at_the_desk(clinic_id, twin, 2)
        paid(clinic_id, payment_body(twin, 20_000, "cash"))
    first, second = (options(clinic_id, {**ask, "patientId": twin}) for twin in twins)
    assert first["risk"] == second["risk"], (first["risk"], second["risk"])
    assert first["options"] == second["options"], (first, second)
    assert "2 card declines in the last 12 months" in [reason["fact"] for reason in first["risk"]["reasons"]], first
    assert_books_balanced(clinic_id, {risky: 50_000, twins[0]: 0, twins[1]: 0})


def test_an_agreement_digest_with_a_long_run_of_digits_is_not_taken_for_a_card_number(clinic_id):
    """A SHA-256 in hex is 64 characters of 0-9a-f: about one agreement in 230 has 13-19 decimal digits in a row
    that pass the Luhn check. Signing must not fail for it (here: a digest that is not the agreement's, so the
    answer is agreement_changed — never card_number_refused)."""
    patient = new_patient("digest")
    created = ok(create(clinic_id, patient, 50_000, 10_000, 5), 201)
    digest = "a" + "4242424242424242" + "b" * 47
    assert len(digest) == 64
    answer = call("POST", f"/{created['id']}/sign", clinic_id, {"signedBy": "Ana Lopez", "agreementSHA256": digest},
                  role="patient", patient=patient)
    assert_error(answer, 409, "agreement_changed")
