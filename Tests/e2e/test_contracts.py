"""The published contract, checked by a third-party JSON Schema validator and against what the
services really publish; and the README's example, run as a clinic system would run it."""
import glob
import json
import os
import subprocess
import sys
import time

import jsonschema
import pika

from conftest import ROOT, Publisher, amqp_connection, charge_body, get_json, headers_for, wait_until

SCHEMAS = {os.path.basename(p)[:-len(".json")]: json.load(open(p))
           for p in glob.glob(os.path.join(ROOT, "Contracts/schemas/*.json"))}
HEADERS_SCHEMA_REQUIRED = ["cloudEvents_specversion", "cloudEvents_id", "cloudEvents_source", "cloudEvents_type",
                           "cloudEvents_time", "cloudEvents_clinicid"]


def test_every_schema_is_valid_2020_12_and_accepts_its_golden_example():
    assert len(SCHEMAS) == 40  # as many as Contracts' EventCatalog lists: a lost schema fails here
    for name, schema in SCHEMAS.items():
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["examples"], name
        for example in schema["examples"]:
            jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(example)


def test_readme_lists_every_event_type():
    readme = open(os.path.join(ROOT, "README.md")).read()
    for name in SCHEMAS:
        assert f"`{name}`" in readme, f"README's event catalogue is missing {name}"


def test_what_payments_publishes_matches_its_schemas(clinic_id, publisher):
    """A vendor's consumer: bind a queue to payments.#, post a charge, validate what comes back."""
    connection = amqp_connection()
    channel = connection.channel()
    queue = channel.queue_declare(queue="", exclusive=True).method.queue
    channel.queue_bind(queue=queue, exchange="clinicledger.events", routing_key="payments.#")
    posted = headers_for("clinic.charge.posted.v1", clinic_id)
    publisher.publish("clinic.charge.posted.v1", charge_body("chg-contract", "pat-c", 4200), posted)

    received = {}
    deadline = time.time() + 30
    while len(received) < 2 and time.time() < deadline:
        method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is None:
            time.sleep(0.1)
            continue
        if properties.headers.get("cloudEvents_clinicid") == clinic_id:
            received[method.routing_key] = (properties, json.loads(body))
    connection.close()
    assert set(received) == {"payments.charge.recorded.v1", "payments.balance.changed.v1"}
    for routing_key, (properties, body) in received.items():
        jsonschema.Draft202012Validator(SCHEMAS[routing_key], format_checker=jsonschema.FormatChecker()).validate(body)
        headers = properties.headers
        for name in HEADERS_SCHEMA_REQUIRED:
            assert headers.get(name), f"{routing_key} lacks {name}"
        assert headers["cloudEvents_type"] == routing_key
        assert headers["cloudEvents_causationid"] == posted["cloudEvents_id"]
        assert headers["cloudEvents_correlationid"] == posted["cloudEvents_correlationid"]
        assert properties.message_id == headers["cloudEvents_id"]
        assert properties.delivery_mode == 2 and properties.content_type == "application/json"
    assert received["payments.balance.changed.v1"][1]["balance"] == {"amount": 4200, "currency": "USD"}


def test_readme_example_publishes_a_charge_that_lands(clinic_id):
    example = open(os.path.join(ROOT, "Contracts/examples/publish_charge.py")).read()
    assert example in open(os.path.join(ROOT, "README.md")).read(), "README must show the example file verbatim"
    result = subprocess.run([sys.executable, os.path.join(ROOT, "Contracts/examples/publish_charge.py")],
                            env={**os.environ, "CLINIC_ID": clinic_id}, capture_output=True, text=True, check=True)
    charge_id = result.stdout.strip()
    assert charge_id.startswith("chg-")

    def landed():
        status, account = get_json("payments", "/v1/patients/pat-1001/account", clinic=clinic_id)
        return True if status == 200 and account["balance"] == {"amount": 18500, "currency": "USD"} else (status, account)
    wait_until(landed, 30, "the README example's charge did not reach the ledger")


def test_http_errors_say_what_is_wrong(clinic_id):
    """One error shape, and the message says what to fix: the clinic comes from the token only."""
    status, body = get_json("payments", "/v1/patients/pat-1/account")
    assert status == 401 and body["error"]["code"] == "token_missing", body
    assert body["error"]["type"] == "authentication_error" and "Bearer" in body["error"]["message"]
    status, body = get_json("payments", "/v1/patients/nobody/account", clinic=f"{clinic_id}-nobody-here")
    assert status == 404 and body["error"]["code"] == "resource_missing" and "no account" in body["error"]["message"], body
    status, body = get_json("payments", "/v1/patients/pat-1/account?limit=0", clinic=clinic_id)
    assert status == 400 and body["error"]["param"] == "limit" and "limit" in body["error"]["message"], body
    status, body = get_json("analytics", "/v1/summary")
    assert status == 401 and body["error"]["code"] == "token_missing", body
