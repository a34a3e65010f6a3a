"""No card number gets in, and patient names stay sealed: well-known test card numbers are sent as bait
in patient events, charge events and HTTP adjustments; each is refused (dead-lettered with the card
number reason, or 422). Then the whole database (pg_dump), every service log, every message the
services published during this module and every dead-letter queue are searched for the digits; and a
patient's distinctive name, journaled by two services and kept by insurance, must not be in the database in plain text.

Named to run late (after the other e2e tests, before test_zz_audit_tamper.py), so that the scan also
covers what the rest of the run wrote."""
import glob
import json
import os
import re
import subprocess
import time
import uuid

import pika
import pytest

from conftest import (
    SERVICES, Publisher, amqp_connection, dead_letters, env, get_json, headers_for, post_charge_and_wait, request, sql,
    token, wait_until)

BAITS = ["4242 4242 4242 4242", "4000-0566-5566-5556", "378282246310005"]
# The same kind of bait with its digits written as JSON escapes (\u0034 is "4"): after decoding it is a
# plain card number, but the raw bytes hold no run of 13 digits.
ESCAPED_BAIT = "5555 5555 5555 4444"
ESCAPED_JSON = r"555\u0035 555\u0035 555\u0035 444\u0034"
GIVEN, FAMILY = "Zelda", "Quixotic-Marchbanks"
MASK = "[card number removed]"
REGISTERED = "clinic.patient.registered.v1"
VOIDED = "clinic.charge.voided.v1"
PATIENT_EVENT_CONSUMERS = ["insurance", "plans", "notifications"]
# Insurance reads payments' reversals, not the clinic's voids: a refused void never reaches it.
CHARGE_EVENT_CONSUMERS = ["payments"]


def needles():
    """Each bait as sent and as bare digits."""
    found = {}
    for bait in BAITS + [ESCAPED_BAIT]:
        found[bait] = bait
        found[re.sub(r"\D", "", bait)] = bait
    return found


def registration(patient, given="Ana", family="Lopez", address_line="1 Main St"):
    return {
        "patientId": patient, "name": {"given": given, "family": family},
        "contacts": {"email": f"{patient}@example.com",
                     "address": {"lines": [address_line], "city": "Springfield", "region": "IL",
                                 "postalCode": "62701", "country": "US"}},
        "consents": {"email": True, "sms": False, "cardOnFileAutoCharge": False},
    }


@pytest.fixture(scope="module")
def spy():
    """A queue of our own bound to '#' on clinicledger.events from the start of the module: it sees every
    event published during the module (ours and the services'). It outlives its connection (x-expires)."""
    name = f"e2e-privacy-spy-{uuid.uuid4().hex[:8]}"
    connection = amqp_connection()
    channel = connection.channel()
    channel.queue_declare(queue=name, durable=False, auto_delete=False, arguments={"x-expires": 15 * 60 * 1000})
    channel.queue_bind(queue=name, exchange="clinicledger.events", routing_key="#")
    connection.close()
    yield name
    connection = amqp_connection()
    connection.channel().queue_delete(queue=name)
    connection.close()


@pytest.fixture(scope="module")
def baited(spy):
    """Sends every bait once; the tests below check what became of each."""
    clinic = f"clinic-privacy-{uuid.uuid4().hex[:8]}"
    publisher = Publisher()
    sent = {"clinic": clinic, "ours": set(), "patient_events": [], "void_events": [], "http": [], "escaped": {}}

    def publish(routing_key, body, raw=None):
        headers = headers_for(routing_key, clinic)
        publisher.publish(routing_key, raw if raw is not None else body, headers)
        sent["ours"].add(headers["cloudEvents_id"])
        return headers["cloudEvents_id"]

    # Patient events: one bait per field.
    for field, body in [("name.given", registration("pat-bait-1", given=BAITS[0])),
                        ("name.family", registration("pat-bait-2", family=BAITS[1])),
                        ("contacts.address.lines[0]", registration("pat-bait-3", address_line=f"card {BAITS[2]} on file"))]:
        sent["patient_events"].append((publish(REGISTERED, body), field))

    # Charge events: a real charge, then voids of it whose free-text reason holds a card number.
    post_charge_and_wait(publisher, clinic, "pat-bait-charge", 4_200, charge_id="chg-bait-1")
    for bait in BAITS:
        sent["void_events"].append(
            (publish(VOIDED, {"chargeId": "chg-bait-1", "patientId": "pat-bait-charge", "reason": f"refund to {bait}"}), "reason"))

    # HTTP: reason and note of an adjustment, each bait in each.
    bearer = token("billing_staff", clinic)
    for bait in BAITS:
        for field in ["reason", "note"]:
            key = str(uuid.uuid4())
            body = {"patientId": "pat-bait-charge", "amount": {"amount": 100, "currency": "USD"}, "kind": "write_off",
                    "reason": "paid by card", "note": "desk"}
            body[field] = f"customer card {bait} exp 12/29"
            answer = request("POST", "payments", "/v1/adjustments", bearer=bearer, body=body, headers={"Idempotency-Key": key})
            sent["http"].append((field, bait, key, body, answer))

    # Headers: a card number as the Idempotency-Key, and as the X-Request-Id (which is logged and echoed).
    body = {"patientId": "pat-bait-charge", "amount": {"amount": 100, "currency": "USD"}, "kind": "write_off",
            "reason": "key bait"}
    sent["key"] = request("POST", "payments", "/v1/adjustments", bearer=bearer, body=body,
                          headers={"Idempotency-Key": re.sub(r"\D", "", BAITS[0])})
    sent["request_id"] = request("GET", "payments", "/v1/patients/pat-bait-charge/account", bearer=bearer,
                                 headers={"X-Request-Id": BAITS[1]})

    # The escaped bait, once over HTTP and once in a patient event.
    raw_http = ('{"patientId": "pat-bait-charge", "amount": {"amount": 100, "currency": "USD"}, "kind": "write_off", '
                f'"reason": "card {ESCAPED_JSON}"}}').encode()
    sent["escaped"]["http"] = request("POST", "payments", "/v1/adjustments", bearer=bearer, body=raw_http,
                                      headers={"Idempotency-Key": str(uuid.uuid4())})
    raw_event = json.dumps(registration("pat-bait-4")).replace('"given": "Ana"', f'"given": "{ESCAPED_JSON}"').encode()
    assert ESCAPED_JSON.encode() in raw_event
    sent["escaped"]["event"] = publish(REGISTERED, None, raw=raw_event)

    # A patient with a distinctive name, that three services journal.
    sent["named"] = publish(REGISTERED, registration("pat-zelda", given=GIVEN, family=FAMILY))
    publisher.close()
    return sent


def letters_by_id(service):
    return {letter["messageId"]: letter for letter in dead_letters(service)}


def wait_dead_lettered(services, expected, what):
    """expected: [(message id, field)]; each must be in each service's dead-letter queue with the card reason."""
    def check():
        problems = []
        for service in services:
            letters = letters_by_id(service)
            for message_id, field in expected:
                letter = letters.get(message_id)
                if letter is None:
                    problems.append(f"{service}: {message_id} ({field}) not dead-lettered yet")
                elif not letter["reason"].startswith(f"{field} contains what looks like a card number"):
                    problems.append(f"{service}: {message_id}: reason {letter['reason']!r}")
                elif re.search(r"\d{4}", letter["reason"].replace(field, "")):
                    problems.append(f"{service}: {message_id}: the reason repeats digits: {letter['reason']!r}")
        return True if not problems else problems
    wait_until(check, 30, f"{what} were not all dead-lettered with the card-number reason")


def journaled(service, event_ids):
    ids = ", ".join(f"'{i}'" for i in event_ids)
    return sql(f"SELECT event_id FROM {service}.received_events WHERE event_id IN ({ids})").split()


def kept_patients(clinic, patients):
    """The patients insurance keeps (sealed: it names them on claims) among PATIENTS."""
    listed = ", ".join(f"'{p}'" for p in patients)
    return sql(f"SELECT patient_id FROM insurance.patients WHERE clinic_id = '{clinic}' AND patient_id IN ({listed})").split()


JOURNALING = [s for s in PATIENT_EVENT_CONSUMERS if s != "insurance"]


def test_card_numbers_in_patient_events_are_dead_lettered(baited):
    wait_dead_lettered(PATIENT_EVENT_CONSUMERS, baited["patient_events"], "patient events with a card number")
    for service in JOURNALING:
        assert journaled(service, [i for i, _ in baited["patient_events"]]) == [], f"{service} journaled a refused event"
    assert kept_patients(baited["clinic"], ["pat-bait-1", "pat-bait-2", "pat-bait-3"]) == [], "insurance kept a refused patient"


def test_card_numbers_in_charge_events_are_dead_lettered(baited):
    wait_dead_lettered(CHARGE_EVENT_CONSUMERS, baited["void_events"], "charge voids with a card number")
    status, account = get_json("payments", "/v1/patients/pat-bait-charge/account?limit=100", clinic=baited["clinic"])
    assert status == 200 and "charge-reversal" not in [e["kind"] for e in account["entries"]["data"]], account


def test_card_numbers_in_adjustments_are_refused(baited):
    assert len(baited["http"]) == 6
    for field, bait, key, body, answer in baited["http"]:
        assert answer.status == 422, (field, bait, answer.status, answer.text)
        error = answer.body["error"]
        assert error["code"] == "card_number_refused" and error.get("param") == field, answer.text
        assert not re.search(r"\d{4}", answer.text.replace("12/29", "")), f"the refusal repeats digits: {answer.text}"
    # Nothing was stored under their keys: the same key with the card number taken out goes through.
    field, bait, key, body, _ = baited["http"][0]
    clean = {**body, field: "customer paid by card at the desk"}
    answer = request("POST", "payments", "/v1/adjustments", bearer=token("billing_staff", baited["clinic"]), body=clean,
                     headers={"Idempotency-Key": key})
    assert answer.status == 201 and "idempotent-replayed" not in answer.headers, answer.text


def test_card_numbers_in_headers_are_refused_or_replaced(baited):
    key = baited["key"]
    assert key.status == 422, key.text
    assert key.body["error"]["code"] == "card_number_refused" and key.body["error"].get("param") == "Idempotency-Key", key.text
    answer = baited["request_id"]
    assert answer.status == 200, answer.text
    echoed = answer.headers.get("x-request-id", "")
    assert echoed and not re.search(r"\d{4}[ -]?\d{4}[ -]?\d{4}", echoed), f"a card number was taken as the request id: {echoed}"


def test_card_numbers_written_as_json_escapes_are_refused_too(baited):
    """"Any string in a request or event body that holds a card number is refused": the string is what the
    JSON decodes to, so a number spelled with \\u escapes is still one."""
    answer = baited["escaped"]["http"]
    problems = []
    if answer.status != 422 or (answer.body or {}).get("error", {}).get("code") != "card_number_refused":
        problems.append(f"POST /v1/adjustments with reason {ESCAPED_JSON!r} (decodes to {ESCAPED_BAIT!r}) answered "
                        f"{answer.status} {answer.text}")
    message_id = baited["escaped"]["event"]
    deadline = time.time() + 15
    letter = None
    while time.time() < deadline and letter is None:
        letter = letters_by_id("insurance").get(message_id)
        if letter is None:
            time.sleep(0.5)
    if letter is None or "card number" not in letter["reason"]:
        problems.append(f"{REGISTERED} with name.given {ESCAPED_JSON!r} was not dead-lettered as a card number "
                        f"(dead letter: {letter}; insurance kept: {kept_patients(baited['clinic'], ['pat-bait-4'])})")
    assert not problems, "\n".join(problems)


def test_a_patient_name_is_journaled_sealed(baited):
    wait_until(lambda: kept_patients(baited["clinic"], ["pat-zelda"]) == ["pat-zelda"] or "not yet", 30,
               f"insurance did not keep {GIVEN} {FAMILY}")
    rows = sql(f"SELECT octet_length(body) FROM insurance.patients WHERE clinic_id = '{baited['clinic']}' AND patient_id = 'pat-zelda'")
    assert int(rows) > len(GIVEN + FAMILY), f"insurance keeps no sealed body for {GIVEN} {FAMILY}: {rows!r}"
    for service in JOURNALING:
        wait_until(lambda: journaled(service, [baited["named"]]) == [baited["named"]] or "not yet", 30,
                   f"{service} did not journal the registration of {GIVEN} {FAMILY}")
        rows = sql(f"SELECT octet_length(sealed_body) FROM {service}.received_events "
                   f"WHERE clinic_id = '{baited['clinic']}' AND event_id = '{baited['named']}'")
        assert rows and int(rows) > len(GIVEN + FAMILY), f"{service} keeps no sealed body for the registration: {rows!r}"


def search(text, where, found, name_too=False):
    """Adds to `found` every place in `text` that holds a bait (as sent or as bare digits) or the name."""
    targets = [(needle, f"card number {bait!r}" + (" (got in through JSON escapes)" if bait == ESCAPED_BAIT else ""))
               for needle, bait in needles().items()]
    if name_too:
        targets += [(needle, "the patient's name") for needle in [FAMILY, "Quixotic"]]
    for needle, what in targets:
        places = [m.start() for m in re.finditer(re.escape(needle), text)]
        tables = {}
        for index in places:  # in a dump, name the table the row belongs to
            copy = text.rfind("\nCOPY ", 0, index)
            tables.setdefault(text[copy + 6:text.find(" ", copy + 6)] if copy >= 0 else "", index)
        for table, index in list(tables.items())[:6]:
            context = text[max(0, index - 100):index + len(needle) + 30]
            found.append(f"{where}{' ' + table if table else ''}: {what} as {needle!r} ({len(places)}x in all), "
                         f"e.g. near {context!r}")


def drain(queue):
    connection = amqp_connection()
    channel = connection.channel()
    messages = []
    while True:
        method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is None:
            break
        messages.append((method, properties, body))
    connection.close()
    return messages


def peek_dead(service):
    """Every message of <service>.dead, read without acknowledging; closing the channel puts them back."""
    connection = amqp_connection()
    channel = connection.channel()
    count = channel.queue_declare(queue=f"{service}.dead", passive=True).method.message_count
    messages = []
    for _ in range(count):
        method, properties, body = channel.basic_get(queue=f"{service}.dead", auto_ack=False)
        if method is None:
            break
        messages.append((properties, body))
    connection.close()  # unacknowledged: back in the queue
    return messages


def test_no_card_number_or_name_is_anywhere(baited, spy):
    # Everything sent must have settled first: our bait events are in the dead-letter queues.
    wait_dead_lettered(PATIENT_EVENT_CONSUMERS, baited["patient_events"], "patient events with a card number")
    wait_dead_lettered(CHARGE_EVENT_CONSUMERS, baited["void_events"], "charge voids with a card number")
    test_a_patient_name_is_journaled_sealed(baited)
    found = []

    # 1. The whole database, dumped by the superuser.
    dump = subprocess.run(["pg_dump", "-h", env("CLINICLEDGER_POSTGRES_ADMIN_SOCKET"), "-p", env("CLINICLEDGER_POSTGRES_PORT"),
                           "-U", "postgres", "-d", "clinicledger"], capture_output=True, text=True)
    assert dump.returncode == 0, f"pg_dump failed: {dump.stderr}"
    assert baited["clinic"] in dump.stdout and "received_events" in dump.stdout, "the dump lacks this module's data"
    search(dump.stdout, "pg_dump", found, name_too=True)

    # 2. Every service's log (and Postgres's, which logs failed statements).
    logs = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        ".run", env("CLINICLEDGER_ENV"), "logs")
    files = [os.path.join(logs, f"{service}.log") for service in SERVICES] + [os.path.join(logs, "postgres.log")]
    missing = [f for f in files if not os.path.exists(f)]
    assert not missing, f"logs missing: {missing}"
    dead_lettered_logged = False
    for path in files:
        with open(path, errors="replace") as f:
            text = f.read()
        dead_lettered_logged |= "event dead-lettered" in text
        search(text, os.path.relpath(path, os.path.dirname(logs)), found, name_too=True)
    assert dead_lettered_logged, "no service logged a dead letter: the logs scanned are not this run's"

    # 3. Every message published on clinicledger.events during this module, except the bait we sent ourselves.
    messages = drain(spy)
    theirs = [(m, p, b) for m, p, b in messages if (p.headers or {}).get("cloudEvents_id") not in baited["ours"]]
    assert any(m.routing_key == "payments.charge.recorded.v1" and (p.headers or {}).get("cloudEvents_clinicid") == baited["clinic"]
               for m, p, b in theirs), f"the spy queue did not see payments' events of this module ({len(messages)} messages)"
    assert len(messages) - len(theirs) >= len(baited["ours"]), "the spy queue missed some of our own events"
    for method, properties, body in theirs:
        search(body.decode("utf-8", "replace") + json.dumps(properties.headers or {}, default=str),
               f"AMQP {method.routing_key} {properties.message_id}", found)

    # 4. Every dead-letter queue: our bait is there, masked.
    masked = set()
    for service in SERVICES:
        for properties, body in peek_dead(service):
            text = body.decode("utf-8", "replace")
            search(text + json.dumps(properties.headers or {}, default=str), f"{service}.dead {properties.message_id}", found)
            if properties.message_id in baited["ours"] and MASK in text:
                masked.add((service, properties.message_id))
    expected_masked = {(s, i) for s in PATIENT_EVENT_CONSUMERS for i, _ in baited["patient_events"]} | \
                      {(s, i) for s in CHARGE_EVENT_CONSUMERS for i, _ in baited["void_events"]}
    assert expected_masked <= masked, f"dead letters without the mask {MASK!r}: {sorted(expected_masked - masked)}"

    assert not found, f"{len(found)} place(s) hold a card number or the patient's name:\n" + "\n".join(found)
