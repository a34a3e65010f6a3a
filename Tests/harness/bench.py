"""scripts/dev bench: the suite's speed and footprint, side by side with this machine's raw limits.
Runs in the bench environment that scripts/dev set up (release builds). Prints a table and, last,
one verdict line: the figures, or "bench: FAILED" with what could not be measured (exit status 1).
A figure that could not be taken is never printed as if it had been."""
import argparse
import datetime
import functools
import http.client
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
import zoneinfo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_DIR, BIN_DIR = os.environ["RUN_DIR"], os.path.join(ROOT, os.environ["BIN_DIR"])
SERVICES = ["payments", "insurance", "plans", "notifications", "analytics"]
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


class NotMeasured(Exception):
    """A figure could not be taken (a process gone, a counter missing, too few samples): the bench fails."""


def running(pid):
    """Whether PID runs: it exists and its state is not Z (zombie) or X (dead). Where PID 1 does not
    reap orphans, a killed process stays a zombie and os.kill(pid, 0) still succeeds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_for(condition, timeout, what):
    deadline = time.time() + timeout
    while not condition():
        if time.time() > deadline:
            raise NotMeasured(f"{what} (waited {timeout} s)")
        time.sleep(0.005)


def port(service):
    return int(os.environ[f"{service.upper()}_HTTP_PORT"])


def pid_of(service):
    return int(open(f"{RUN_DIR}/pids/{service}.pid").read())


def ready(service):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port(service)}/health/ready", timeout=1).status == 200
    except Exception:
        return False


@functools.lru_cache(maxsize=None)
def token(role, clinic):
    """A bearer token from `scripts/dev token` for the harness's own environment (CLINICLEDGER_ENV), as the
    end-to-end tests get theirs; one per role and clinic."""
    args = [os.path.join(ROOT, "scripts/dev"), "token", "--role", role, "--clinic", clinic]
    done = subprocess.run(args, capture_output=True, text=True,
                          env={**os.environ, "CLINICLEDGER_ENV": os.environ["CLINICLEDGER_ENV"]})
    if done.returncode != 0 or done.stdout.strip().count(".") != 2:
        raise NotMeasured(f"`scripts/dev {' '.join(args[1:])}` printed no token (exit {done.returncode}): "
                          f"{(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout.strip()


def idempotency_key():
    """A fresh Idempotency-Key without digits. Not a plain UUID: the API refuses a key in which it sees a card
    number (13-19 digits, groups joined by dashes, passing the Luhn check), and about 0.3 % of random UUIDs
    hold one, so a UUID key fails now and then with 422."""
    return "k" + uuid.uuid4().hex.translate(str.maketrans("0123456789", "ghijklmnop"))

def api(method, service, path, bearer=None, body=None, headers=None, timeout=60):
    """One HTTP call as a front end makes it: (status, the answer's JSON, or its text when it is not JSON)."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"Accept": "application/json", **({"Content-Type": "application/json"} if data is not None else {}),
            **({"Authorization": f"Bearer {bearer}"} if bearer else {}), **(headers or {})}
    call = urllib.request.Request(f"http://127.0.0.1:{port(service)}{path}", data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(call, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def memory_mb(pid, field):  # VmRSS now, VmHWM peak
    if running(pid):
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    raise NotMeasured(f"no {field} for process {pid}: it is not running")


def cpu_seconds(pid):
    if not running(pid):
        raise NotMeasured(f"no CPU time for process {pid}: it is not running (it died during the bench?)")
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def postgres_cpu_seconds():
    """The postmaster's CPU time, its live children's, and (cutime, cstime) that of the children it has
    reaped: backends and autovacuum workers come and go during a phase, and none may be left out."""
    postgres_dir = os.environ.get("CLINICLEDGER_POSTGRES_DIR", f"{RUN_DIR}/postgres")  # see scripts/lib/common.sh
    leader = int(open(f"{postgres_dir}/data/postmaster.pid").readline())
    if not running(leader):
        raise NotMeasured(f"no CPU time for Postgres ({leader}): it is not running")
    fields = open(f"/proc/{leader}/stat").read().rsplit(")", 1)[1].split()
    total = sum(int(f) for f in fields[11:15]) / TICKS
    for child in subprocess.run(["pgrep", "-P", str(leader)], capture_output=True, text=True).stdout.split():
        try:
            total += cpu_seconds(int(child))
        except (NotMeasured, FileNotFoundError):
            pass  # ended between pgrep and now: the postmaster's cutime holds it once reaped
    return total


def cpu_meters():
    """What each row's CPU % is read from: every service's process, RabbitMQ's, Postgres's."""
    meters = {s: (lambda pid=pid_of(s): cpu_seconds(pid)) for s in SERVICES}
    rabbitmq = int(open(f"{RUN_DIR}/rabbitmq/rabbitmq.pid").read())
    meters["rabbitmq"] = lambda: cpu_seconds(rabbitmq)
    meters["postgres"] = postgres_cpu_seconds
    return meters


def sql(query):
    return subprocess.run(
        ["psql", "-X", "-tA", "-h", os.environ["CLINICLEDGER_POSTGRES_ADMIN_SOCKET"], "-p",
         os.environ["CLINICLEDGER_POSTGRES_PORT"], "-U", "postgres", "-d", "clinicledger", "-c", query],
        capture_output=True, text=True, check=True).stdout.strip()


def restart_and_time(service):
    """Stops a service and starts it again; seconds from exec to /health/ready."""
    old = pid_of(service)
    os.kill(old, signal.SIGTERM)
    wait_for(lambda: not running(old) and not ready(service), 30, f"{service} did not stop after SIGTERM")
    time.sleep(0.3)
    log = open(f"{RUN_DIR}/logs/{service}.log", "a")
    started = time.time()
    process = subprocess.Popen([os.path.join(BIN_DIR, service), "serve"], stdin=subprocess.DEVNULL, stdout=log,
                               stderr=log, start_new_session=True)
    open(f"{RUN_DIR}/pids/{service}.pid", "w").write(str(process.pid))
    wait_for(lambda: ready(service) or process.poll() is not None, 60, f"{service} did not become ready")
    if process.poll() is not None:
        raise NotMeasured(f"{service} exited with status {process.returncode} at start (see {RUN_DIR}/logs/{service}.log)")
    return time.time() - started


class Charges:
    """An outside clinic system posting charges: `broker-bench charges`, on rabbitmq-c, so that the
    publisher takes little of the two cores the suite needs (pika tops out near 3,300 charges/s)."""

    def __init__(self):
        self.clinic = f"bench-{uuid.uuid4().hex[:8]}"
        self.published = {}

    def post(self, count, per_second=0):
        """Publishes and returns the seconds it took; the publisher prints each charge's publish time."""
        started, cpu_before = time.time(), children_cpu_seconds()
        out = subprocess.run([os.path.join(BIN_DIR, "broker-bench"), "charges", str(count), str(per_second),
                              self.clinic], capture_output=True, text=True, check=True).stdout
        seconds = time.time() - started
        self.cpu_seconds = children_cpu_seconds() - cpu_before
        for line in out.splitlines():
            charge_id, at = line.split()
            self.published[charge_id] = float(at)
        if len(self.published) != count:
            raise NotMeasured(f"broker-bench reported {len(self.published)} published charges, not {count}")
        return seconds

    def achieved_rate(self):
        """Charges/s between the first and the last publish, as the publisher recorded them."""
        times = sorted(self.published.values())
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else 0.0

    def visible(self):
        return int(sql(f"SELECT count(*) FROM analytics.open_charges WHERE clinic_id = '{self.clinic}'"))

    def wait_visible(self, count, timeout):
        deadline = time.time() + timeout
        while self.visible() < count:
            if time.time() > deadline:
                raise NotMeasured(f"only {self.visible()} of {count} charges reached analytics in {timeout} s")
            time.sleep(1)  # each look starts a psql: often would take CPU from the suite (timing uses recorded_at)

    def first_published(self):
        return min(self.published.values())

    def latencies_ms(self):
        rows = sql(f"SELECT charge_id, extract(epoch FROM recorded_at) FROM analytics.open_charges "
                   f"WHERE clinic_id = '{self.clinic}'").splitlines()
        latencies = sorted((float(t) - self.published[c]) * 1000 for c, t in (r.split("|") for r in rows)
                           if c in self.published)
        if len(latencies) != len(self.published):
            raise NotMeasured(f"latency known for {len(latencies)} of {len(self.published)} charges")
        return latencies


class CardPayments:
    """Billing staff taking card payments over HTTP: POST /v1/payments with `tok_visa` through the sandbox
    gateway (its books are in Postgres, so each payment is the service's transactions plus the gateway's),
    from `clients` threads, each on a keep-alive connection of its own, against the 500 patients of a clinic
    whose charges were posted first (broker-bench charges: patient p{n % 500}, fee 1000 + n % 997 cents)."""

    AMOUNT = 500  # cents; 4 payments a patient stay well under the 4 charges of at least 1000 each

    def __init__(self, count, clients):
        self.count, self.clients = count, clients
        self.charges = Charges()
        self.clinic = self.charges.clinic
        self.paid = {}  # payment id -> patient
        self.retried = 0

    def prepare(self):
        """Posts the charges and waits until payments has recorded every one (the patients have accounts)."""
        charges = max(self.count, 500)
        self.charges.post(charges)
        self.fees = {}
        for n in range(charges):
            self.fees[f"p{n % 500}"] = self.fees.get(f"p{n % 500}", 0) + 1000 + n % 997
        wait_for(lambda: self.recorded() >= charges, 300, f"payments did not record the {charges} charges of the payments phase")
        time.sleep(1)
        self.bearer = token("billing_staff", self.clinic)

    def recorded(self):
        time.sleep(0.5)  # each look starts a psql
        return int(sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = '{self.clinic}'"))

    def run(self, numbers):
        """Takes the payments `numbers` (patient p{n % 500}) from `clients` threads; returns
        (seconds from the first request to the last answer, each payment's latency in ms, sorted)."""
        latencies, failures, lock = [], [], threading.Lock()

        def client(mine):
            connection = http.client.HTTPConnection("127.0.0.1", port("payments"), timeout=30)
            for n in mine:
                patient = f"p{n % 500}"
                body = json.dumps({"patientId": patient, "amount": {"amount": self.AMOUNT, "currency": "USD"},
                                   "method": "card", "token": "tok_visa"})
                headers = {"Content-Type": "application/json", "Accept": "application/json",
                           "Authorization": f"Bearer {self.bearer}", "Idempotency-Key": idempotency_key()}
                started = time.perf_counter()
                for attempt in range(3):  # a dropped keep-alive connection: the same request, same key, again
                    try:
                        connection.request("POST", "/v1/payments", body, headers)
                        answer = connection.getresponse()
                        status, raw = answer.status, answer.read()
                        break
                    except (http.client.HTTPException, OSError) as error:
                        connection.close()
                        connection = http.client.HTTPConnection("127.0.0.1", port("payments"), timeout=30)
                        status, raw = 0, f"{type(error).__name__}: {error}".encode()
                        if isinstance(error, TimeoutError):  # no answer in 30 s: a stall, not a dropped connection
                            break
                        with lock:
                            self.retried += 1
                elapsed = (time.perf_counter() - started) * 1000
                try:
                    parsed = json.loads(raw)
                except ValueError:
                    parsed = None
                with lock:
                    if status == 201 and isinstance(parsed, dict) and parsed.get("status") == "succeeded":
                        latencies.append(elapsed)
                        self.paid[parsed["id"]] = patient
                    else:
                        failures.append(f"{patient}: {status} {raw[:200].decode('utf-8', 'replace')}")
            connection.close()

        seconds = in_threads(client, numbers, self.clients)
        if failures:
            raise NotMeasured(f"{len(failures)} of {len(numbers)} card payments from {self.clients} clients did not succeed, "
                              f"e.g. {failures[0]}" + (" (payments stalled: see pg_stat_activity for its connections "
                              "idle in transaction, and its log)" if "TimeoutError" in failures[0] else ""))
        return seconds, sorted(latencies)

    def check_books(self):
        """The figures count only if the money is right: every payment succeeded once in payments' table and
        at the gateway, each balance is its fees less its payments, and the clinic's ledger sums to zero."""
        c = self.clinic
        succeeded = int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = '{c}' AND status = 'succeeded' "
                            f"AND method = 'card'"))
        at_gateway = int(sql(f"SELECT count(*) FROM payments.sandbox_charges WHERE idempotency_key IN "
                             f"(SELECT payment_id FROM payments.payments WHERE clinic_id = '{c}')"))
        if succeeded != len(self.paid) or at_gateway != len(self.paid):
            raise NotMeasured(f"payments phase: {len(self.paid)} payments answered succeeded, payments holds {succeeded} "
                              f"succeeded and the sandbox gateway made {at_gateway} charges")
        paid = {}
        for patient in self.paid.values():
            paid[patient] = paid.get(patient, 0) + self.AMOUNT
        balances = dict(line.split("|") for line in sql(
            f"SELECT patient_id, balance FROM payments.patient_balances WHERE clinic_id = '{c}'").splitlines() if line)
        wrong = [p for p, fees in self.fees.items() if int(balances.get(p, 0)) != fees - paid.get(p, 0)]
        if wrong:
            raise NotMeasured(f"payments phase: {len(wrong)} balances are not their fees less their payments, e.g. {wrong[0]}: "
                              f"{balances.get(wrong[0])} instead of {self.fees[wrong[0]] - paid.get(wrong[0], 0)}")
        total = sql(f"SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries WHERE clinic_id = '{c}'")
        if total != "0":
            raise NotMeasured(f"payments phase: the clinic's ledger sums to {total}, not 0")


class PlanInstallments:
    """Payment plans of the payments phase's patients (p0…, who have accounts): each gets a saved card and an
    autopay plan of three monthly installments (no down payment or signature, by the clinic's policy),
    created over HTTP from `clients` threads. Then the service clock moves a month and every first
    installment goes the whole way: plans' due job → plans.payment.requested → payments charges the card
    at the sandbox gateway → payment.succeeded → plans marks it paid."""

    TOTAL = 9_000  # cents: three installments of 30.00 USD

    def __init__(self, clinic, count, clients):
        self.clinic, self.count, self.clients = clinic, count, clients
        self.patients = [f"p{n}" for n in range(count)]

    def prepare(self):
        admin, self.staff = token("admin", self.clinic), token("billing_staff", self.clinic)
        status, answer = api("PUT", "plans", "/api/billing/payment-plans/policy", bearer=admin,
                             body={"minDownPaymentPercent": 0, "signatureRequired": False})
        if status != 200:
            raise NotMeasured(f"plans phase: the policy was not set: {status} {str(answer)[:200]}")
        self.methods = {}
        for patient in self.patients:
            status, method = api("POST", "payments", f"/v1/patients/{patient}/payment-methods", bearer=self.staff,
                                 headers={"Idempotency-Key": idempotency_key()},
                                 body={"token": "tok_visa", "autoCharge": {"consentText": "I authorize the clinic to charge "
                                                                           "this card for my plan.", "channel": "in_person"}})
            if status != 201:
                raise NotMeasured(f"plans phase: a card was not saved: {status} {str(method)[:200]}")
            self.methods[patient] = method["id"]
        wait_for(lambda: int(sql(f"SELECT count(*) FROM plans.payment_methods WHERE clinic_id = '{self.clinic}'")) >= self.count,
                 120, "plans did not hear of every saved card")

    def create(self):
        """Creates the plans from client threads; returns (plans/s, latencies in ms, sorted)."""
        latencies, failures, lock = [], [], threading.Lock()

        def client(mine):
            connection = http.client.HTTPConnection("127.0.0.1", port("plans"), timeout=30)
            for patient in mine:
                body = json.dumps({"patientId": patient, "totalAmount": {"amount": self.TOTAL, "currency": "USD"},
                                   "downPayment": {"amount": 0, "currency": "USD"}, "numberOfPayments": 3,
                                   "paymentMethodId": self.methods[patient], "autoPayEnabled": True})
                started = time.perf_counter()
                connection.request("POST", "/api/billing/payment-plans", body, {
                    "Content-Type": "application/json", "Authorization": f"Bearer {self.staff}",
                    "Idempotency-Key": idempotency_key()})
                answer = connection.getresponse()
                raw = answer.read()
                with lock:
                    if answer.status == 201 and json.loads(raw).get("status") == "ACTIVE":
                        latencies.append((time.perf_counter() - started) * 1000)
                    else:
                        failures.append(f"{patient}: {answer.status} {raw[:200]}")
            connection.close()

        seconds = in_threads(client, self.patients, self.clients)
        if failures:
            raise NotMeasured(f"plans phase: {len(failures)} of {self.count} plans were not created, e.g. {failures[0]}")
        return self.count / seconds, sorted(latencies)

    def paid(self):
        return int(sql(f"SELECT count(*) FROM plans.scheduled_payments WHERE clinic_id = '{self.clinic}' "
                       f"AND number = 1 AND status = 'PAID'"))

    def first_installments(self):
        """Moves the clock a month; returns installments/s from the move until every first installment is paid."""
        clock = [os.path.join(ROOT, "scripts/dev"), "clock"]
        environment = {**os.environ, "CLINICLEDGER_ENV": os.environ["CLINICLEDGER_ENV"]}
        started = time.time()
        subprocess.run(clock + ["advance", "32d"], check=True, capture_output=True, env=environment)
        try:
            deadline = started + 300
            while self.paid() < self.count:
                if time.time() > deadline:
                    raise NotMeasured(f"plans phase: {self.paid()} of {self.count} first installments paid after 300 s")
                time.sleep(0.2)
            seconds = time.time() - started
        finally:
            subprocess.run(clock + ["reset"], check=True, capture_output=True, env=environment)
        charged = int(sql(f"SELECT count(*) FROM payments.payments WHERE clinic_id = '{self.clinic}' AND origin = 'plan'"))
        if charged != self.count:
            raise NotMeasured(f"plans phase: {charged} plan payments for {self.count} first installments")
        return self.count / seconds


class InsuranceClaims:
    """Insurance's claims, three ways. In process (`insurance-bench`): claims built, checked (scrubber, code
    suggestions, denial risk) and written as 837 interchanges of 100, each step alone and together, and one 837P
    file read back with X12Interchange.parse. pyx12 reads the same file in this process: the Python validator
    the tests trust (it checks the file against the 5010 guide as it parses, so it is not the same work).
    End to end: a clinic of `count` patients (three in ten with medical coverage) whose practice, provider,
    patients and coverages are published first; then each patient's visit is charged (clinic.charge.posted.v1,
    through payments to insurance) and completed, and insurance's jobs build, scrub and write the claims, send
    them to the embedded clearinghouse and read its 999 and 277CA, until every claim is acknowledged."""

    BILLING_NPI, PROVIDER_NPI = "1245319599", "1234567893"
    ADDRESS = {"lines": ["400 Main St"], "city": "Springfield", "region": "IL", "postalCode": "627011234", "country": "US"}

    def __init__(self, count, x12_claims):
        self.count, self.x12_claims = count, x12_claims
        self.clinic = f"bench-ins-{uuid.uuid4().hex[:8]}"
        self.patients = [f"pat-{n}" for n in range(count)]

    def in_process(self):
        """insurance-bench's figures (its last line, JSON), and pyx12's MB/s on the 837P it wrote."""
        path = os.path.join(RUN_DIR, "bench-837p.x12")
        out = subprocess.run([os.path.join(BIN_DIR, "insurance-bench"), "--claims", str(self.count), "--file-claims",
                              str(self.x12_claims), "--file", path, "--json"], capture_output=True, text=True, check=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        for key in ("built_per_second", "scrubbed_per_second", "written_per_second", "together_per_second",
                    "parse_mb_per_second"):
            if not figures.get(key, 0) > 0:
                raise NotMeasured(f"insurance-bench gave no {key}: {figures}")
        if figures["claims"] != self.count or not 0 < figures["file_claims"] <= self.x12_claims:
            raise NotMeasured(f"insurance-bench wrote {figures['claims']} claims of {self.count} and a file of "
                              f"{figures['file_claims']} of {self.x12_claims}")
        if os.path.getsize(path) != figures["file_bytes"]:
            raise NotMeasured(f"{path} holds {os.path.getsize(path)} bytes, insurance-bench wrote {figures['file_bytes']}")
        figures["pyx12_mb_per_second"] = self.pyx12(path)
        os.unlink(path)
        return figures

    @staticmethod
    def pyx12(path):
        """pyx12 reading (and validating) the file once, its maps loaded first; MB/s. A file pyx12 finds
        errors in is not a figure: then the two did not read the same thing."""
        import io
        import pyx12.params
        import pyx12.x12n_document
        started = time.perf_counter()
        report = io.StringIO()
        clean = pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=path, fd_997=None, fd_html=None,
                                                  fd_xmldoc=None, fd_json=report)
        seconds = time.perf_counter() - started
        if not clean:
            raise NotMeasured(f"pyx12 found errors in the 837P insurance-bench wrote: {report.getvalue()[:500]}")
        return os.path.getsize(path) / 1e6 / seconds

    def publish(self, channel, event_type, body):
        """One event as the clinic's systems publish it, confirmed by the broker."""
        import pika
        event_id = str(uuid.uuid4())
        headers = {"cloudEvents_specversion": "1.0", "cloudEvents_id": event_id, "cloudEvents_source": "bench",
                   "cloudEvents_type": event_type, "cloudEvents_clinicid": self.clinic,
                   "cloudEvents_time": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
        channel.basic_publish(exchange="clinicledger.events", routing_key=event_type, body=json.dumps(body).encode(),
                              properties=pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                              message_id=event_id, headers=headers))

    def medical(self, n):
        return n % 10 < 3

    def count_of(self, table, where=""):
        time.sleep(0.5)  # each look starts a psql
        return int(sql(f"SELECT count(*) FROM insurance.{table} WHERE clinic_id = '{self.clinic}' {where}"))

    def prepare(self):
        """The practice, its provider, each patient and their coverage, until insurance holds them all."""
        import pika
        self.connection = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", int(os.environ["CLINICLEDGER_AMQP_PORT"])))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        year = datetime.date.today().year
        self.publish(self.channel, "clinic.practice.updated.v1", {
            "name": "Springfield Family Practice", "billingNpi": self.BILLING_NPI, "taxId": "371234567",
            "address": self.ADDRESS, "phone": "2175550100", "taxonomyCode": "1223G0001X", "timeZone": "America/New_York"})
        self.publish(self.channel, "clinic.provider.updated.v1", {
            "providerId": "prov-1", "name": {"given": "Maya", "family": "Chen"}, "npi": self.PROVIDER_NPI,
            "taxonomyCode": "1223G0001X"})
        for n, patient in enumerate(self.patients):
            self.publish(self.channel, "clinic.patient.registered.v1", {
                "patientId": patient, "name": {"given": "Ana", "family": f"Lopez{chr(65 + n % 26)}"},
                "dateOfBirth": f"{1950 + n % 60}-04-12", "sex": "female" if n % 2 else "male",
                "contacts": {"email": f"{patient}@example.com", "address": self.ADDRESS},
                "consents": {"email": True, "sms": False, "cardOnFileAutoCharge": False}})
            medical = self.medical(n)
            benefits = ({"deductible": {"amount": 0, "currency": "USD"}, "copay": {"amount": 2_500, "currency": "USD"},
                         "coinsurancePercent": 20} if medical else
                        {"annualMaximum": {"amount": 150_000, "currency": "USD"}, "deductible": {"amount": 5_000, "currency": "USD"},
                         "coveragePercentByCategory": {"diagnostic": 100, "preventive": 100, "basic": 80, "major": 50}})
            self.publish(self.channel, "clinic.coverage.updated.v1", {
                "coverageId": f"cov-{n}", "patientId": patient,
                "payer": {"payerId": "87726", "name": "Acme Health"} if medical else {"payerId": "60054", "name": "Aetna Dental"},
                "memberId": f"{'M' if medical else 'W'}{100_000_000 + n}", "groupNumber": "GRP4411", "priority": "primary",
                "subscriberRelationship": "self", "effectiveDate": f"{year - 1}-01-01", "benefits": benefits,
                "kind": "medical" if medical else "dental"})
        deadline = time.time() + 300
        while self.count_of("coverages") < self.count or self.count_of("patients") < self.count:
            if time.time() > deadline:
                raise NotMeasured(f"insurance phase: insurance holds {self.count_of('coverages')} of {self.count} coverages after 300 s")

    def charges(self, n):
        """Patient n's visit: a recall exam and cleaning, a filling, or (medical) an office visit and a strep test."""
        patient, appointment = self.patients[n], f"appt-{n}"
        day = (datetime.datetime.now(zoneinfo.ZoneInfo("America/New_York")).date() - datetime.timedelta(days=1)).isoformat()
        if self.medical(n):
            lines = [({"code": "99213", "codeSystem": "CPT"}, 12_500, ["J06.9"]), ({"code": "87880", "codeSystem": "CPT"}, 3_000, ["J06.9"])]
        elif n % 2:
            lines = [({"code": "D0120", "codeSystem": "CDT"}, 6_500, None), ({"code": "D1110", "codeSystem": "CDT"}, 11_000, None)]
        else:
            lines = [({"code": "D2392", "codeSystem": "CDT", "tooth": "30", "surfaces": ["M", "O"]}, 18_500, ["K02.52"])]
        return [{"chargeId": f"chg-{n}-{i}", "patientId": patient, "providerId": "prov-1", "serviceDate": day,
                 "procedure": procedure, "fee": {"amount": fee, "currency": "USD"}, "appointmentId": appointment,
                 **({"diagnosisCodes": codes} if codes else {})} for i, (procedure, fee, codes) in enumerate(lines)]

    def run(self):
        """Charges, then each visit completed once insurance has its charges; returns (claims/s from the first
        charge published to the last claim acknowledged, seconds to publish the charges and completions)."""
        visits = [self.charges(n) for n in range(self.count)]
        total = sum(len(v) for v in visits)
        started = time.time()
        for visit in visits:
            for body in visit:
                self.publish(self.channel, "clinic.charge.posted.v1", body)
        published = time.time() - started
        deadline = started + 300
        while self.count_of("charges") < total:
            if time.time() > deadline:
                raise NotMeasured(f"insurance phase: insurance recorded {self.count_of('charges')} of {total} charges after 300 s")
        completing = time.time()
        now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
        for n, patient in enumerate(self.patients):
            self.publish(self.channel, "clinic.appointment.completed.v1",
                         {"appointmentId": f"appt-{n}", "patientId": patient, "providerId": "prov-1", "completedAt": now})
        published += time.time() - completing
        self.connection.close()
        deadline = time.time() + 600
        while not self.all_acknowledged(total):
            if time.time() > deadline:
                raise NotMeasured(f"insurance phase: not every claim acknowledged after 600 s ({self.statuses()})")
            if self.count_of("claims", "AND status IN ('held', 'rejected')"):
                raise NotMeasured(f"insurance phase: claims were held or rejected ({self.statuses()})")
        seconds = time.time() - started
        self.claims = self.count_of("claims")
        if self.claims < self.count:
            raise NotMeasured(f"insurance phase: {self.claims} claims for {self.count} visits ({self.statuses()})")
        return self.claims / seconds, published

    def all_acknowledged(self, charges):
        """Every charge is on a claim and every claim is acknowledged. (A visit may become two claims: the claims
        job takes 500 charges at a time, and a visit's charges can fall on both sides.)"""
        return (self.count_of("charges", "AND claim_id IS NOT NULL AND claim_id <> 'self_pay'") == charges
                and self.count_of("claims", "AND status <> 'acknowledged'") == 0)

    def statuses(self):
        return sql(f"SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) AS n FROM insurance.claims "
                   f"WHERE clinic_id = '{self.clinic}' GROUP BY status) s") or "no claims"


def insurance_phase(args, meters):
    """The insurance phase (see InsuranceClaims): its rows of the table and its part of the verdict."""
    claims = InsuranceClaims(args.claims, args.x12_claims)
    pure = claims.in_process()
    claims.prepare()
    ins_meters = {k: meters[k] for k in ("insurance", "payments", "postgres")}
    cpu_before, started = {k: meter() for k, meter in ins_meters.items()}, time.time()
    end_to_end, publish_seconds = claims.run()
    cpu = {k: (meter() - cpu_before[k]) / (time.time() - started) * 100 for k, meter in ins_meters.items()}
    megabytes = pure["file_bytes"] / 1e6
    rows = [
        (f"claims in process ({pure['claims']}, {pure['held']} held)", ""),
        ("  built (claims/s)", f"{pure['built_per_second']}"),
        (f"  scrubbed, {pure['history_rows']} history rows (claims/s)", f"{pure['scrubbed_per_second']}"),
        ("  written, 100 per 837 (claims/s)", f"{pure['written_per_second']}"),
        ("  built + scrubbed + written (claims/s)", f"{pure['together_per_second']}"),
        (f"837P parse, {megabytes:.1f} MB, {pure['file_claims']} claims", ""),
        ("  X12Interchange.parse (MB/s)", f"{pure['parse_mb_per_second']:.1f}"),
        ("  pyx12, parse + validate (MB/s)", f"{pure['pyx12_mb_per_second']:.2f}"),
        (f"claims end to end, {args.claims} visits", ""),
        ("  claims acknowledged", f"{claims.claims}"),
        ("  charged to acknowledged (claims/s)", f"{end_to_end:.1f}"),
        ("  publishing charges + completions (s)", f"{publish_seconds:.1f}"),
        ("  CPU % insurance / payments / Postgres", f"{cpu['insurance']:.0f} / {cpu['payments']:.0f} / {cpu['postgres']:.0f}"),
    ]
    verdict = (f"{pure['together_per_second']} claims/s built, scrubbed and written in process; 837P parse "
               f"{pure['parse_mb_per_second']:.1f} MB/s (pyx12 {pure['pyx12_mb_per_second']:.2f} MB/s); "
               f"{end_to_end:.1f} claims/s charged to acknowledged")
    return rows, verdict


def in_threads(work, items, count):
    """Runs `work(share)` on `count` threads, each with every count-th item; returns the seconds it took."""
    threads = [threading.Thread(target=work, args=(items[i::count],)) for i in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def metric_total(service, name, label="", required=False):
    """The sum of a Prometheus counter over its series (those whose labels contain `label`). A series
    appears when first counted, so none is 0, unless `required`: then the count must have happened."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port(service)}/metrics").read().decode()
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name) and label in line]
    if required and not values:
        raise NotMeasured(f"{service} /metrics has no {name}{' with ' + label if label else ''}")
    return sum(values)


def percentile(values, p):
    if not values:
        raise NotMeasured(f"no samples for p{p}")
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def raw_broker(messages):
    out = subprocess.run([os.path.join(BIN_DIR, "broker-bench"), "raw", str(messages), "500"], capture_output=True,
                         text=True, check=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    for key in ("publish_confirm_every_100_per_second", "consume_prefetch_300_per_second", "publish_and_consume_per_second"):
        if not figures.get(key, 0) > 0:
            raise NotMeasured(f"broker-bench raw gave no {key}: {figures}")
    return figures


def raw_postgres(clients):
    sql("CREATE SCHEMA IF NOT EXISTS bench; "
        "CREATE TABLE IF NOT EXISTS bench.ledger (id bigserial PRIMARY KEY, account text, amount bigint, at timestamptz DEFAULT now()); "
        "CREATE TABLE IF NOT EXISTS bench.outbox (id bigserial PRIMARY KEY, body jsonb, sent_at timestamptz)")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write("BEGIN;\nINSERT INTO bench.ledger (account, amount) VALUES ('patient-p1-receivable', 1250);\n"
                     "INSERT INTO bench.outbox (body) VALUES ('{\"pad\": \"" + "x" * 480 + "\"}');\nEND;\n")
    out = subprocess.run(["pgbench", "-n", "-M", "prepared", "-f", script.name, "-c", str(clients), "-j", str(clients),
                          "-T", "8", "-h", os.environ["CLINICLEDGER_POSTGRES_ADMIN_SOCKET"], "-p",
                          os.environ["CLINICLEDGER_POSTGRES_PORT"], "-U", "postgres", "clinicledger"],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    tps = [float(l.split()[2]) for l in out.splitlines() if l.startswith("tps")]
    if not tps or tps[0] <= 0:
        raise NotMeasured(f"pgbench with {clients} clients printed no TPS figure")
    return tps[0]


def main():
    try:
        measure()
    except Exception as error:  # the last line stays a verdict, and a failed one exits 1
        if not isinstance(error, NotMeasured):
            traceback.print_exc()
        detail = error.stderr.strip() if isinstance(error, subprocess.CalledProcessError) and error.stderr else ""
        print(f"\nbench: FAILED, not measured: {error}{' (' + detail + ')' if detail else ''}", flush=True)
        sys.exit(1)


def measure():
    parser = argparse.ArgumentParser()
    parser.add_argument("--charges", type=int, default=20_000, help="charges in the throughput phase")
    parser.add_argument("--rate", type=int, default=1_500, help="charges/s in the latency phase")
    parser.add_argument("--payments", type=int, default=2_000, help="card payments in the payments phase")
    # 8 clients: as many as payments' main pool has connections, each card payment holding one for its
    # request's transaction (before 6a4031f, 8 at once left payments waiting on its own pool for good).
    parser.add_argument("--payment-clients", type=int, default=8, help="HTTP client threads in the payments phase")
    parser.add_argument("--plans", type=int, default=300, help="autopay plans in the plans phase")
    parser.add_argument("--claims", type=int, default=2_000,
                        help="insurance phase: claims built, scrubbed and written in process, and claims end to end")
    parser.add_argument("--x12-claims", type=int, default=2_000,
                        help="insurance phase: claims in the 837P that X12Interchange.parse and pyx12 read (2,000: 1.7 MB)")
    parser.add_argument("--only", choices=["insurance"], help="run this phase alone, on the running services")
    args = parser.parse_args()

    if args.only == "insurance":
        rows, verdict = insurance_phase(args, cpu_meters())
        print(f"\nClinicLedger bench (insurance phase only) — {datetime.date.today()}, {os.cpu_count()} cores")
        for name, value in rows:
            print(f"{name:42}{value:>12}")
        print(f"\nbench: {verdict}")
        return

    startup = {s: restart_and_time(s) for s in SERVICES}
    time.sleep(3)
    idle_rss = {s: memory_mb(pid_of(s), "VmRSS") for s in SERVICES}

    # Throughput: as fast as the publisher goes, measured from the first publish to the last charge
    # visible in analytics (publish -> payments ledger -> outbox -> analytics read model).
    load = Charges()
    meters = cpu_meters()
    cpu_before = {k: meter() for k, meter in meters.items()}
    published_before = metric_total("payments", "clinicledger_events_published_total")
    publish_seconds = load.post(args.charges)
    started = load.first_published()
    load.wait_visible(args.charges, 600)
    last_visible = float(sql(f"SELECT extract(epoch FROM max(recorded_at)) FROM analytics.open_charges "
                             f"WHERE clinic_id = '{load.clinic}'"))
    wall = last_visible - started
    if not wall > 0:
        raise NotMeasured(f"no time between the first publish and the last charge in analytics ({wall:.3f} s)")
    throughput = args.charges / wall
    cpu = {k: (meter() - cpu_before[k]) / wall * 100 for k, meter in meters.items()}
    published = metric_total("payments", "clinicledger_events_published_total", required=True) - published_before
    if not published > 0:
        raise NotMeasured("payments counted no published events during the throughput phase")
    messages_per_charge = 1 + published / args.charges
    saturated = load.latencies_ms()

    # Latency at steady rates: the target's, and a lower one that shows where the knee is.
    # A latency is labelled with the rate the publisher really kept up (the suite's confirms slow it when
    # the machine is saturated), next to the rate asked for.
    steady_latencies = {}
    for rate in (args.rate * 2 // 3, args.rate):
        steady = Charges()
        steady.post(rate * 10, rate)
        steady.wait_visible(rate * 10, 300)
        steady_latencies[rate] = (steady.achieved_rate(), steady.latencies_ms())
    achieved, latencies = steady_latencies[args.rate]
    peak_rss = {s: memory_mb(pid_of(s), "VmHWM") for s in SERVICES}

    # Payments: card payments over HTTP through the sandbox gateway, from client threads, against patients
    # with balances (their charges posted and recorded first). A few payments first warm the connections.
    cards = CardPayments(args.payments, args.payment_clients)
    cards.prepare()
    warm = 4 * args.payment_clients
    cards.run(list(range(warm)))
    pay_meters = {k: meters[k] for k in ("payments", "postgres")}
    pay_cpu_before = {k: meter() for k, meter in pay_meters.items()}
    client_cpu_before = time.process_time()
    pay_seconds, pay_latencies = cards.run(list(range(warm, warm + args.payments)))
    if len(pay_latencies) != args.payments or not pay_seconds > 0:
        raise NotMeasured(f"the payments phase timed {len(pay_latencies)} of {args.payments} payments in {pay_seconds:.3f} s")
    pay_rate = args.payments / pay_seconds
    pay_cpu = {k: (meter() - pay_cpu_before[k]) / pay_seconds * 100 for k, meter in pay_meters.items()}
    pay_cpu["client"] = (time.process_time() - client_cpu_before) / pay_seconds * 100
    cards.check_books()
    payments_peak = memory_mb(pid_of("payments"), "VmHWM")

    # Plans: autopay plans for the payments phase's patients, created over HTTP, then one month of installments.
    plans = PlanInstallments(cards.clinic, min(args.plans, 500), args.payment_clients)
    plans.prepare()
    plan_rate, plan_latencies = plans.create()
    installment_rate = plans.first_installments()

    insurance_rows, insurance_verdict = insurance_phase(args, meters)

    broker = raw_broker(args.charges)
    pg1, pg4 = raw_postgres(1), raw_postgres(4)
    # The raw limit for the same messages per charge: persistent publishes confirmed every 100. (Publishing
    # while a consumer acks is faster on RabbitMQ, which need not write a message consumed at once.)
    raw_charges = broker["publish_confirm_every_100_per_second"] / messages_per_charge
    share = throughput / raw_charges * 100

    print(f"\nClinicLedger bench — {datetime.date.today()}, {os.cpu_count()} cores, release build")
    print(f"{'':30}{'value':>12}")
    rows = [
        ("charges published", f"{args.charges}"), ("publisher rate (charges/s)", f"{args.charges / publish_seconds:.0f}"),
        ("end to end (charges/s)", f"{throughput:.0f}"), ("messages per charge", f"{messages_per_charge:.2f}"),
        ("latency at saturation p50 (ms)", f"{percentile(saturated, 50):.0f}"),
        *[row for rate, (reached, values) in steady_latencies.items()
          for row in [(f"asked {rate}/s, publisher reached (charges/s)", f"{reached:.0f}")]
          + [(f"latency at {rate}/s p{p} (ms)", f"{percentile(values, p):.1f}") for p in (50, 95, 99)]],
        ("card payments over HTTP (tok_visa)", f"{args.payments}"),
        (f"card payments/s, {args.payment_clients} clients", f"{pay_rate:.1f}"),
        *[(f"card payment latency p{p} (ms)", f"{percentile(pay_latencies, p):.1f}") for p in (50, 95, 99)],
        ("CPU % payments / Postgres / client", f"{pay_cpu['payments']:.0f} / {pay_cpu['postgres']:.0f} / {pay_cpu['client']:.0f}"),
        ("payments peak RSS after payments (MB)", f"{payments_peak:.1f}"),
        (f"plans created/s over HTTP, {args.payment_clients} clients", f"{plan_rate:.1f}"),
        *[(f"plan creation latency p{p} (ms)", f"{percentile(plan_latencies, p):.1f}") for p in (50, 99)],
        (f"installments/s, {plans.count} due at once (end to end)", f"{installment_rate:.1f}"),
        *insurance_rows,
        ("raw broker publish, confirm/100 (msg/s)", f"{broker['publish_confirm_every_100_per_second']}"),
        ("raw broker consume, prefetch 300 (msg/s)", f"{broker['consume_prefetch_300_per_second']}"),
        ("raw broker publish + consume (msg/s)", f"{broker['publish_and_consume_per_second']}"),
        ("raw broker rate in charges/s", f"{raw_charges:.0f}"), ("suite / raw broker", f"{share:.0f}%"),
        ("raw Postgres 2-insert tx, 1 client (TPS)", f"{pg1:.0f}"), ("raw Postgres 2-insert tx, 4 clients (TPS)", f"{pg4:.0f}"),
    ]
    for name, value in rows:
        print(f"{name:42}{value:>12}")
    print(f"\n{'service':15}{'start (s)':>10}{'idle RSS MB':>13}{'peak RSS MB':>13}{'CPU % (load)':>14}")
    for s in SERVICES:
        print(f"{s:15}{startup[s]:>10.2f}{idle_rss[s]:>13.1f}{peak_rss[s]:>13.1f}{cpu[s]:>14.0f}")
    for k in ("rabbitmq", "postgres"):
        print(f"{k:15}{'':>10}{'':>13}{'':>13}{cpu[k]:>14.0f}")
    print(f"{'publisher':15}{'':>10}{'':>13}{'':>13}{load.cpu_seconds / wall * 100:>14.0f}")
    print(f"\nbench: {throughput:.0f} events/s end to end ({share:.0f}% of the raw broker rate, {raw_charges:.0f} charges/s), "
          f"p99 {percentile(latencies, 99):.0f} ms at {args.rate}/s asked ({achieved:.0f}/s reached), idle RSS max {max(idle_rss.values()):.0f} MB, "
          f"start max {max(startup.values()):.2f} s; {pay_rate:.0f} card payments/s over HTTP "
          f"(p50 {percentile(pay_latencies, 50):.0f} ms, p99 {percentile(pay_latencies, 99):.0f} ms, {args.payment_clients} clients); "
          f"{plan_rate:.0f} plans created/s, {installment_rate:.0f} plan installments/s end to end; {insurance_verdict}")


if __name__ == "__main__":
    main()
