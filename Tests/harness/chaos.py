"""scripts/dev chaos: faults, with money as the invariant. Runs in the chaos environment that
scripts/dev set up. One table row per scenario; the last line is a verdict."""
import argparse
import datetime
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid

import pika

from bench import BIN_DIR, RUN_DIR, SERVICES, pid_of, ready, sql

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dev(*args):
    subprocess.run([os.path.join(ROOT, "scripts/dev"), *args], check=True, capture_output=True,
                   env={**os.environ, "CLINICLEDGER_ENV": os.environ["CLINICLEDGER_ENV"]})


def start(service, extra_env=None, name=None):
    name = name or service
    log = open(f"{RUN_DIR}/logs/{name}.log", "a")
    process = subprocess.Popen([os.path.join(BIN_DIR, service), "serve"], stdin=subprocess.DEVNULL, stdout=log,
                               stderr=log, start_new_session=True, env={**os.environ, **(extra_env or {})})
    open(f"{RUN_DIR}/pids/{name}.pid", "w").write(str(process.pid))
    return process


def wait_ready(service, timeout=60):
    deadline = time.time() + timeout
    while not ready(service):
        if time.time() > deadline:
            raise SystemExit(f"chaos: {service} not ready after {timeout} s")
        time.sleep(0.05)


class Clinic:
    """A clinic system that publishes with confirms and, when the broker goes away, reconnects and
    re-sends what was not confirmed under the same event id (as the contract asks)."""

    def __init__(self):
        self.id = f"chaos-{uuid.uuid4().hex[:8]}"
        self.expected = {}
        self.charges = []
        self.sent = 0
        self.connect()

    def connect(self):
        while True:
            try:
                self.connection = pika.BlockingConnection(pika.ConnectionParameters(
                    "127.0.0.1", int(os.environ["CLINICLEDGER_AMQP_PORT"]), heartbeat=30))
                self.channel = self.connection.channel()
                self.channel.confirm_delivery()
                return
            except pika.exceptions.AMQPError:
                time.sleep(0.5)

    def publish(self, routing_key, body, event_id=None, headers=None, content_type="application/json"):
        event_id = event_id or str(uuid.uuid4())
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {
            "cloudEvents_specversion": "1.0", "cloudEvents_id": event_id, "cloudEvents_source": "chaos",
            "cloudEvents_type": routing_key, "cloudEvents_clinicid": self.id,
            "cloudEvents_time": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        if headers is not None:
            all_headers = headers(all_headers)
        while True:
            try:
                self.channel.basic_publish("clinicledger.events", routing_key, raw, pika.BasicProperties(
                    content_type=content_type, delivery_mode=2, message_id=event_id, headers=all_headers))
                self.sent += 1
                return event_id
            except (pika.exceptions.AMQPError, OSError):
                self.connect()  # not confirmed: send it again, same id

    def post(self, n, patients=200, rng=random):
        patient = f"p{n % patients}"
        amount = 100 + (n * 7919) % 250_000
        body = {"chargeId": f"c{n}", "patientId": patient, "providerId": "d1",
                "serviceDate": datetime.date.today().isoformat(),
                "procedure": {"code": "D1110", "codeSystem": "CDT"}, "fee": {"amount": amount, "currency": "USD"}}
        event_id = self.publish("clinic.charge.posted.v1", body)
        self.expected[patient] = self.expected.get(patient, 0) + amount
        self.charges.append((body, event_id))
        if rng.random() < 0.05:  # a re-send of the same event, as after a lost confirm
            self.publish("clinic.charge.posted.v1", body, event_id)

    def post_many(self, count):
        for n in range(count):
            self.post(n)

    def close(self):
        try:
            self.connection.close()
        except Exception:
            pass


def invariants(clinic):
    """Lost and doubled money, or None when every invariant holds."""
    c = clinic.id
    balances = dict(line.split("|") for line in sql(
        f"SELECT patient_id, balance FROM payments.patient_balances WHERE clinic_id = '{c}'").splitlines() if line)
    lost = sum(max(0, amount - int(balances.get(p, 0))) for p, amount in clinic.expected.items())
    doubled = sum(max(0, int(balances.get(p, 0)) - amount) for p, amount in clinic.expected.items())
    ledger_zero = sql(f"SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries WHERE clinic_id = '{c}'") == "0"
    per_transfer = sql(f"SELECT count(*) FROM (SELECT 1 FROM payments.ledger_entries WHERE clinic_id = '{c}' "
                       f"GROUP BY transfer_id HAVING count(*) <> 2) t") == "0"
    analytics = int(sql(f"SELECT coalesce(sum(balance), 0) FROM analytics.patient_balances WHERE clinic_id = '{c}'"))
    payments_total = sum(int(v) for v in balances.values())
    return lost, doubled, ledger_zero and per_transfer and analytics == payments_total


def settle(clinic, timeout=600):
    started = time.time()
    while time.time() - started < timeout:
        lost, doubled, consistent = invariants(clinic)
        if lost == 0 and doubled == 0 and consistent:
            return time.time() - started
        time.sleep(0.5)
    return None


def charges_in_ledger(clinic):
    return int(sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = '{clinic.id}'"))


def scenario(name, events, fault):
    clinic = Clinic()
    publisher = threading.Thread(target=clinic.post_many, args=(events,))
    publisher.start()
    fault(publisher)
    publisher.join()
    clinic.close()
    settled = settle(clinic)
    lost, doubled, consistent = invariants(clinic)
    return {"scenario": name, "sent": clinic.sent, "charges": charges_in_ledger(clinic), "lost": lost,
            "doubled": doubled, "dead": 0, "settle": settled, "ok": settled is not None and consistent}


def kill_repeatedly(service, times):
    def fault(publisher):
        for _ in range(times):
            time.sleep(random.uniform(1.0, 3.0))
            os.kill(pid_of(service), signal.SIGKILL)
            time.sleep(0.3)
            start(service)
            wait_ready(service)
    return fault


def restart_server(server):
    def fault(publisher):
        time.sleep(3)
        dev("restart", server)
    return fault


def replicas(publisher):
    # A second and third payments compete on the same queue; one is killed mid-batch.
    port = int(os.environ["PAYMENTS_HTTP_PORT"])
    extra = [start("payments", {"PAYMENTS_HTTP_PORT": str(port + 100 + i)}, name=f"payments-replica-{i}") for i in (1, 2)]
    time.sleep(4)
    extra[0].send_signal(signal.SIGKILL)
    publisher.join()
    time.sleep(5)
    extra[1].send_signal(signal.SIGTERM)
    extra[1].wait(15)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000, help="charge events per scenario")
    args = parser.parse_args()
    n = args.events
    results = [
        scenario("kill -9 payments x5", n, kill_repeatedly("payments", 5)),
        scenario("kill -9 analytics x5", n, kill_repeatedly("analytics", 5)),
        scenario("RabbitMQ restart", n, restart_server("rabbitmq")),
        scenario("Postgres restart", n, restart_server("postgres")),
        scenario("3 payments replicas, 1 killed", n, replicas),
    ]
    print(f"\n{'scenario':34}{'sent':>8}{'in ledger':>10}{'lost':>6}{'doubled':>8}{'settle s':>9}  verdict")
    for r in results:
        settle_text = f"{r['settle']:.1f}" if r["settle"] is not None else "never"
        print(f"{r['scenario']:34}{r['sent']:>8}{r['charges']:>10}{r['lost']:>6}{r['doubled']:>8}{settle_text:>9}  "
              f"{'ok' if r['ok'] and r['lost'] == 0 and r['doubled'] == 0 else 'FAILED'}")
    total = sum(r["sent"] for r in results)
    lost = sum(1 for r in results if r["lost"])
    doubled = sum(1 for r in results if r["doubled"])
    print(f"\nchaos: {len(results)} scenarios, {total} events, {lost} lost, {doubled} doubled")
    raise SystemExit(0 if all(r["ok"] for r in results) and not lost and not doubled else 1)


if __name__ == "__main__":
    main()
