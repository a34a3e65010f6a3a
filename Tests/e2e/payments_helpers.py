"""Helpers of the payments end-to-end tests (payments, refunds, saved cards, auto-charge, review,
insurance posting): HTTP calls as the desk or the patient would make them, charges and other services'
events published as those systems would, events observed on a queue of the test's own, and the money
checks every test that moves money ends with."""
import collections
import datetime
import json
import os
import signal
import time
import uuid

import pika

from conftest import (
    amqp_connection, charge_body, get_json, headers_for, request, run_dev, service_pid, sql, token, wait_until)

EXCHANGE = "clinicledger.events"
CHARGE = "clinic.charge.posted.v1"
SUCCEEDED = "payments.payment.succeeded.v1"
FAILED = "payments.payment.failed.v1"
REFUNDED = "payments.payment.refunded.v1"
METHOD_SAVED = "payments.payment-method.saved.v1"
METHOD_REVOKED = "payments.payment-method.revoked.v1"
BALANCE_DUE = "payments.balance.due.v1"

# Sandbox test tokens (Services/Payments/Gateways/SandboxGateway.swift).
VISA = "tok_visa"
MASTERCARD = "tok_mastercard"
DECLINED = "tok_chargeDeclined"
INSUFFICIENT_FUNDS = "tok_chargeDeclinedInsufficientFunds"
EXPIRED = "tok_chargeDeclinedExpiredCard"
PROCESSING_ERROR = "tok_processingError"
TIMEOUT_AFTER_CHARGE = "tok_timeoutAfterCharge"
ACH_SETTLES = "btok_settles"
ACH_RETURNS_R01 = "btok_returnsR01"

CONSENT = "I authorize the practice to charge this card for balances due after insurance."


def usd(amount):
    return {"amount": amount, "currency": "USD"}


def new_patient(tag="pay"):
    return f"pat-{tag}-{uuid.uuid4().hex[:8]}"


def q(text):
    """A SQL string literal (ids in these tests are generated, but quote them properly anyway)."""
    return "'" + str(text).replace("'", "''") + "'"


# ---------------------------------------------------------------- charges and other services' events

def charge_payload(patient, amount, charge_id=None, service_date=None, code="D1110", code_system="CDT", tooth=None,
                   surfaces=None):
    """A clinic.charge.posted.v1 body (conftest's charge_body, with the procedure as given)."""
    body = charge_body(charge_id or f"chg-{uuid.uuid4().hex[:12]}", patient, amount, service_date=service_date)
    body["procedure"] = {"code": code, "codeSystem": code_system}
    if tooth is not None:
        body["procedure"]["tooth"] = tooth
    if surfaces is not None:
        body["procedure"]["surfaces"] = surfaces
    return body


def post_charge(publisher, clinic, patient, amount, **procedure):
    """Publishes a charge as the clinic's practice-management system would, and returns its charge id once
    payments shows the fee on the patient's balance."""
    body = charge_payload(patient, amount, **procedure)
    before = balance_or_zero(clinic, patient)
    publish(publisher, CHARGE, clinic, body)
    wait_until(lambda: balance_or_zero(clinic, patient) == before + amount or balance_or_zero(clinic, patient),
               30, f"the charge {body['chargeId']} ({amount}) did not reach {patient}'s balance of {before}")
    return body["chargeId"]


def publish(publisher, routing_key, clinic, body, event_id=None):
    """Publishes one event (a new event id unless one is given); returns the event id."""
    headers = headers_for(routing_key, clinic, event_id=event_id)
    publisher.publish(routing_key, body, headers)
    return headers["cloudEvents_id"]


def consumed(service, event_id):
    """Whether SERVICE committed its handling of the event (its inbox holds the id)."""
    return sql(f"SELECT count(*) FROM {service}.inbox WHERE event_id = {q(event_id)}") == "1"


def wait_consumed(event_id, service="payments", timeout=30):
    wait_until(lambda: consumed(service, event_id) or "not yet", timeout,
               f"{service} did not handle the event {event_id} (dead-lettered? see `scripts/dev dead-letters {service} list`)")


def now_timestamp():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- accounts and money checks

def account(clinic, patient, role="billing_staff"):
    status, body = get_json("payments", f"/v1/patients/{patient}/account?limit=100", clinic=clinic, role=role)
    assert status == 200, (status, body)
    return body


def balance(clinic, patient):
    body = account(clinic, patient)
    assert body["balance"] is not None and body["balance"]["currency"] == "USD", body
    return body["balance"]["amount"]


def balance_or_zero(clinic, patient):
    status, body = get_json("payments", f"/v1/patients/{patient}/account?limit=1", clinic=clinic)
    if status == 404:
        return 0
    assert status == 200, (status, body)
    return body["balance"]["amount"]


def entries(clinic, patient):
    return account(clinic, patient)["entries"]["data"]


def assert_books_balanced(clinic, expected_balances):
    """The end of every test that moves money: the clinic's ledger sums to zero, every transfer does, and
    each patient's balance is exactly the expected amount (API, and the receivable postings themselves)."""
    total = sql(f"SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries WHERE clinic_id = {q(clinic)}")
    assert total == "0", f"the ledger of {clinic} sums to {total}, not 0"
    unbalanced = sql(f"""SELECT transfer_id || ' ' || sum(amount) FROM payments.ledger_entries
                         WHERE clinic_id = {q(clinic)} GROUP BY transfer_id, currency HAVING sum(amount) <> 0""")
    assert unbalanced == "", f"transfers that do not sum to zero: {unbalanced}"
    for patient, expected in expected_balances.items():
        shown = account(clinic, patient)["balance"]
        assert shown == usd(expected), f"{patient}: balance {shown}, expected {usd(expected)}"
        receivable = sql(f"""SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries
                             WHERE clinic_id = {q(clinic)} AND patient_id = {q(patient)}""")
        assert int(receivable) == expected, f"{patient}: receivable postings sum to {receivable}, expected {expected}"


# ---------------------------------------------------------------- payments and refunds

def payment_body(patient, amount, method, **extra):
    return {"patientId": patient, "amount": usd(amount) if isinstance(amount, int) else amount, "method": method,
            **extra}


def pay(clinic, body, role="billing_staff", key="new", bearer=None, patient=None):
    """POST /v1/payments. `key="new"`: a fresh Idempotency-Key; `key=None`: none at all."""
    headers = {}
    if key == "new":
        key = str(uuid.uuid4())
    if key is not None:
        headers["Idempotency-Key"] = key
    if bearer is None:
        bearer = token(role, clinic, patient=patient) if role == "patient" else token(role, clinic)
    return request("POST", "payments", "/v1/payments", bearer=bearer, body=body, headers=headers, timeout=60)


def paid(clinic, body, **kwargs):
    """A payment that must be accepted (201); returns its body."""
    answer = pay(clinic, body, **kwargs)
    assert answer.status == 201, (answer.status, answer.text)
    assert answer.body["id"], answer.text
    return answer.body


def get_payment(clinic, payment_id, role="billing_staff"):
    status, body = get_json("payments", f"/v1/payments/{payment_id}", clinic=clinic, role=role)
    assert status == 200, (status, body)
    return body


def wait_payment_status(clinic, payment_id, status, timeout=30):
    def reached():
        shown = get_payment(clinic, payment_id)
        return True if shown["status"] == status else shown
    wait_until(reached, timeout, f"payment {payment_id} did not become {status}")
    return get_payment(clinic, payment_id)


def payment_rows(clinic, patient, where="true"):
    """How many payments payments' own table holds for the patient (read as the superuser)."""
    return int(sql(f"""SELECT count(*) FROM payments.payments
                       WHERE clinic_id = {q(clinic)} AND patient_id = {q(patient)} AND ({where})"""))


def payment_transfer_postings(clinic, payment_id):
    return int(sql(f"""SELECT count(*) FROM payments.ledger_entries
                       WHERE clinic_id = {q(clinic)} AND transfer_id = {q('payment:' + payment_id)}"""))


def sandbox_charges(idempotency_key=None):
    """The sandbox gateway's own books: charges it made (all of them, or under one idempotency key)."""
    where = "true" if idempotency_key is None else f"idempotency_key = {q(idempotency_key)}"
    return int(sql(f"SELECT count(*) FROM payments.sandbox_charges WHERE {where}"))


def refund(clinic, payment_id, amount=None, reason=None, role="billing_staff", key="new"):
    body = {"paymentId": payment_id}
    if amount is not None:
        body["amount"] = usd(amount)
    if reason is not None:
        body["reason"] = reason
    headers = {}
    if key == "new":
        key = str(uuid.uuid4())
    if key is not None:
        headers["Idempotency-Key"] = key
    return request("POST", "payments", "/v1/refunds", bearer=token(role, clinic), body=body, headers=headers,
                   timeout=60)


def assert_error(answer, status, code):
    """A refusal in the API's shape: `status` (an int, or a tuple of acceptable ones) and error.code."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert answer.status in statuses, f"expected {statuses} {code}, got {answer.status}: {answer.text}"
    assert isinstance(answer.body, dict) and "error" in answer.body, answer.text
    if code is not None:
        assert answer.body["error"].get("code") == code, f"expected code {code}, got {answer.text}"
    else:
        assert answer.body["error"].get("code"), answer.text


# ---------------------------------------------------------------- saved payment methods and auto-charge

def auto_charge(maximum=None, channel="in_person"):
    authorization = {"consentText": CONSENT, "channel": channel}
    if maximum is not None:
        authorization["maximumPerCharge"] = usd(maximum)
    return authorization


def save_method(clinic, patient, card_token, authorization=None, role="billing_staff", key="new"):
    """POST /v1/patients/{patient}/payment-methods; returns the Response."""
    body = {"token": card_token}
    if authorization is not None:
        body["autoCharge"] = authorization
    headers = {} if key is None else {"Idempotency-Key": str(uuid.uuid4()) if key == "new" else key}
    return request("POST", "payments", f"/v1/patients/{patient}/payment-methods", bearer=token(role, clinic),
                   body=body, headers=headers)


def saved_method(clinic, patient, card_token, authorization=None):
    answer = save_method(clinic, patient, card_token, authorization)
    assert answer.status == 201, (answer.status, answer.text)
    assert answer.body["id"].startswith("pm_"), answer.text
    return answer.body


def methods(clinic, patient):
    status, body = get_json("payments", f"/v1/patients/{patient}/payment-methods", clinic=clinic)
    assert status == 200, (status, body)
    return body["data"]


def start_run(clinic, role="admin", key="new"):
    headers = {} if key is None else {"Idempotency-Key": str(uuid.uuid4()) if key == "new" else key}
    return request("POST", "payments", "/v1/auto-charge/runs", bearer=token(role, clinic), body={},
                   headers=headers, timeout=60)


def scheduler_passes():
    return int(sql("SELECT coalesce(sum(runs), 0) FROM payments.scheduled_jobs"))


def let_background_work_run(passes=3, timeout=30):
    """Before asserting that something did NOT happen (no retry, no second charge): waits until payments'
    scheduled jobs (janitor, retries; every 2 s) have run `passes` more times, so anything due was done."""
    start = scheduler_passes()
    wait_until(lambda: scheduler_passes() >= start + passes or f"{scheduler_passes() - start} passes",
               timeout, f"payments' scheduled jobs did not run {passes} more times")


class moved_clock:
    """`with moved_clock() as clock: clock.advance("1d")`: the service clock, always reset afterwards."""

    def __enter__(self):
        return self

    def advance(self, amount):
        return run_dev("clock", "advance", amount).stdout

    def set(self, moment):
        """To a moment such as 2027-01-31T15:00 (UTC)."""
        return run_dev("clock", "set", moment).stdout

    def __exit__(self, *exc):
        run_dev("clock", "reset")
        return False


# ---------------------------------------------------------------- events published by payments

Event = collections.namedtuple("Event", "routing_key clinic event_id body")


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


class EventWatcher:
    """A queue of the test's own bound to the suite's exchange for ROUTING_KEYS, declared before the action
    under test, so that every event payments publishes afterwards can be read, as any subscriber would."""

    def __init__(self, *routing_keys):
        self.connection = amqp_connection()
        self.channel = self.connection.channel()
        self.channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True, passive=True)
        self.queue = self.channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
        for key in routing_keys:
            self.channel.queue_bind(queue=self.queue, exchange=EXCHANGE, routing_key=key)
        self.seen = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.connection.close()
        except pika.exceptions.AMQPError:
            pass
        return False

    def drain(self):
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.seen
            headers = {k: _text(v) for k, v in (properties.headers or {}).items()}
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = {"unreadable": body.decode("utf-8", "replace")}
            self.seen.append(Event(method.routing_key, headers.get("cloudEvents_clinicid"),
                                   headers.get("cloudEvents_id") or properties.message_id, parsed))

    def events(self, routing_key, clinic, where=lambda body: True):
        self.drain()
        return [e.body for e in self.seen if e.routing_key == routing_key and e.clinic == clinic and where(e.body)]

    def wait_for(self, routing_key, clinic, where=lambda body: True, count=1, timeout=30):
        """Waits until at least `count` matching events arrived; returns all matching ones."""
        def enough():
            found = self.events(routing_key, clinic, where)
            return True if len(found) >= count else f"{len(found)} of {count}: {found}"
        wait_until(enough, timeout, f"{count} {routing_key} event(s) for {clinic} were not published")
        return self.events(routing_key, clinic, where)


def large_refund_threshold():
    return int(os.environ.get("PAYMENTS_LARGE_REFUND_ABOVE") or 50_000)


def metric(service, name, *labels):
    """The sum of a Prometheus counter of SERVICE over its series whose labels contain every one of LABELS."""
    answer = request("GET", service, "/metrics", headers={"Accept": "text/plain"})
    assert answer.status == 200, answer.text[:200]
    return sum(float(line.rsplit(" ", 1)[1]) for line in answer.text.splitlines()
               if line.startswith(name) and all(label in line for label in labels))


def duplicates_seen(event_type, service="payments"):
    return metric(service, "clinicledger_events_consumed_total", f'event_type="{event_type}"', 'outcome="duplicate"')


def restart_payments_if_stuck():
    """After a test that may wedge payments (every pool connection held): if payments is not ready, it is
    killed and started again (as test_charges' kill -9 test does), so the tests after it still run; the
    test itself has failed already."""
    def ready():
        try:
            return request("GET", "payments", "/health/ready", timeout=5).status == 200
        except OSError:
            return False
    if ready():
        return
    os.kill(service_pid("payments"), signal.SIGKILL)
    time.sleep(1)
    run_dev("up")
    wait_until(lambda: ready() or "not ready", 60, "payments did not come back after a restart")
