"""The first slice end to end: an outside publisher (pika) posts charges; payments records each
exactly once in a double-entry ledger; analytics' A/R matches; bad input is dead-lettered with a reason."""
import json
import os
import random
import subprocess
import threading
import time
import uuid

from conftest import (
    SERVICES, Publisher, charge_body, dead_letters, get_json, headers_for, service_pid, sql, wait_until)

CHARGE = "clinic.charge.posted.v1"
VOID = "clinic.charge.voided.v1"


def post_charges(publisher, clinic_id, count, patients, rng, resend_ratio=0.10):
    """Publishes `count` distinct charges plus about 10% repeats: half redeliveries of the same event,
    half re-posts of the same charge under a new event id. Returns {patient: expected balance}."""
    expected = {}
    sent = []
    for i in range(count):
        patient = f"pat-{i % patients:03d}"
        amount = rng.randint(1, 250_000)
        body = charge_body(f"chg-{i:05d}", patient, amount)
        headers = headers_for(CHARGE, clinic_id)
        publisher.publish(CHARGE, body, headers)
        sent.append((body, headers))
        expected[patient] = expected.get(patient, 0) + amount
        if rng.random() < resend_ratio:
            again_body, again_headers = rng.choice(sent)
            if rng.random() < 0.5:
                publisher.publish(CHARGE, again_body, again_headers)  # the same event again
            else:
                publisher.publish(CHARGE, again_body, headers_for(CHARGE, clinic_id))  # same charge, new event id
    return expected, sent


def balances_match(clinic_id, expected):
    for patient, amount in expected.items():
        status, account = get_json("payments", f"/v1/patients/{patient}/account?limit=1", clinic=clinic_id)
        if status != 200 or account["balance"] != {"amount": amount, "currency": "USD"}:
            return f"{patient}: expected {amount}, got {status} {account and account.get('balance')}"
    return True


def analytics_total(clinic_id):
    status, summary = get_json("analytics", "/v1/summary", clinic=clinic_id)
    assert status == 200, summary
    return sum(r["total"]["amount"] for r in summary["receivables"]), summary


def assert_ledger_consistent(clinic_id, expected):
    # Double entry: every transfer sums to zero, so the whole ledger does.
    assert sql(f"SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries WHERE clinic_id = '{clinic_id}'") == "0"
    # Each charge id has exactly one charge transfer of two postings: nothing doubled.
    doubled = sql(f"""SELECT count(*) FROM (SELECT transfer_id FROM payments.ledger_entries
                      WHERE clinic_id = '{clinic_id}' GROUP BY transfer_id HAVING count(*) <> 2) t""")
    assert doubled == "0"
    receivable = sql(f"""SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries
                         WHERE clinic_id = '{clinic_id}' AND patient_id IS NOT NULL""")
    assert int(receivable) == sum(expected.values())
    total, _ = analytics_total(clinic_id)
    assert total == sum(expected.values())


def test_thousand_charges_with_resends_voids_and_poison(clinic_id, publisher):
    rng = random.Random(20261124)
    expected, sent = post_charges(publisher, clinic_id, 1000, 50, rng)

    # Voids of 20 posted charges: reversed by a new entry, never an edit.
    for body, _ in rng.sample(sent, 20):
        publisher.publish(VOID, {"chargeId": body["chargeId"], "patientId": body["patientId"], "reason": "entered in error"},
                          headers_for(VOID, clinic_id))
        expected[body["patientId"]] -= body["fee"]["amount"]

    poison = {}

    def bad(reason_part, body, routing_key=CHARGE, drop_header=None, content_type="application/json", **header_changes):
        headers = headers_for(routing_key, clinic_id)
        headers.update(header_changes)
        if drop_header:
            del headers[drop_header]
        publisher.publish(routing_key, body, headers, content_type=content_type)
        poison[headers["cloudEvents_id"]] = reason_part

    good = lambda: charge_body(f"poison-{uuid.uuid4().hex[:6]}", "pat-000", 100)
    bad("not valid JSON", b'{"chargeId": "x", "fee": ')
    bad("missing required field 'fee'", {k: v for k, v in good().items() if k != "fee"})
    bad("fee.amount must be positive", {**good(), "fee": {"amount": -500, "currency": "USD"}})
    bad("fee.amount must be positive", {**good(), "fee": {"amount": 0, "currency": "USD"}})
    bad("not a supported ISO 4217 code", {**good(), "fee": {"amount": 100, "currency": "XYZ"}})
    bad("'fee.amount' should be an integer", {**good(), "fee": {"amount": "125.00", "currency": "USD"}})
    bad("the number 125.5 cannot be read", {**good(), "fee": {"amount": 125.5, "currency": "USD"}})
    bad("the number 9223372036854775808 cannot be read", {**good(), "fee": {"amount": 2 ** 63, "currency": "USD"}})
    bad("missing header cloudEvents_clinicid", good(), drop_header="cloudEvents_clinicid")
    bad("does not match cloudEvents_type", good(), cloudEvents_type="clinic.charge.posted.v9")
    bad("content-type", good(), content_type="text/plain")
    bad("has not been posted", {"chargeId": "never-posted", "patientId": "pat-001"}, routing_key=VOID)

    wait_until(lambda: balances_match(clinic_id, expected), 120, "payments balances did not settle")
    wait_until(lambda: analytics_total(clinic_id)[0] == sum(expected.values()) or analytics_total(clinic_id)[0],
               60, "analytics A/R did not reach the sum of payments' balances")
    assert_ledger_consistent(clinic_id, expected)

    _, summary = analytics_total(clinic_id)
    aging = summary["receivables"][0]["aging"]
    assert [b["bucket"] for b in aging] == ["0-30", "31-60", "61-90", "90+"]
    assert aging[0]["amount"]["amount"] == sum(expected.values())  # all charges are dated today

    def poison_dead_lettered():
        letters = {d["messageId"]: d for d in dead_letters("payments")}
        missing = [i for i in poison if i not in letters]
        if missing:
            return f"not yet dead-lettered: {[poison[i] for i in missing]}"
        wrong = {poison[i]: letters[i]["reason"] for i in poison if poison[i] not in letters[i]["reason"]}
        return True if not wrong else f"unexpected reasons: {wrong}"
    wait_until(poison_dead_lettered, 60, "malformed events were not dead-lettered with their reasons")

    for service in SERVICES:
        status, health = get_json(service, "/health/ready")
        assert status == 200, (service, health)


def test_kill_9_payments_while_charges_flow(clinic_id):
    """The short version of `scripts/dev chaos`: 2,000 charges, payments killed once mid-flow."""
    rng = random.Random(9)
    result = {}
    published = threading.Event()

    def publish_all():
        p = Publisher()
        result["expected"], _ = post_charges(p, clinic_id, 2000, 50, rng)
        p.close()
        published.set()

    thread = threading.Thread(target=publish_all)
    thread.start()
    # Kill payments once it is busy with this clinic's charges.
    wait_until(lambda: int(sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = '{clinic_id}'")) > 100 or "not yet",
               60, "payments did not start on the charges")
    os.kill(service_pid("payments"), 9)
    thread.join()
    assert published.is_set()
    time.sleep(1)
    subprocess.run([os.environ["DEV_SCRIPT"], "up"], check=True, capture_output=True,
                   env={**os.environ, "CLINICLEDGER_ENV": os.environ.get("CLINICLEDGER_ENV", "test")})

    expected = result["expected"]
    wait_until(lambda: balances_match(clinic_id, expected), 120, "balances did not settle after the restart")
    wait_until(lambda: analytics_total(clinic_id)[0] == sum(expected.values()) or "not yet", 60,
               "analytics A/R did not match after the restart")
    assert_ledger_consistent(clinic_id, expected)
    assert sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = '{clinic_id}'") == "2000"
