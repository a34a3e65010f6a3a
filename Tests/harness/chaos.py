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

from bench import (
    BIN_DIR, RUN_DIR, SERVICES, api, idempotency_key, in_threads, metric_total, pid_of, ready, running, sql, token)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dev(*args):
    done = subprocess.run([os.path.join(ROOT, "scripts/dev"), *args], capture_output=True, text=True,
                          env={**os.environ, "CLINICLEDGER_ENV": os.environ["CLINICLEDGER_ENV"]})
    if done.returncode != 0:
        raise RuntimeError(f"scripts/dev {' '.join(args)} failed: {(done.stderr or done.stdout).strip()[-300:]}")


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
        if time.time() > deadline:  # a failed scenario, not a lost table
            raise RuntimeError(f"{service} not ready after {timeout} s (see {RUN_DIR}/logs/{service}.log)")
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
            except (pika.exceptions.AMQPError, OSError) as error:
                print(f"  publisher: {type(error).__name__} {error}; reconnecting to send it again", flush=True)
                self.close()
                self.connect()  # not confirmed: send it again, same id

    def post(self, n, patients=200, rng=random):
        patient = f"p{n % patients}"
        amount = 100 + (n * 7919) % 250_000
        body = {"chargeId": f"c{n}", "patientId": patient, "providerId": "d1",
                "serviceDate": datetime.date.today().isoformat(),
                # Distinct work per charge (code and tooth from n): the same work twice is held as a duplicate.
                "procedure": {"code": f"D{n % 10000:04d}", "codeSystem": "CDT", "tooth": str(1 + n // 10000 % 32)},
                "fee": {"amount": amount, "currency": "USD"}}
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
    """(charges lost, charges doubled, every money invariant holds)."""
    c = clinic.id
    balances = dict(line.split("|") for line in sql(
        f"SELECT patient_id, balance FROM payments.patient_balances WHERE clinic_id = '{c}'").splitlines() if line)
    exact = all(int(balances.get(p, 0)) == amount for p, amount in clinic.expected.items())
    lost = len({body["chargeId"] for body, _ in clinic.charges}) - charges_in_ledger(clinic)
    # Each charge is one transfer of exactly two postings; more would be money counted twice.
    doubled = int(sql(f"SELECT count(*) FROM (SELECT 1 FROM payments.ledger_entries WHERE clinic_id = '{c}' "
                      f"GROUP BY transfer_id HAVING count(*) > 2) t"))
    ledger_zero = sql(f"SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries WHERE clinic_id = '{c}'") == "0"
    analytics = int(sql(f"SELECT coalesce(sum(balance), 0) FROM analytics.patient_balances WHERE clinic_id = '{c}'"))
    payments_total = sum(int(v) for v in balances.values())
    return lost, doubled, exact and ledger_zero and analytics == payments_total


def settle(clinic, timeout=600):
    started = time.time()
    while time.time() - started < timeout:
        lost, doubled, consistent = invariants(clinic)
        if lost == 0 and doubled == 0 and consistent:
            return time.time() - started
        time.sleep(0.5)
    return None


def audit_problem():
    """The audit trail survives the fault too: every service's hash chain verifies (each charge recorded
    is an audit line, written in the batch's transaction)."""
    for service in ("payments", "analytics"):
        verdict = subprocess.run([os.path.join(BIN_DIR, service), "audit", "verify"], capture_output=True, text=True)
        if verdict.returncode != 0:
            return f"{service} audit trail does not verify: {(verdict.stdout + verdict.stderr).strip()}"
    return None


def charges_in_ledger(clinic):
    return int(sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = '{clinic.id}'"))


def scenario(name, events, fault, check=None):
    """Charges under a fault; `check`, if given, says whether the fault really happened (or why not)."""
    clinic = Clinic()
    dead_before = dead_letter_ids("payments") | dead_letter_ids("analytics")
    publisher = threading.Thread(target=clinic.post_many, args=(events,))
    publisher.start()
    fault(publisher)
    publisher.join()
    clinic.close()
    settled = settle(clinic)
    lost, doubled, consistent = invariants(clinic)
    dead = len((dead_letter_ids("payments") | dead_letter_ids("analytics")) - dead_before)
    problem = (check() if check else None) or audit_problem()
    if problem:
        print(f"  {name}: {problem}", flush=True)
    return {"scenario": name, "sent": clinic.sent, "charges": charges_in_ledger(clinic), "lost": lost,
            "doubled": doubled, "dead": dead, "settle": settled,
            "ok": settled is not None and consistent and dead == 0 and not problem}


def kill9(service):
    """kill -9 of a running service; a zombie counts as dead: killing it again would prove nothing."""
    pid = pid_of(service)
    if not running(pid):
        raise RuntimeError(f"{service} (pid {pid}) was not running when it was to be killed")
    os.kill(pid, signal.SIGKILL)


def restart(service):
    time.sleep(0.3)
    start(service)
    wait_ready(service)


def save_card(patient, staff):
    """A tok_visa card on file with an auto-charge authorization: (HTTP status, answer)."""
    return api("POST", "payments", f"/v1/patients/{patient}/payment-methods", bearer=staff,
               headers={"Idempotency-Key": idempotency_key()},
               body={"token": "tok_visa", "autoCharge": {"consentText": CONSENT, "channel": "in_person"}})


class KillRepeatedly:
    """kill -9 of a service, `times` times while charges flow, each followed by a restart."""

    def __init__(self, service, times):
        self.service, self.times, self.under_load = service, times, 0

    def fault(self, publisher):
        for _ in range(self.times):
            time.sleep(random.uniform(1.0, 3.0))
            self.under_load += publisher.is_alive()
            kill9(self.service)
            restart(self.service)

    def check(self):
        if self.under_load == 0:
            return f"none of the {self.times} kills of {self.service} came while charges were being published"
        return None


def kill_repeatedly(name, events, service, times):
    drill = KillRepeatedly(service, times)
    return scenario(name, events, drill.fault, drill.check)


def consumed(service, outcome):
    return metric_total(service, "clinicledger_events_consumed_total", f'outcome="{outcome}"')


class RelayCrashes:
    """Payments dies three times between the broker confirming an outbox batch and deleting it
    (PAYMENTS_FAULT_EXIT_AFTER_RELAYED_BATCHES), so that batch goes out twice; analytics must count the
    copies as duplicates and apply nothing twice."""

    def __init__(self):
        self.duplicates_before = consumed("analytics", "duplicate")
        self.crashes = 0

    def fault(self, publisher):
        for _ in range(3):
            time.sleep(1)
            os.kill(pid_of("payments"), signal.SIGTERM)
            while ready("payments"):
                time.sleep(0.05)
            time.sleep(0.5)
            drill = start("payments", {"PAYMENTS_FAULT_EXIT_AFTER_RELAYED_BATCHES": "5"})
            if drill.wait(120) == 86:
                self.crashes += 1
            start("payments")
            wait_ready("payments")

    def check(self):
        duplicates = consumed("analytics", "duplicate") - self.duplicates_before
        if self.crashes < 3:
            return f"the relay drill fired {self.crashes} of 3 times"
        if duplicates == 0:
            return "no duplicate reached analytics, so the crash did not re-publish"
        print(f"  relay killed after publish x{self.crashes}: analytics absorbed {duplicates:.0f} duplicate events", flush=True)
        return None


class RestartServer:
    """`scripts/dev restart SERVER` while charges flow."""

    def __init__(self, server):
        self.server, self.under_load = server, False

    def fault(self, publisher):
        time.sleep(3)
        self.under_load = publisher.is_alive()
        dev("restart", self.server)

    def check(self):
        return None if self.under_load else f"the {self.server} restart came after the last charge was published"


def restart_server(name, events, server):
    drill = RestartServer(server)
    return scenario(name, events, drill.fault, drill.check)


def relay_crashes(events):
    drill = RelayCrashes()
    return scenario("relay killed after publish x3", events, drill.fault, drill.check)


def replicas(publisher):
    # A second and third payments compete on the same queue; one is killed mid-batch.
    port = int(os.environ["PAYMENTS_HTTP_PORT"])
    extra = [start("payments", {"PAYMENTS_HTTP_PORT": str(port + 100 + i)}, name=f"payments-replica-{i}") for i in (1, 2)]
    time.sleep(4)
    for i, replica in enumerate(extra, 1):  # a replica that died at start would leave nothing to compete
        if replica.poll() is not None:
            raise RuntimeError(f"payments replica {i} exited with status {replica.returncode} before the drill "
                               f"(see {RUN_DIR}/logs/payments-replica-{i}.log)")
    extra[0].send_signal(signal.SIGKILL)
    publisher.join()
    time.sleep(5)
    extra[1].send_signal(signal.SIGTERM)
    extra[1].wait(15)


CONSENT = "I authorize the clinic to charge this card for balances due."


class AutoChargeKills:
    """The auto-charge run with payments killed while its janitor charges the cards: every patient has one
    recorded charge and an authorized saved card (tok_visa); two runs start at once (POST /v1/auto-charge/runs),
    payments is killed with kill -9 `kills` times while payments are being charged, restarted, and the run
    started again after each restart. Each patient must be charged exactly once, in payments' table and
    at the sandbox gateway's own books, and owe nothing afterwards."""

    def __init__(self, patients, kills):
        self.patients, self.kills = patients, kills
        self.clinic = Clinic()
        self.runs = []          # (when, HTTP status, answer)
        self.under_load = []    # unsettled auto-charge payments when each kill came
        self.in_doubt = []      # of those, charged at the gateway but not yet settled
        self.problems = []

    def count(self, where):
        return int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = '{self.clinic.id}' "
                       f"AND origin = 'auto_charge' AND ({where})"))

    def prepare(self):
        """A charge for each patient (recorded, in analytics too), then an authorized card for each."""
        for n in range(self.patients):
            self.clinic.post(n, patients=self.patients)
        self.fees = dict(self.clinic.expected)
        if settle(self.clinic, timeout=300) is None:
            raise RuntimeError(f"the {self.patients} charges did not all reach the ledger and analytics within 300 s")
        staff = token("billing_staff", self.clinic.id)
        refused, lock = [], threading.Lock()

        def save(patients):
            for patient in patients:
                status, answer = save_card(patient, staff)
                if status != 201 or not isinstance(answer, dict) or answer.get("status") != "active":
                    with lock:
                        refused.append(f"{patient}: {status} {str(answer)[:200]}")

        names = sorted(self.fees)
        in_threads(save, names, 4)
        if refused:
            raise RuntimeError(f"{len(refused)} of {len(names)} cards were not saved, e.g. {refused[0]}")

    def run(self):
        answer = api("POST", "payments", "/v1/auto-charge/runs", bearer=token("admin", self.clinic.id), body={})
        self.runs.append((time.time(), *answer))
        return answer

    def fault(self):
        """Two runs at once; then, each time the janitor has charged some more cards, kill -9, restart, run again."""
        barrier = threading.Barrier(2)
        both = [threading.Thread(target=lambda: (barrier.wait(), self.run())) for _ in range(2)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join()
        for _ in range(self.kills):
            succeeded = self.count("status = 'succeeded'")
            if succeeded >= self.patients:
                raise RuntimeError(f"the janitor had charged all {self.patients} cards before kill {len(self.under_load) + 1}: "
                                   f"nothing left to kill it over (try more --patients)")
            more = min(random.randint(10, 40), max(1, (self.patients - succeeded) // 4))
            deadline = time.time() + 120
            while (charged := self.count("status = 'succeeded'")) < succeeded + more:  # the janitor is charging
                if time.time() > deadline:
                    raise RuntimeError(f"the janitor charged {charged} of {self.patients} cards and then nothing more "
                                       f"for 120 s (see {RUN_DIR}/logs/payments.log)")
                time.sleep(0.1)
            kill9("payments")
            self.under_load.append(self.count("status IN ('processing', 'unknown')"))
            self.in_doubt.append(int(sql(
                f"SELECT count(*) FROM payments.payments p JOIN payments.sandbox_charges s ON s.idempotency_key = p.payment_id "
                f"WHERE p.clinic_id = '{self.clinic.id}' AND p.status IN ('processing', 'unknown')")))
            restart("payments")
            self.run()

    def settle(self, timeout=300):
        """Seconds until no auto-charge payment is left processing or unknown and every money invariant holds."""
        started = time.time()
        while time.time() - started < timeout:
            if self.count("status IN ('processing', 'unknown')") == 0:
                lost, doubled, consistent = invariants(self.clinic)
                if lost == 0 and doubled == 0 and consistent:
                    return time.time() - started
            time.sleep(1)
        return None

    def check(self, run_date):
        """(patients not charged, charges beyond one per patient): payments' table against the gateway's books."""
        c, key = self.clinic.id, f"'auto:' || patient_id || ':USD:{run_date}'"
        rows = sql(f"SELECT patient_id, status, amount, collection_key = {key}, attempt FROM payments.payments "
                   f"WHERE clinic_id = '{c}' AND origin = 'auto_charge'").splitlines()
        succeeded, amounts = {}, {}
        for row in rows:
            patient, status, amount, key_ok, attempt = row.split("|")
            if key_ok != "t" or attempt != "0":
                self.problems.append(f"payment of {patient} has collection key for another date or attempt {attempt}")
            if status == "succeeded":
                succeeded[patient] = succeeded.get(patient, 0) + 1
                amounts[patient] = amounts.get(patient, 0) + int(amount)
            elif status != "failed":
                self.problems.append(f"a payment of {patient} is left {status}")
        missing = [p for p in self.fees if succeeded.get(p, 0) == 0]
        twice = sum(n - 1 for n in succeeded.values() if n > 1)
        wrong = [p for p in self.fees if p in amounts and amounts[p] != self.fees[p]]
        if missing:
            self.problems.append(f"{len(missing)} patients were never charged, e.g. {missing[0]}")
        if twice:
            self.problems.append(f"{twice} payments beyond one per patient succeeded")
        if wrong:
            self.problems.append(f"{len(wrong)} patients were charged another amount than their balance, e.g. {wrong[0]}: "
                                 f"{amounts[wrong[0]]} for a fee of {self.fees[wrong[0]]}")
        # The gateway's own books: exactly one charge for each payment, and none made under another key.
        payments = len(rows)
        at_gateway = int(sql(f"SELECT count(*) FROM payments.sandbox_charges WHERE idempotency_key IN "
                             f"(SELECT payment_id FROM payments.payments WHERE clinic_id = '{c}' AND origin = 'auto_charge')"))
        since = int(sql(f"SELECT count(*) FROM payments.sandbox_charges WHERE created_at >= to_timestamp({self.began})"))
        if at_gateway != payments or since != payments:
            self.problems.append(f"{payments} payments, but the sandbox gateway holds {at_gateway} charges for them "
                                 f"and made {since} since the scenario began")
        extra_at_gateway = max(0, at_gateway - payments) + max(0, since - payments)
        return len(missing), twice + extra_at_gateway, payments, at_gateway


def auto_charge_kills(name, patients, kills=3):
    drill = AutoChargeKills(patients, kills)
    clinic = drill.clinic
    dead_before = dead_letter_ids("payments") | dead_letter_ids("analytics")
    drill.began = float(sql("SELECT extract(epoch FROM now())"))
    drill.prepare()
    clinic.close()
    drill.fault()
    clinic.expected = {p: 0 for p in drill.fees}  # each balance: its fee less the auto-charge of all of it
    settled = drill.settle()
    # Once settled, another run finds nothing to charge, and a few janitor passes change nothing.
    drill.run()
    passes = int(sql("SELECT coalesce(sum(runs), 0) FROM payments.scheduled_jobs WHERE name = 'payments.janitor.sandbox'"))
    deadline = time.time() + 30
    while int(sql("SELECT coalesce(sum(runs), 0) FROM payments.scheduled_jobs WHERE name = 'payments.janitor.sandbox'")) < passes + 3:
        if time.time() > deadline:
            drill.problems.append("the janitor did not run 3 more times within 30 s after the runs")
            break
        time.sleep(0.5)
    statuses = [status for _, status, _ in drill.runs]
    answers = [a for _, status, a in drill.runs if status == 201 and isinstance(a, dict)]
    dates = {a.get("runDate") for a in answers}
    intents = sum(a.get("intents", 0) for a in answers)
    if not answers or len(dates) != 1:
        raise RuntimeError(f"the runs answered {statuses} with run dates {dates}: {[str(a)[:200] for _, _, a in drill.runs]}")
    if any(status not in (201, 409) for status in statuses) or statuses[:2].count(201) == 0:
        drill.problems.append(f"the runs answered {statuses} (two at once, then one after each restart, then one more)")
    if intents != patients:
        drill.problems.append(f"the runs created {intents} payments for {patients} patients")
    missing, doubled, payments, at_gateway = drill.check(dates.pop())
    lost, transfers_doubled, consistent = invariants(clinic)
    dead = len((dead_letter_ids("payments") | dead_letter_ids("analytics")) - dead_before)
    if sum(1 for n in drill.under_load if n > 0) < len(drill.under_load):
        drill.problems.append(f"some kills came when no payment was being charged (unsettled at each kill: {drill.under_load})")
    problem = audit_problem()
    if problem:
        drill.problems.append(problem)
    print(f"  {name}: {patients} patients, runs answered {statuses} ({intents} payments created), {len(drill.under_load)} kills "
          f"with {drill.under_load} payments unsettled ({drill.in_doubt} already charged at the gateway), "
          f"{payments} payments, {at_gateway} gateway charges", flush=True)
    for text in drill.problems:
        print(f"  {name}: {text}", flush=True)
    return {"scenario": name, "sent": clinic.sent, "charges": charges_in_ledger(clinic), "lost": lost + missing,
            "doubled": transfers_doubled + doubled, "dead": dead, "settle": settled,
            "ok": settled is not None and consistent and dead == 0 and not drill.problems}


def poison_kinds():
    """(name, routing key, body, header change, content type): each must be dead-lettered with a reason."""
    today = datetime.date.today().isoformat()

    def charge(**changes):
        body = {"chargeId": f"poison-{uuid.uuid4().hex[:8]}", "patientId": "poison-patient", "providerId": "d1",
                "serviceDate": today, "procedure": {"code": "D1110", "codeSystem": "CDT"},
                "fee": {"amount": 100, "currency": "USD"}}
        body.update(changes)
        return json.dumps(body).encode()

    def without(*names):
        return lambda h: {k: v for k, v in h.items() if k not in names}

    def with_header(name, value):
        return lambda h: {**h, name: value}

    posted = "clinic.charge.posted.v1"
    fee = lambda amount, currency="USD": {"amount": amount, "currency": currency}
    return [
        ("malformed JSON", posted, b'{"chargeId": "x", "fee": ', None, None),
        ("invalid UTF-8", posted, b'{"chargeId": "\xff\xfe"}', None, None),
        ("empty body", posted, b"", None, None),
        ("JSON array", posted, b"[1, 2, 3]", None, None),
        ("JSON null", posted, b"null", None, None),
        ("amount as string", posted, charge(fee={"amount": "100", "currency": "USD"}), None, None),
        ("amount with decimals", posted, charge(fee={"amount": 100.5, "currency": "USD"}), None, None),
        ("missing fee", posted, json.dumps({"chargeId": "x", "patientId": "poison-patient"}).encode(), None, None),
        ("missing chargeId", posted, json.dumps({**json.loads(charge()), "chargeId": None}).encode(), None, None),
        ("patientId a number", posted, charge(patientId=42), None, None),
        ("serviceDate badly written", posted, charge(serviceDate="11/24/2026"), None, None),
        ("serviceDate impossible", posted, charge(serviceDate="2026-02-30"), None, None),
        ("serviceDate in the future", posted, charge(serviceDate="2099-01-01"), None, None),
        ("unknown code system", posted, charge(procedure={"code": "D1110", "codeSystem": "ICD"}), None, None),
        ("not a CDT code", posted, charge(procedure={"code": "1110", "codeSystem": "CDT"}), None, None),
        ("negative amount", posted, charge(fee=fee(-100)), None, None),
        ("zero amount", posted, charge(fee=fee(0)), None, None),
        ("amount overflowing Int64", posted, charge(fee=fee(9223372036854775808)), None, None),
        ("amount above the maximum", posted, charge(fee=fee(10 ** 13)), None, None),
        ("unknown currency", posted, charge(fee=fee(100, "XYZ")), None, None),
        ("lower-case currency", posted, charge(fee=fee(100, "usd")), None, None),
        ("duplicate keys", posted, b'{"chargeId": "a", "chargeId": "b"}', None, None),
        ("deeply nested JSON", posted, b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}", None, None),
        ("10 MB body", posted, b'{"pad": "' + b"x" * (10 * 1024 * 1024) + b'"}', None, None),
        ("missing specversion header", posted, charge(), without("cloudEvents_specversion"), None),
        ("wrong specversion", posted, charge(), with_header("cloudEvents_specversion", "0.3"), None),
        ("missing id header", posted, charge(), without("cloudEvents_id"), None),
        ("missing type header", posted, charge(), without("cloudEvents_type"), None),
        ("missing clinic header", posted, charge(), without("cloudEvents_clinicid"), None),
        ("missing source header", posted, charge(), without("cloudEvents_source"), None),
        ("time not RFC 3339", posted, charge(), with_header("cloudEvents_time", "yesterday"), None),
        ("type not matching routing key", posted, charge(), with_header("cloudEvents_type", "clinic.charge.refunded.v1"), None),
        ("unknown version", "clinic.charge.posted.v7", charge(), None, None),
        ("wrong content-type", posted, charge(), None, "text/plain"),
        ("void of an unknown charge", "clinic.charge.voided.v1",
         json.dumps({"chargeId": "never-posted", "patientId": "poison-patient"}).encode(), None, None),
    ]


def poison():
    clinic = Clinic()
    kinds = poison_kinds()
    ids = {}
    for name, routing_key, body, change, content_type in kinds:
        ids[clinic.publish(routing_key, body, headers=change, content_type=content_type or "application/json")] = name
    good = Clinic()
    good.post_many(200)  # the consumer keeps going
    good.close()
    deadline = time.time() + 120
    letters = {}
    while time.time() < deadline:
        out = subprocess.run([os.path.join(BIN_DIR, "payments"), "dead-letters", "list", "--json"],
                             capture_output=True, text=True, check=True).stdout
        letters = {d["messageId"]: d for d in json.loads(out)}
        if all(i in letters for i in ids):
            break
        time.sleep(1)
    missing = [name for i, name in ids.items() if i not in letters]
    unexplained = [name for i, name in ids.items() if i in letters and not letters[i]["reason"].strip()]
    effect = sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = '{clinic.id}'") != "0"
    settled = settle(good)
    clinic.close()
    for i, name in ids.items():
        print(f"  poison {name:32} -> {letters[i]['reason'][:90] if i in letters else 'NOT DEAD-LETTERED'}")
    return {"scenario": f"poison ({len(kinds)} kinds)", "sent": clinic.sent, "charges": 0, "lost": 0, "doubled": 0,
            "dead": len(ids) - len(missing), "kinds": len(kinds), "settle": settled,
            "ok": not missing and not unexplained and not effect and settled is not None}


def replay():
    """Voids that arrive before their charges end in the dead-letter queue; once the charges exist,
    a replay applies each void exactly once, and a second replay changes nothing."""
    clinic = Clinic()
    voids = {}
    for n in range(50):
        body = {"chargeId": f"c{n}", "patientId": f"p{n % 5}", "reason": "entered in error"}
        voids[clinic.publish("clinic.charge.voided.v1", body)] = body
    deadline = time.time() + 120
    missing = set(voids) - dead_letter_ids()
    while missing and time.time() < deadline:
        time.sleep(1)
        missing = set(voids) - dead_letter_ids()
    if missing:  # without them in the dead-letter queue there is nothing to replay: the scenario proves nothing
        clinic.close()
        raise RuntimeError(f"{len(missing)} of {len(voids)} early voids were not dead-lettered within 120 s "
                           f"(e.g. {sorted(missing)[0]}), so there is nothing to replay")
    for n in range(50):
        clinic.post(n, patients=5)
    clinic.expected = {p: 0 for p in clinic.expected}  # every charge will be voided
    deadline = time.time() + 60
    while charges_in_ledger(clinic) < 50:
        if time.time() > deadline:
            clinic.close()
            raise RuntimeError(f"only {charges_in_ledger(clinic)} of the 50 charges reached the ledger within 60 s")
        time.sleep(0.5)
    # The cause is fixed (the charges exist): replay those voids. The replay alone must void every charge.
    replayed = subprocess.run([os.path.join(BIN_DIR, "payments"), "dead-letters", "replay", *voids],
                              capture_output=True, text=True)
    if replayed.returncode != 0:
        clinic.close()
        raise RuntimeError(f"replay failed: {replayed.stderr.strip()}")
    settled = settle(clinic, timeout=120)
    after_replay = reversals(clinic)
    still_dead = set(voids) & dead_letter_ids()
    # The same voids again (same event ids) change nothing: wait until payments has seen them all as duplicates.
    duplicates_before = consumed("payments", "duplicate")
    for event_id, body in voids.items():
        clinic.publish("clinic.charge.voided.v1", body, event_id)
    clinic.close()
    deadline = time.time() + 60
    while consumed("payments", "duplicate") - duplicates_before < len(voids) and time.time() < deadline:
        time.sleep(0.5)
    seen_again = consumed("payments", "duplicate") - duplicates_before
    lost, doubled, consistent = invariants(clinic)
    after_again = reversals(clinic)
    problems = [text for failed, text in [
        (after_replay != 100, f"the replay made {after_replay} reversal postings, not 100 (2 for each of 50 voids)"),
        (bool(still_dead), f"{len(still_dead)} voids are still in the dead-letter queue after the replay"),
        (seen_again < len(voids), f"payments saw {seen_again:.0f} of the {len(voids)} re-sent voids as duplicates"),
        (after_again != after_replay, f"the re-sent voids changed the reversal postings: {after_replay} -> {after_again}"),
    ] if failed]
    for problem in problems:
        print(f"  dead-letter replay: {problem}", flush=True)
    return {"scenario": "dead-letter replay (50 early voids)", "sent": clinic.sent, "charges": charges_in_ledger(clinic),
            "lost": lost, "doubled": doubled + max(0, after_again - 100), "settle": settled,
            "dead": len(still_dead), "ok": settled is not None and consistent and not problems}


def reversals(clinic):
    return int(sql(f"SELECT count(*) FROM payments.ledger_entries WHERE clinic_id = '{clinic.id}' "
                   f"AND kind = 'charge-reversal'"))


def dead_letter_ids(service="payments"):
    out = subprocess.run([os.path.join(BIN_DIR, service), "dead-letters", "list", "--json"],
                         capture_output=True, text=True, check=True).stdout
    return {d["messageId"] for d in json.loads(out)}


class PlanInstallmentKills:
    """Payment plans' installments with plans and payments killed while they are due: each patient has a
    charge, a saved card and an autopay plan of three monthly installments (no down payment, no signature,
    by the clinic's policy). The service clock moves a month three times; each time, while the plans job
    asks payments for the installments and payments' janitor charges them, plans and then payments are
    killed with kill -9 and restarted. Every installment must be charged exactly once (payments' table and
    the sandbox gateway's books) and every plan complete with the patient owing nothing."""

    def __init__(self, patients):
        self.patients = patients
        self.clinic = Clinic()
        self.kills = []   # (service, installment payments succeeded when it came)
        self.problems = []

    def count(self, where):
        return int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = '{self.clinic.id}' "
                       f"AND origin = 'plan' AND ({where})"))

    def prepare(self):
        for n in range(self.patients):
            patient, fee = f"p{n}", 30_000 + 3 * n
            body = {"chargeId": f"c{n}", "patientId": patient, "providerId": "d1",
                    "serviceDate": datetime.date.today().isoformat(),
                    "procedure": {"code": "D2740", "codeSystem": "CDT", "tooth": str(1 + n % 32)},
                    "fee": {"amount": fee, "currency": "USD"}}
            self.clinic.charges.append((body, self.clinic.publish("clinic.charge.posted.v1", body)))
            self.clinic.expected[patient] = fee
        self.fees = dict(self.clinic.expected)
        if settle(self.clinic, timeout=300) is None:
            raise RuntimeError(f"the {self.patients} charges did not all reach the ledger within 300 s")
        admin, staff = token("admin", self.clinic.id), token("billing_staff", self.clinic.id)
        status, answer = api("PUT", "plans", "/api/billing/payment-plans/policy", bearer=admin,
                             body={"minDownPaymentPercent": 0, "signatureRequired": False})
        if status != 200:
            raise RuntimeError(f"the plan policy was not set: {status} {str(answer)[:200]}")
        refused, lock = [], threading.Lock()

        def enrol(patients):
            for patient in patients:
                status, method = save_card(patient, staff)
                deadline = time.time() + 60
                while status == 201 and sql(f"SELECT count(*) FROM plans.payment_methods WHERE clinic_id = '{self.clinic.id}' "
                                            f"AND payment_method_id = '{method['id']}'") == "0":
                    if time.time() > deadline:
                        status = "plans never heard of the card"
                    time.sleep(0.1)
                if status == 201:
                    status, method = api("POST", "plans", "/api/billing/payment-plans", bearer=staff,
                                         headers={"Idempotency-Key": idempotency_key()},
                                         body={"patientId": patient, "totalAmount": {"amount": self.fees[patient], "currency": "USD"},
                                               "downPayment": {"amount": 0, "currency": "USD"}, "numberOfPayments": 3,
                                               "paymentMethodId": method["id"], "autoPayEnabled": True})
                if status != 201 or not isinstance(method, dict) or method.get("status") != "ACTIVE":
                    with lock:
                        refused.append(f"{patient}: {status} {str(method)[:200]}")

        names = sorted(self.fees)
        in_threads(enrol, names, 4)
        if refused:
            raise RuntimeError(f"{len(refused)} of {len(names)} plans were not set up, e.g. {refused[0]}")

    def kill(self, service):
        kill9(service)
        self.kills.append((service, self.count("status = 'succeeded'")))
        restart(service)

    def month(self, number):
        """The clock moves a month; plans and payments are killed while the installments are charged."""
        before = self.count("status = 'succeeded'")
        dev("clock", "advance", "32d")
        for service in ("plans", "payments"):
            deadline = time.time() + 120
            while self.count("status = 'succeeded'") < before + random.randint(5, max(6, self.patients // 4)):
                if time.time() > deadline:
                    raise RuntimeError(f"month {number}: no installment charged within 120 s (see {RUN_DIR}/logs/plans.log)")
                time.sleep(0.05)
            self.kill(service)
            before = self.count("status = 'succeeded'")
        deadline = time.time() + 300
        while self.count("status = 'succeeded'") < number * self.patients:
            if time.time() > deadline:
                raise RuntimeError(f"month {number}: {self.count('status = ' + chr(39) + 'succeeded' + chr(39))} of "
                                   f"{number * self.patients} installments charged after 300 s")
            time.sleep(0.5)

    def check(self):
        """(installments never charged, charges beyond one per installment)."""
        c = self.clinic.id
        per_installment = sql(f"SELECT installment_id, count(*) FILTER (WHERE status = 'succeeded') FROM payments.payments "
                              f"WHERE clinic_id = '{c}' AND origin = 'plan' GROUP BY installment_id").splitlines()
        twice = sum(int(n) - 1 for _, n in (row.split("|") for row in per_installment) if int(n) > 1)
        scheduled = int(sql(f"SELECT count(*) FROM plans.scheduled_payments WHERE clinic_id = '{c}' AND number > 0"))
        paid = int(sql(f"SELECT count(*) FROM plans.scheduled_payments WHERE clinic_id = '{c}' AND number > 0 AND status = 'PAID'"))
        completed = int(sql(f"SELECT count(*) FROM plans.payment_plans WHERE clinic_id = '{c}' AND status = 'COMPLETED'"))
        payments = int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = '{c}' AND origin = 'plan'"))
        at_gateway = int(sql(f"SELECT count(*) FROM payments.sandbox_charges WHERE idempotency_key IN "
                             f"(SELECT payment_id FROM payments.payments WHERE clinic_id = '{c}' AND origin = 'plan')"))
        if scheduled != 3 * self.patients or paid != scheduled or completed != self.patients:
            self.problems.append(f"{paid} of {scheduled} installments paid, {completed} of {self.patients} plans completed")
        if at_gateway != payments:
            self.problems.append(f"{payments} plan payments, but the sandbox gateway holds {at_gateway} charges for them")
        return scheduled - paid, twice + max(0, at_gateway - payments), payments


def plan_installment_kills(name, patients):
    drill = PlanInstallmentKills(patients)
    clinic = drill.clinic
    dead_before = dead_letter_ids("payments") | dead_letter_ids("plans")
    started = time.time()
    try:
        drill.prepare()
        for number in (1, 2, 3):
            drill.month(number)
    finally:
        dev("clock", "reset")
    clinic.close()
    clinic.expected = {p: 0 for p in drill.fees}  # three installments pay each fee exactly
    settled = settle(clinic, timeout=120)
    missing, doubled, payments = drill.check()
    lost, transfers_doubled, consistent = invariants(clinic)
    dead = len((dead_letter_ids("payments") | dead_letter_ids("plans")) - dead_before)
    problem = audit_problem()
    if problem:
        drill.problems.append(problem)
    print(f"  {name}: {patients} plans x 3 installments, {payments} plan payments, kills at "
          f"{', '.join(f'{s} ({n} charged)' for s, n in drill.kills)}; {time.time() - started:.0f} s", flush=True)
    for text in drill.problems:
        print(f"  {name}: {text}", flush=True)
    return {"scenario": name, "sent": clinic.sent, "charges": charges_in_ledger(clinic), "lost": lost + missing,
            "doubled": transfers_doubled + doubled, "dead": dead, "settle": settled,
            "ok": settled is not None and consistent and dead == 0 and not drill.problems}


class ClaimKills:
    """Claims under kill -9: each patient (registered, covered, a visit charged and completed) gets one claim;
    one in five was written with the member id in another form, so its claim is rejected by the 277CA, fixed by
    a rule and sent again. insurance is killed three times while claims are built, written, sent and answered.
    Every charge must end on exactly one acknowledged claim, sent once (twice for the fixed ones) — one
    `insurance.claim.submitted.v1` per sending — with no claim built twice."""

    def __init__(self, patients):
        self.patients = patients
        self.clinic = Clinic()
        self.kills = []
        self.submitted = {}  # claim id → distinct event ids of insurance.claim.submitted.v1
        channel = pika.BlockingConnection(pika.ConnectionParameters(
            "127.0.0.1", int(os.environ["CLINICLEDGER_AMQP_PORT"]))).channel()
        self.queue = channel.queue_declare(queue="", exclusive=True).method.queue
        channel.queue_bind(self.queue, "clinicledger.events", "insurance.claim.submitted.v1")
        self.channel = channel

    def acknowledged(self):
        return int(sql(f"SELECT count(*) FROM insurance.claims WHERE clinic_id = '{self.clinic.id}' AND status = 'acknowledged'"))

    def publish_visits(self):
        c = self.clinic
        address = {"lines": ["1 Main St"], "city": "Springfield", "region": "IL", "postalCode": "627011234", "country": "US"}
        c.publish("clinic.practice.updated.v1", {"name": "Chaos Dental", "billingNpi": "1245319599", "taxId": "371234567",
                                                 "address": address})
        c.publish("clinic.provider.updated.v1", {"providerId": "d1", "name": {"given": "Maya", "family": "Chen"},
                                                 "npi": "1234567893", "taxonomyCode": "1223G0001X"})
        yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
        for n in range(self.patients):
            patient, member = f"p{n}", f"M{100000 + n}"
            c.publish("clinic.patient.registered.v1", {
                "patientId": patient, "name": {"given": "Pat", "family": f"Chaos{n}"}, "dateOfBirth": "1980-01-01", "sex": "female",
                "contacts": {"address": address}, "consents": {"email": False, "sms": False, "cardOnFileAutoCharge": False}})
            c.publish("clinic.coverage.updated.v1", {
                "coverageId": f"cov{n}", "patientId": patient, "payer": {"payerId": "60054", "name": "Aetna Dental"},
                "memberId": member.lower()[:3] + "-" + member[3:] if n % 5 == 0 else member, "priority": "primary",
                "subscriberRelationship": "self", "effectiveDate": "2026-01-01",
                "benefits": {"coveragePercentByCategory": {"preventive": 100}}})
        for n in range(self.patients):
            body = {"chargeId": f"c{n}", "patientId": f"p{n}", "providerId": "d1", "serviceDate": yesterday,
                    "procedure": {"code": "D1110", "codeSystem": "CDT"}, "fee": {"amount": 9_500, "currency": "USD"},
                    "appointmentId": f"a{n}"}
            c.charges.append((body, c.publish("clinic.charge.posted.v1", body)))
            c.expected[f"p{n}"] = 9_500
        if settle(c, timeout=300) is None:
            raise RuntimeError(f"the {self.patients} charges did not all reach the ledger within 300 s")
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        for n in range(self.patients):
            c.publish("clinic.appointment.completed.v1", {"appointmentId": f"a{n}", "patientId": f"p{n}", "providerId": "d1",
                                                          "completedAt": now})

    def sent(self):
        return int(sql(f"SELECT count(*) FROM insurance.claims WHERE clinic_id = '{self.clinic.id}' AND status <> 'draft'"))

    def run(self):
        self.publish_visits()
        # Killed when about a tenth, a third and a half of the claims have gone out: while claims are built,
        # written, sent, answered and fixed.
        for share in (10, 3, 2):
            deadline = time.time() + 120
            while self.sent() < self.patients // share:
                if time.time() > deadline:
                    raise RuntimeError("claims did not go out within 120 s (see the insurance log)")
                time.sleep(0.01)
            self.kills.append(self.acknowledged())
            kill9("insurance")
            restart("insurance")
        deadline = time.time() + 300
        while self.acknowledged() < self.patients and time.time() < deadline:
            time.sleep(0.5)

    def check(self):
        """(charges not on an acknowledged claim, sendings or claims beyond what was due, problems)."""
        c, problems = self.clinic.id, []
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                break
            headers = properties.headers or {}
            if headers.get("cloudEvents_clinicid") == c:
                event = json.loads(body)
                self.submitted.setdefault(event["claimId"], set()).add(properties.message_id)
        unclaimed = int(sql(f"SELECT count(*) FROM insurance.charges ch LEFT JOIN insurance.claims cl ON cl.claim_id = ch.claim_id "
                            f"WHERE ch.clinic_id = '{c}' AND (cl.status IS DISTINCT FROM 'acknowledged')"))
        claims = int(sql(f"SELECT count(*) FROM insurance.claims WHERE clinic_id = '{c}'"))
        charges = int(sql(f"SELECT count(*) FROM insurance.charges WHERE clinic_id = '{c}'"))
        lost = unclaimed + (self.patients - charges)
        due = {f"p{n}": 2 if n % 5 == 0 else 1 for n in range(self.patients)}
        patient_of = dict(line.split("|") for line in sql(
            f"SELECT claim_id, patient_id FROM insurance.claims WHERE clinic_id = '{c}'").splitlines() if line)
        extra = max(0, claims - self.patients)
        for claim, events in self.submitted.items():
            expected = due.get(patient_of.get(claim, ""), 1)
            if len(events) != expected:
                problems.append(f"claim {claim} was sent {len(events)} times, {expected} expected")
                extra += max(0, len(events) - expected)
        if len(self.submitted) != self.patients:
            problems.append(f"{len(self.submitted)} claims announced as submitted for {self.patients} patients")
        return lost, extra, problems


def claim_kills(name, patients):
    drill = ClaimKills(patients)
    dead_before = dead_letter_ids("insurance") | dead_letter_ids("payments")
    started = time.time()
    drill.run()
    drill.clinic.close()
    lost, doubled, problems = drill.check()
    dead = len((dead_letter_ids("insurance") | dead_letter_ids("payments")) - dead_before)
    verdict = subprocess.run([os.path.join(BIN_DIR, "insurance"), "audit", "verify"], capture_output=True, text=True)
    if verdict.returncode != 0:
        problems.append(f"insurance audit trail does not verify: {(verdict.stdout + verdict.stderr).strip()}")
    print(f"  {name}: {patients} claims, kills after {', '.join(map(str, drill.kills))} acknowledged; "
          f"{time.time() - started:.0f} s", flush=True)
    for text in problems[:5]:
        print(f"  {name}: {text}", flush=True)
    return {"scenario": name, "sent": drill.clinic.sent, "charges": charges_in_ledger(drill.clinic), "lost": lost,
            "doubled": doubled, "dead": dead, "settle": time.time() - started, "ok": dead == 0 and not problems}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000, help="charge events per scenario")
    parser.add_argument("--patients", type=int, default=300, help="patients charged by the auto-charge run")
    parser.add_argument("--plans", type=int, default=150, help="autopay plans whose installments are charged under kills")
    parser.add_argument("--claims", type=int, default=200, help="claims sent to the clearinghouse under kills")
    parser.add_argument("--only", help="run only the scenarios whose name contains this text")
    args = parser.parse_args()
    n = args.events
    runs = [
        ("kill -9 payments x5", lambda: kill_repeatedly("kill -9 payments x5", n, "payments", 5)),
        ("kill -9 analytics x5", lambda: kill_repeatedly("kill -9 analytics x5", n, "analytics", 5)),
        ("RabbitMQ restart", lambda: restart_server("RabbitMQ restart", n, "rabbitmq")),
        ("Postgres restart", lambda: restart_server("Postgres restart", n, "postgres")),
        ("3 payments replicas, 1 killed", lambda: scenario("3 payments replicas, 1 killed", n, replicas)),
        ("relay killed after publish x3", lambda: relay_crashes(n)),
        ("poison", poison),
        ("dead-letter replay", replay),
        ("auto-charge run, payments killed", lambda: auto_charge_kills("auto-charge run, payments killed", args.patients)),
        ("plan installments, plans+payments killed",
         lambda: plan_installment_kills("plan installments, plans+payments killed", args.plans)),
        ("claims, insurance killed x3", lambda: claim_kills("claims, insurance killed x3", args.claims)),
    ]
    print(f"{'scenario':38}{'sent':>8}{'in ledger':>10}{'lost':>6}{'doubled':>8}{'dead':>6}{'settle s':>9}  verdict",
          flush=True)
    results = []
    for name, run in runs:
        if args.only and args.only not in name:
            continue
        try:
            r = run()
        except Exception as error:  # a harness failure is a failed scenario, not a lost table
            print(f"  {name}: {error}", flush=True)  # the row below has room for only the start of it
            r = {"scenario": f"{name}: {error}", "sent": 0, "charges": 0, "lost": 0, "doubled": 0, "dead": 0,
                 "settle": None, "ok": False}
        results.append(r)
        settle_text = f"{r['settle']:.1f}" if r["settle"] is not None else "never"
        print(f"{r['scenario'][:38]:38}{r['sent']:>8}{r['charges']:>10}{r['lost']:>6}{r['doubled']:>8}{r['dead']:>6}{settle_text:>9}  "
              f"{'ok' if r['ok'] and r['lost'] == 0 and r['doubled'] == 0 else 'FAILED'}", flush=True)
    if not results:
        raise SystemExit(f"chaos: no scenario's name contains '{args.only}' (names: {', '.join(n for n, _ in runs)})")
    total = sum(r["sent"] for r in results)
    lost = sum(r["lost"] for r in results)
    doubled = sum(r["doubled"] for r in results)
    poisoned = next((r for r in results if "kinds" in r), None)
    poison_text = f", {poisoned['dead']}/{poisoned['kinds']} poison kinds dead-lettered" if poisoned else ""
    print(f"\nchaos: {len(results)} scenarios, {total} events, {lost} lost, {doubled} doubled{poison_text}")
    raise SystemExit(0 if all(r["ok"] for r in results) and not lost and not doubled else 1)


if __name__ == "__main__":
    main()
