"""Helpers of the payment plan end-to-end tests: the spec's HTTP API as the billing office and the patient
call it, the plan's events, and the checks a plan test ends with (installments exact, books balanced)."""
import datetime
import re
import subprocess
import tempfile
import uuid

from conftest import request, run_dev, sql, token, wait_until
from payments_helpers import q, saved_method, usd

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
