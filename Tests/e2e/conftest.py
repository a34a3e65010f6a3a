"""Shared helpers for the end-to-end tests: they run against the five services that
`scripts/dev test` started, and talk to them only as an outside system would (AMQP + HTTP),
plus read-only SQL checks through the admin socket."""
import datetime
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pika
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = ["payments", "insurance", "plans", "notifications", "analytics"]


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through `scripts/dev test` (it starts the servers)")
    return value


def http_port(service):
    return int(env(f"{service.upper()}_HTTP_PORT"))


def get_json(service, path):
    url = f"http://127.0.0.1:{http_port(service)}{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def amqp_connection():
    port = int(env("CLINICLEDGER_AMQP_PORT"))
    try:
        return pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port, heartbeat=60))
    except pika.exceptions.AMQPConnectionError as error:
        pytest.fail(f"RabbitMQ is not reachable on 127.0.0.1:{port} ({error}); run `scripts/dev test`")


def sql(query):
    """Read-only checks as the database superuser, through the unix socket."""
    result = subprocess.run(
        ["psql", "-X", "-tA", "-h", env("CLINICLEDGER_POSTGRES_ADMIN_SOCKET"), "-p", env("CLINICLEDGER_POSTGRES_PORT"),
         "-U", "postgres", "-d", "clinicledger", "-c", query],
        capture_output=True, text=True, check=True)
    return result.stdout.strip()


def headers_for(event_type, clinic_id, event_id=None):
    return {
        "cloudEvents_specversion": "1.0",
        "cloudEvents_id": event_id or str(uuid.uuid4()),
        "cloudEvents_source": "tests/e2e",
        "cloudEvents_type": event_type,
        "cloudEvents_time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "cloudEvents_clinicid": clinic_id,
        "cloudEvents_correlationid": str(uuid.uuid4()),
    }


class Publisher:
    """An outside clinic system: publishes with confirms, like any AMQP client would."""

    def __init__(self):
        self.connection = amqp_connection()
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def publish(self, routing_key, body, headers, content_type="application/json"):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.channel.basic_publish(
            exchange="clinicledger.events", routing_key=routing_key, body=raw,
            properties=pika.BasicProperties(content_type=content_type, delivery_mode=2,
                                            message_id=headers.get("cloudEvents_id"), headers=headers))

    def close(self):
        self.connection.close()


def charge_body(charge_id, patient_id, amount, currency="USD", service_date=None):
    return {
        "chargeId": charge_id,
        "patientId": patient_id,
        "providerId": "prov-1",
        "serviceDate": service_date or datetime.date.today().isoformat(),
        "procedure": {"code": "D1110", "codeSystem": "CDT"},
        "fee": {"amount": amount, "currency": currency},
    }


def wait_until(check, timeout, message):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = check()
        if last is True:
            return
        time.sleep(0.5)
    pytest.fail(f"{message} (within {timeout} s); last check said: {last}")


def dead_letters(service):
    result = subprocess.run([os.path.join(ROOT, ".build/debug", service), "dead-letters", "list", "--json"],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def process_running(pid):
    """Whether PID runs: it exists and its state is not Z (zombie) or X (dead). Where PID 1 does not
    reap orphans, a killed service stays a zombie and os.kill(pid, 0) still succeeds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def service_pid(service):
    with open(os.path.join(ROOT, ".run", env("CLINICLEDGER_ENV"), "pids", f"{service}.pid")) as f:
        return int(f.read().strip())


@pytest.fixture
def clinic_id():
    """Each test works in a clinic of its own, so tests never see each other's money."""
    return f"clinic-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def publisher():
    p = Publisher()
    yield p
    p.close()
