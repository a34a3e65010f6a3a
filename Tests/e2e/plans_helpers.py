"""Helpers of the payment plan end-to-end tests: the spec's HTTP API as the billing office and the patient
call it, the plan's events, and the checks a plan test ends with (installments exact, books balanced)."""
import datetime
import re
import subprocess
import tempfile
import uuid

from conftest import request, run_dev, sql, token, wait_until
from payments_helpers import post_charge, q, saved_method, usd

BASE = "/api/billing/payment-plans"
PLAN_EVENTS = ["plans.plan.created.v1", "plans.plan.activated.v1", "plans.plan.paused.v1", "plans.plan.resumed.v1",
               "plans.plan.updated.v1", "plans.plan.defaulted.v1", "plans.plan.completed.v1",
               "plans.plan.cancelled.v1", "plans.payment.requested.v1", "plans.plan.offered.v1"]


def call(method, path, clinic, body=None, role="billing_staff", patient=None, key=None):
    """One call to the plans API; `key="new"` sends a fresh Idempotency-Key."""
    headers = {}
    if key is not None:
        headers["Idempotency-Key"] = str(uuid.uuid4()) if key == "new" else key
    bearer = token(role, clinic, patient=patient) if role == "patient" else token(role, clinic)
    return request(method, "plans", BASE + path, bearer=bearer, body=body, headers=headers, timeout=60)


def ok(answer, status=200):
    assert answer.status == status, (answer.status, answer.text)
    return answer.body


def plan(clinic, plan_id, role="billing_staff", patient=None):
    return ok(call("GET", f"/{plan_id}", clinic, role=role, patient=patient))


def schedule(clinic, plan_id):
    return ok(call("GET", f"/{plan_id}/schedule", clinic))["payments"]


def service_today():
    """The service clock's day in the clinic's zone (America/New_York), from `scripts/dev clock show`."""
    shown = run_dev("clock", "show").stdout
    moment = datetime.datetime.fromisoformat(re.search(r"clock: (\S+)", shown).group(1).replace("Z", "+00:00"))
    return (moment - datetime.timedelta(hours=5)).date()  # EST; the tests keep clear of the DST hour


def at_ten_in_new_york(day):
    """15:00 UTC on `day`: 10:00 in the clinic's zone, that day."""
    return f"{day}T15:00"


def method_known_to_plans(clinic, patient, card="tok_visa"):
    """A card saved in payments (with an auto-charge authorization), once plans has heard of it."""
    method = saved_method(clinic, patient, card, {"consentText": "I authorize the practice to charge this card for my plan.",
                                                   "channel": "in_person"})
    wait_until(lambda: sql(f"SELECT count(*) FROM plans.payment_methods WHERE clinic_id = {q(clinic)} "
                           f"AND payment_method_id = {q(method['id'])}") == "1" or "not yet", 30,
               "plans did not hear of the saved card")
    return method["id"]


def create(clinic, patient, total, down, count, method=None, frequency="MONTHLY", start=None, key="new", **extra):
    body = {"patientId": patient, "totalAmount": usd(total), "downPayment": usd(down), "numberOfPayments": count,
            "frequency": frequency, **extra}
    if method is not None:
        body.update(paymentMethodId=method, autoPayEnabled=True)
    if start is not None:
        body["startDate"] = str(start)
    return call("POST", "", clinic, body, role="billing_staff", key=key)


def sign(clinic, plan_id, patient, name="Ana Lopez"):
    """The patient signs what they were shown: the agreement's SHA-256 goes with the signature."""
    import hashlib
    pdf = call("GET", f"/{plan_id}/agreement.pdf", clinic, role="patient", patient=patient)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf", (pdf.status, pdf.text[:200])
    digest = hashlib.sha256(agreement_bytes(clinic, plan_id, patient)).hexdigest()
    return ok(call("POST", f"/{plan_id}/sign", clinic, {"signedBy": name, "agreementSHA256": digest},
                   role="patient", patient=patient))


def agreement_bytes(clinic, plan_id, patient=None):
    """The agreement PDF's raw bytes (the test client decodes text; fetch the bytes directly)."""
    import urllib.request
    from conftest import http_port
    bearer = token("patient", clinic, patient=patient) if patient else token("billing_staff", clinic)
    url = f"http://127.0.0.1:{http_port('plans')}{BASE}/{plan_id}/agreement.pdf"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {bearer}"}),
                                timeout=30) as answer:
        return answer.read()


def pdf_text(raw):
    """qpdf --check must pass; returns pdftotext's text."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(raw)
        file.flush()
        check = subprocess.run(["qpdf", "--check", file.name], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        return subprocess.run(["pdftotext", "-layout", file.name, "-"], capture_output=True, text=True,
                              check=True).stdout


def wait_plan(clinic, plan_id, check, message, timeout=45):
    """Waits until `check(plan)` is true; returns the plan."""
    def reached():
        shown = plan(clinic, plan_id)
        return True if check(shown) else f"status {shown['status']}, completed {shown['completedPayments']}, " \
                                         f"remaining {shown['remainingBalance']['amount']}"
    wait_until(reached, timeout, message)
    return plan(clinic, plan_id)


def plan_payments(clinic, plan_id, status="succeeded"):
    """How many payments payments holds for the plan (read as the superuser), by status."""
    return int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = {q(clinic)} AND plan_id = {q(plan_id)} "
                   f"AND status = {q(status)}"))


def assert_installments_exact(shown_schedule, financed):
    installments = [line for line in shown_schedule if line["kind"] == "installment" and line["status"] != "CANCELLED"]
    assert sum(line["principal"]["amount"] for line in installments) == financed, shown_schedule


# ---------------------------------------------------------------- policy, plans in a given state, other services' events

def set_policy(clinic, role="admin", **policy):
    """PUT …/policy (keys left out keep their standard value); returns the Response."""
    return call("PUT", "/policy", clinic, policy, role=role)


def no_signature_no_down_payment(clinic):
    """The clinic's policy lets a plan start at once: no signature, no minimum down payment."""
    return ok(set_policy(clinic, signatureRequired=False, minDownPaymentPercent=0))


def open_plan(publisher, clinic, patient, total, down, count, card="tok_visa", frequency="MONTHLY", charge=True, **extra):
    """A plan on autopay that is ACTIVE: the patient's charge of `total` posted (unless `charge` is False), a card
    saved, the plan created, signed when the clinic's policy asks for it, the down payment (if any) collected.
    Returns (plan, schedule)."""
    if charge:
        post_charge(publisher, clinic, patient, total)
    method = method_known_to_plans(clinic, patient, card)
    created = ok(create(clinic, patient, total, down, count, method=method, frequency=frequency, **extra), 201)
    if created["signatureNeeded"]:
        sign(clinic, created["id"], patient)
    active = wait_plan(clinic, created["id"], lambda p: p["status"] == "ACTIVE", "the plan did not become ACTIVE")
    return active, schedule(clinic, created["id"])


def due_job_passes():
    return int(sql("SELECT coalesce(sum(runs), 0) FROM plans.scheduled_jobs WHERE name = 'plans.due'") or 0)


def let_due_job_run(passes=2, timeout=40):
    """Before asserting that plans did NOT do something: waits until its due job ran `passes` more times."""
    start = due_job_passes()
    wait_until(lambda: due_job_passes() >= start + passes or f"{due_job_passes() - start} passes", timeout,
               f"plans' due job did not run {passes} more times")


def line_of(shown_schedule, number):
    return next(line for line in shown_schedule if line["number"] == number)


def wait_line(clinic, plan_id, number, status, timeout=45):
    """Waits until scheduled payment `number` (0: the down payment) has `status`; returns the schedule."""
    def reached():
        line = line_of(schedule(clinic, plan_id), number)
        return True if line["status"] == status else f"installment {number} is {line['status']}"
    wait_until(reached, timeout, f"installment {number} of {plan_id} did not become {status}")
    return schedule(clinic, plan_id)


def treatment_charge(publisher, clinic, patient, amount, treatment_plan_id, **procedure):
    """A charge for work of a treatment plan (clinic.charge.posted.v1 with treatmentPlanId), once payments shows
    it on the balance and plans has recorded it for the treatment plan. Returns the charge id."""
    from payments_helpers import CHARGE, balance_or_zero, charge_payload, publish
    body = charge_payload(patient, amount, **procedure)
    body["treatmentPlanId"] = treatment_plan_id
    before = balance_or_zero(clinic, patient)
    publish(publisher, CHARGE, clinic, body)
    wait_until(lambda: balance_or_zero(clinic, patient) == before + amount or balance_or_zero(clinic, patient), 30,
               f"the charge {body['chargeId']} did not reach the balance")
    wait_until(lambda: sql(f"SELECT count(*) FROM plans.charges WHERE clinic_id = {q(clinic)} AND charge_id = "
                           f"{q(body['chargeId'])} AND treatment_plan_id = {q(treatment_plan_id)}") == "1" or "not yet",
               30, f"plans did not record the charge {body['chargeId']} for {treatment_plan_id}")
    return body["chargeId"]


def claim_paid_body(claim_id, patient, trace, lines):
    """insurance.claim.paid.v1 (Contracts ClaimPaid); lines: (chargeId, billed, paid, contractual, patientShare)."""
    return {"claimId": claim_id, "patientId": patient, "payerId": "60054", "traceNumber": trace,
            "paymentDate": datetime.date.today().isoformat(),
            "lines": [{"chargeId": c, "billed": usd(b), "paid": usd(p), "contractualAdjustment": usd(a),
                       "patientResponsibility": usd(r)} for c, b, p, a, r in lines]}


def estimate_body(estimate_id, patient, patient_portion, insurance_portion, treatment_plan_id=None, treatment_type=None):
    """insurance.estimate.accepted.v1 (Contracts EstimateAccepted)."""
    return {"estimateId": estimate_id, "patientId": patient, "treatmentPlanId": treatment_plan_id,
            "treatmentType": treatment_type, "totalFee": usd(patient_portion + insurance_portion),
            "insurancePortion": usd(insurance_portion), "patientPortion": usd(patient_portion), "acceptedBy": patient,
            "acceptedAt": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}


def registration_body(patient, given, family, language, address, born):
    """clinic.patient.registered.v1 (Contracts PatientRegistered)."""
    return {"patientId": patient, "name": {"given": given, "family": family}, "dateOfBirth": born,
            "contacts": {"email": f"{given.lower()}.{family.lower()}@example.com", "mobilePhone": "+15551234567",
                         "address": address},
            "consents": {"email": True, "sms": False, "cardOnFileAutoCharge": False}, "preferredLanguage": language}


def options(clinic, body):
    return ok(call("POST", "/options", clinic, body))
