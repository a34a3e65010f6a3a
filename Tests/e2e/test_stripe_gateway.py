"""The Stripe gateway end to end, against a fake Stripe (fake_stripe.py) that answers in Stripe's shapes.

An extra payments process of the running environment is started with PAYMENTS_GATEWAY=stripe and its own
HTTP port; it shares the database and the queue with the environment's payments. Over its HTTP API: card
payments that succeed and that are declined, a partial refund, a card saved on file and charged, signed
webhooks (good, forged, stale, repeated), and a charge whose answer is lost (HTTP 500) that the janitor
settles by asking Stripe, never by charging again."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from conftest import ROOT, env, get_json, post_charge_and_wait, request, sql, token, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
WEBHOOK_SECRET = "whsec_test"
# conftest.request() finds a service's port in <SERVICE>_HTTP_PORT: the Stripe replica is "payments_stripe".
REPLICA = "payments_stripe"


class FakeStripe:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(urllib.request.Request(self.base + path, data=data, method=method), timeout=60) as answer:
            return json.loads(answer.read())

    def stored(self, kind):
        return self.call("GET", f"/_fake/{kind}")["data"]

    def intents_for(self, payment_id):
        """The PaymentIntents made for one payment (the suite's payment id is the gateway's idempotency key)."""
        return [pi for pi in self.stored("payment_intents") if pi["metadata"].get("idempotency_key") == payment_id]


@pytest.fixture(scope="module")
def fake_stripe():
    process = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_stripe.py"), "0"],
                               stdout=subprocess.PIPE, text=True)
    try:
        first = process.stdout.readline().split()
        assert first[:1] == ["PORT"], f"fake_stripe.py printed {first!r} instead of PORT <n>"
        yield FakeStripe(int(first[1]))
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(10)


def environment_file():
    """The running environment's settings (.run/<env>/env), under what the test process already has."""
    settings = {}
    path = os.path.join(ROOT, ".run", env("CLINICLEDGER_ENV"), "env")
    with open(path) as f:
        for line in f:
            name, _, value = line.strip().partition("=")
            if name and not name.startswith("#"):
                settings[name] = value
    return settings


@pytest.fixture(scope="module")
def replica(fake_stripe):
    """A payments process with the Stripe gateway, like the chaos harness's replicas; stopped by its PID."""
    port = int(env("PAYMENTS_HTTP_PORT")) + 50
    run_dir = os.path.join(ROOT, ".run", env("CLINICLEDGER_ENV"))
    settings = {**environment_file(), **os.environ,
                "PAYMENTS_HTTP_PORT": str(port), "PAYMENTS_GATEWAY": "stripe",
                "PAYMENTS_STRIPE_API_BASE": fake_stripe.base, "PAYMENTS_STRIPE_SECRET_KEY": "sk_test_fake",
                "PAYMENTS_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                # With Stripe the janitor waits 300 s before asking again about an answered call; tests cannot.
                "PAYMENTS_PENDING_POLL_SECONDS": "5"}
    log_path = os.path.join(run_dir, "logs", "payments-stripe.log")
    with open(log_path, "a") as log:
        process = subprocess.Popen([os.path.join(ROOT, ".build/debug/payments"), "serve"], stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=log, start_new_session=True, env=settings)
    os.environ[f"{REPLICA.upper()}_HTTP_PORT"] = str(port)
    try:
        def ready():
            if process.poll() is not None:
                pytest.fail(f"the Stripe payments replica exited with {process.returncode} (see {log_path})")
            try:
                return request("GET", REPLICA, "/health/ready", timeout=2).status == 200 or "not ready"
            except OSError as error:  # not listening yet
                return f"{error}"
        wait_until(ready, 60, f"the Stripe payments replica on :{port} did not become ready (see {log_path})")
        yield port
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)
        os.environ.pop(f"{REPLICA.upper()}_HTTP_PORT", None)


@pytest.fixture
def patient(clinic_id, publisher, replica):
    """A patient with an account: a charge of $500.00 posted as the clinic's system would."""
    patient = f"pat-stripe-{uuid.uuid4().hex[:6]}"
    post_charge_and_wait(publisher, clinic_id, patient, 50_000)
    return patient


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def pay(clinic_id, patient, amount, method="card", key=None, **fields):
    body = {"patientId": patient, "amount": usd(amount), "method": method, **fields}
    return request("POST", REPLICA, "/v1/payments", bearer=token("billing_staff", clinic_id), body=body,
                   headers={"Idempotency-Key": key or str(uuid.uuid4())})


def payment(clinic_id, payment_id):
    answer = request("GET", REPLICA, f"/v1/payments/{payment_id}", bearer=token("billing_staff", clinic_id))
    assert answer.status == 200, answer.text
    return answer.body


def gateway_charge_id(clinic_id, payment_id):
    """The charge id payments stored: a Stripe PaymentIntent's, not one another gateway made."""
    return sql(f"SELECT gateway_charge_id FROM payments.payments "
               f"WHERE clinic_id = '{clinic_id}' AND payment_id = '{payment_id}'")


def balance(clinic_id, patient):
    status, account = get_json("payments", f"/v1/patients/{patient}/account", clinic=clinic_id)
    assert status == 200, account
    return account["balance"]["amount"]


def send_webhook(fake_stripe, intent_id, event_type="payment_intent.succeeded", **extra):
    """The fake signs and POSTs the event to the replica; returns (status, parsed body) of the replica."""
    url = f"http://127.0.0.1:{os.environ[f'{REPLICA.upper()}_HTTP_PORT']}/v1/webhooks/stripe"
    sent = fake_stripe.call("POST", "/_fake/send_webhook", {
        "url": url, "type": event_type, "payment_intent": intent_id, "secret": WEBHOOK_SECRET, **extra})
    try:
        return sent["status"], json.loads(sent["body"])
    except ValueError:
        return sent["status"], sent["body"]


def test_a_card_payment_succeeds_with_one_payment_intent(clinic_id, patient, fake_stripe):
    key = str(uuid.uuid4())
    answer = pay(clinic_id, patient, 2_500, token="tok_visa", key=key)
    assert answer.status == 201, answer.text
    paid = answer.body
    assert paid["status"] == "succeeded" and paid["gateway"] == "stripe", paid
    assert paid["method"] == "card" and paid["amount"] == usd(2_500)
    assert (paid.get("cardBrand"), paid.get("cardLast4")) == ("visa", "4242"), paid
    assert payment(clinic_id, paid["id"])["status"] == "succeeded"

    intents = fake_stripe.intents_for(paid["id"])
    assert len(intents) == 1, intents
    assert (intents[0]["amount"], intents[0]["currency"], intents[0]["status"]) == (2_500, "usd", "succeeded")
    assert gateway_charge_id(clinic_id, paid["id"]) == intents[0]["id"]
    # The same request again is the same payment: Stripe is not asked twice.
    again = pay(clinic_id, patient, 2_500, token="tok_visa", key=key)
    assert again.status == 201 and again.body["id"] == paid["id"], again.text
    assert len(fake_stripe.intents_for(paid["id"])) == 1


def test_a_declined_card_is_a_failed_payment_with_stripes_reason(clinic_id, patient, fake_stripe):
    before = balance(clinic_id, patient)
    answer = pay(clinic_id, patient, 2_500, token="tok_chargeDeclinedInsufficientFunds")
    assert answer.status == 201, answer.text
    failed = answer.body
    assert failed["status"] == "failed", failed
    assert failed["failure"]["code"] == "card_declined", failed
    assert failed["failure"]["declineCode"] == "insufficient_funds", failed
    assert failed["failure"]["message"]
    assert balance(clinic_id, patient) == before
    assert [pi["status"] for pi in fake_stripe.intents_for(failed["id"])] == ["requires_payment_method"]


def test_part_of_a_card_payment_is_refunded_at_stripe(clinic_id, patient, fake_stripe):
    paid = pay(clinic_id, patient, 3_000, token="tok_visa")
    assert paid.status == 201 and paid.body["status"] == "succeeded", paid.text
    intent = fake_stripe.intents_for(paid.body["id"])[0]

    answer = request("POST", REPLICA, "/v1/refunds", bearer=token("billing_staff", clinic_id),
                     body={"paymentId": paid.body["id"], "amount": usd(1_000), "reason": "overpaid"},
                     headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 201, answer.text
    assert answer.body["paymentId"] == paid.body["id"] and answer.body["amount"] == usd(1_000), answer.body
    assert answer.body["status"] == "succeeded", answer.body
    refunds = [r for r in fake_stripe.stored("refunds") if r["payment_intent"] == intent["id"]]
    assert [(r["amount"], r["status"]) for r in refunds] == [(1_000, "succeeded")], refunds
    assert payment(clinic_id, paid.body["id"])["refunded"] == usd(1_000)


def test_a_card_saved_on_file_is_charged(clinic_id, patient, fake_stripe):
    saved = request("POST", REPLICA, f"/v1/patients/{patient}/payment-methods", bearer=token("billing_staff", clinic_id),
                    body={"token": "tok_mastercard"}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert saved.status == 201, saved.text
    method = saved.body
    assert (method["kind"], method["brand"], method["last4"], method["status"]) == ("card", "mastercard", "4444", "active"), method
    assert (method["expMonth"], method["expYear"]) == (12, 2034), method
    attached = [pm for pm in fake_stripe.stored("payment_methods") if pm["card"]["last4"] == "4444" and pm["customer"]]
    assert attached, "the fake holds no mastercard attached to a customer"

    answer = pay(clinic_id, patient, 4_000, method="card_on_file", paymentMethodId=method["id"])
    assert answer.status == 201, answer.text
    assert answer.body["status"] == "succeeded", answer.body
    intents = fake_stripe.intents_for(answer.body["id"])
    assert len(intents) == 1, intents
    assert intents[0]["customer"] and intents[0]["payment_method"] in {pm["id"] for pm in attached}, intents[0]


def test_a_signed_webhook_settles_an_ach_debit_once(clinic_id, patient, fake_stripe):
    answer = pay(clinic_id, patient, 6_000, method="ach", token="btok_us_verified")
    assert answer.status == 201, answer.text
    assert answer.body["status"] == "processing", answer.body
    intent = fake_stripe.intents_for(answer.body["id"])[0]
    fake_stripe.call("POST", "/_fake/settle", {"payment_intent": intent["id"]})

    event_id = f"evt_{uuid.uuid4().hex[:16]}"
    status, body = send_webhook(fake_stripe, intent["id"], id=event_id)
    assert status == 200 and body == {"received": True, "duplicate": False}, body
    wait_until(lambda: payment(clinic_id, answer.body["id"])["status"] == "succeeded" or "not yet", 15,
               "the webhook did not settle the ACH payment")
    settled = balance(clinic_id, patient)

    status, body = send_webhook(fake_stripe, intent["id"], id=event_id)
    assert status == 200 and body == {"received": True, "duplicate": True}, body
    time.sleep(1)
    assert payment(clinic_id, answer.body["id"])["status"] == "succeeded"
    assert balance(clinic_id, patient) == settled


def test_webhooks_with_a_bad_or_stale_signature_are_refused(clinic_id, patient, fake_stripe):
    paid = pay(clinic_id, patient, 1_000, token="tok_visa")
    assert paid.status == 201, paid.text
    intent_id = fake_stripe.intents_for(paid.body["id"])[0]["id"]

    status, body = send_webhook(fake_stripe, intent_id)
    assert status == 200 and body["received"] is True, body
    status, body = send_webhook(fake_stripe, intent_id, secret="whsec_someone_else")
    assert status == 400 and body["error"]["code"] == "signature_invalid", body
    status, body = send_webhook(fake_stripe, intent_id, timestamp=int(time.time()) - 400)
    assert status == 400 and body["error"]["code"] == "signature_invalid", body
    status, body = send_webhook(fake_stripe, intent_id, signature="t=1,v1=nothex")
    assert status == 400 and body["error"]["code"] == "signature_invalid", body


def test_a_lost_answer_leaves_the_payment_unknown_until_the_janitor_asks_stripe(clinic_id, patient, fake_stripe):
    fake_stripe.call("POST", "/_fake/fail_next", {"status": 500})
    answer = pay(clinic_id, patient, 1_500, token="tok_visa")
    assert answer.status == 201, answer.text
    assert answer.body["status"] == "unknown", answer.body
    assert len(fake_stripe.intents_for(answer.body["id"])) == 1  # Stripe did charge; only the answer was lost

    def settled():
        status = payment(clinic_id, answer.body["id"])["status"]
        janitor = sql("SELECT next_run_at, now() FROM payments.scheduled_jobs WHERE name = 'payments.janitor.stripe'")
        return status == "succeeded" or f"{status}; the janitor's next run and the wall time: {janitor}"
    # The janitor leaves the payment alone for a while (PAYMENTS_PENDING_POLL_SECONDS, and 30 s while a
    # call may be in flight), then asks Stripe every 2 s.
    wait_until(settled, 90, "the janitor did not settle the payment whose answer was lost")
    intents = fake_stripe.intents_for(answer.body["id"])
    assert [pi["status"] for pi in intents] == ["succeeded"], intents
    assert gateway_charge_id(clinic_id, answer.body["id"]) == intents[0]["id"]
    assert payment(clinic_id, answer.body["id"])["cardLast4"] == "4242"
