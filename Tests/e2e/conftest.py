"""Shared helpers for the end-to-end tests: they run against the five services that
`scripts/dev test` started, and talk to them only as an outside system would (AMQP + HTTP),
plus read-only SQL checks through the admin socket."""
import base64
import collections
import datetime
import functools
import hashlib
import hmac
import itertools
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


@functools.lru_cache(maxsize=None)
def token(role, clinic, patient=None, ttl="1h", subject=None):
    """A bearer token from `scripts/dev token` for the running environment (CLINICLEDGER_ENV), cached
    per arguments. A negative ttl ("-5s") makes an expired token."""
    args = [env("DEV_SCRIPT"), "token", "--role", role, "--clinic", clinic, "--ttl", ttl]
    if patient is not None:
        args += ["--patient", patient]
    if subject is not None:
        args += ["--subject", subject]
    result = subprocess.run(args, capture_output=True, text=True,
                            env={**os.environ, "CLINICLEDGER_ENV": env("CLINICLEDGER_ENV")})
    if result.returncode != 0 or result.stdout.strip().count(".") != 2:
        pytest.fail(f"`{' '.join(args[1:])}` did not print a token (exit {result.returncode}): "
                    f"{result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def resigned(jwt, secret=b"not-the-environment-secret", claims=None):
    """JWT with its claims optionally changed and an HS256 signature under another secret."""
    header, payload, _ = jwt.split(".")
    if claims is not None:
        decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        decoded.update(claims)
        payload = b64url(json.dumps(decoded).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(signature)}"


Response = collections.namedtuple("Response", "status headers body text")


def request(method, service, path, bearer=None, body=None, headers=None, timeout=30):
    """One HTTP call; `body` is JSON-encoded unless it is bytes. Returns Response(status, headers (lowercase
    names), body (parsed JSON or None), text)."""
    url = f"http://127.0.0.1:{http_port(service)}{path}"
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    sent = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    if bearer is not None:
        sent["Authorization"] = f"Bearer {bearer}"
    call = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(call, timeout=timeout) as response:
            status, answer_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, error.headers, error.read()
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return Response(status, {k.lower(): v for k, v in answer_headers.items()}, parsed, text)


def get_json(service, path, clinic=None, role="billing_staff", bearer=None):
    """GET with a token: `bearer` as given, else one for `role` in `clinic`; no token when neither is
    given (the public routes: health, metrics, the OpenAPI document)."""
    if bearer is None and clinic is not None:
        bearer = token(role, clinic)
    answer = request("GET", service, path, bearer=bearer)
    return answer.status, answer.body


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


def psql_as_service(service, statements):
    """Runs SQL as the service's own login role over TCP (what a compromised service could do). Returns
    the CompletedProcess; the caller checks returncode and stderr."""
    return subprocess.run(
        ["psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", env("CLINICLEDGER_POSTGRES_PORT"),
         "-U", service, "-d", "clinicledger", "-c", statements],
        capture_output=True, text=True, env={**os.environ, "PGPASSWORD": env(f"{service.upper()}_POSTGRES_PASSWORD")})


def run_dev(*args, check=True):
    """`scripts/dev ARGS` for the environment under test; returns the CompletedProcess."""
    result = subprocess.run([env("DEV_SCRIPT"), *args], capture_output=True, text=True,
                            env={**os.environ, "CLINICLEDGER_ENV": env("CLINICLEDGER_ENV")})
    if check and result.returncode != 0:
        pytest.fail(f"`scripts/dev {' '.join(args)}` exited {result.returncode}: {result.stdout}{result.stderr}")
    return result


def audit_verify(service):
    """`scripts/dev audit SERVICE verify`. Only when it says another sealer held the lock (its message says
    to retry) is it run again, up to three times. Returns the CompletedProcess."""
    for _ in range(3):
        result = run_dev("audit", service, "verify", check=False)
        if "another sealer holds the lock" not in result.stdout + result.stderr:
            break
        time.sleep(0.5)
    return result


def post_charge_and_wait(publisher, clinic, patient, amount, charge_id=None, timeout=30):
    """Publishes a charge as a clinic system would and waits until payments shows it in the account."""
    charge_id = charge_id or f"chg-{uuid.uuid4().hex[:12]}"
    status_before, before = get_json("payments", f"/v1/patients/{patient}/account", clinic=clinic)
    start = before["balance"]["amount"] if status_before == 200 else 0
    publisher.publish("clinic.charge.posted.v1", charge_body(charge_id, patient, amount),
                      headers_for("clinic.charge.posted.v1", clinic))

    def landed():
        status, account = get_json("payments", f"/v1/patients/{patient}/account", clinic=clinic)
        return True if status == 200 and account["balance"]["amount"] == start + amount else (status, account)
    wait_until(landed, timeout, f"the charge {charge_id} for {patient} did not reach payments")
    return charge_id


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


_distinct_work = itertools.count()


def charge_body(charge_id, patient_id, amount, currency="USD", service_date=None, procedure=None):
    """A charge for distinct work each call (another code or tooth), unless `procedure` is given: payments
    holds the same work twice (patient, procedure, tooth, surfaces, service date) as a duplicate."""
    n = next(_distinct_work)
    return {
        "chargeId": charge_id,
        "patientId": patient_id,
        "providerId": "prov-1",
        "serviceDate": service_date or datetime.date.today().isoformat(),
        "procedure": procedure or {"code": f"D{n % 10000:04d}", "codeSystem": "CDT", "tooth": str(1 + n // 10000 % 32)},
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
