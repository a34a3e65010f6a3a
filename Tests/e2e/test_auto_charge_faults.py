"""The auto-charge run under faults, the short version of the chaos scenario: two runs at once on two
replicas, `kill -9` of payments while the janitor is charging, `scripts/dev up` — every balance is
charged exactly once, and the gateway shows exactly one charge per payment."""
import concurrent.futures
import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
import uuid

from conftest import (ROOT, charge_body, env, headers_for, process_running, request, run_dev, service_pid, sql, token,
                      wait_until)

PATIENTS = 120


def replica(port):
    """A second payments process of the running test environment, competing for the same work."""
    log = open(os.path.join(ROOT, ".run", env("CLINICLEDGER_ENV"), "logs", "payments-replica-e2e.log"), "a")
    return subprocess.Popen([os.path.join(ROOT, ".build/debug/payments"), "serve"], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=log, start_new_session=True,
                            env={**os.environ, "PAYMENTS_HTTP_PORT": str(port)})


def ready(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready", timeout=1).status == 200
    except OSError:
        return False


def run_on(port, admin):
    call = urllib.request.Request(f"http://127.0.0.1:{port}/v1/auto-charge/runs", method="POST",
                                  headers={"Authorization": f"Bearer {admin}"})
    try:
        with urllib.request.urlopen(call, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_two_runs_on_two_replicas_and_a_kill_charge_each_balance_once(clinic_id, publisher):
    staff, admin = token("billing_staff", clinic_id), token("admin", clinic_id)
    fees = {}
    for i in range(PATIENTS):
        patient = f"pat-ac-{i:03d}"
        fees[patient] = 1_000 + 37 * i
        publisher.publish("clinic.charge.posted.v1", charge_body(f"chg-ac-{i:03d}", patient, fees[patient]),
                          headers_for("clinic.charge.posted.v1", clinic_id))
    wait_until(lambda: int(sql(f"SELECT count(*) FROM payments.charges WHERE clinic_id = '{clinic_id}'")) == PATIENTS,
               60, "the charges to be recorded")
    for patient in fees:
        saved = request("POST", "payments", f"/v1/patients/{patient}/payment-methods", bearer=staff,
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                        body={"token": "tok_visa", "autoCharge": {
                            "consentText": "I authorize the practice to charge this card for balances due.",
                            "channel": "in_person"}})
        assert saved.status == 201, saved.text

    port = int(env("PAYMENTS_HTTP_PORT")) + 300
    second = replica(port)
    try:
        wait_until(lambda: ready(port), 60, "the payments replica to be ready")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(lambda p: run_on(p, admin), [int(env("PAYMENTS_HTTP_PORT")), port]))
        assert all(status == 201 for status, _ in answers), answers
        # Together the two runs created one payment per balance, however they interleaved.
        assert sum(body["intents"] for _, body in answers) == PATIENTS, answers

        # kill -9 the main instance while the janitors are charging, then bring it back.
        pid = service_pid("payments")
        os.kill(pid, signal.SIGKILL)
        left = int(sql(f"""SELECT count(*) FROM payments.payments
                           WHERE clinic_id = '{clinic_id}' AND status IN ('processing', 'unknown')"""))
        assert left > 0, "every payment was settled before the kill: the drill did not kill anything mid-run"
        wait_until(lambda: not process_running(pid), 10, "payments to die")
        run_dev("up")
        second.send_signal(signal.SIGKILL)
        again = run_on(int(env("PAYMENTS_HTTP_PORT")), admin)
        assert again[0] == 201 and again[1]["intents"] == 0, f"a third run the same day made payments: {again}"
    finally:
        if second.poll() is None:
            second.kill()
        second.wait()

    unsettled = lambda: int(sql(f"""SELECT count(*) FROM payments.payments
                                   WHERE clinic_id = '{clinic_id}' AND status IN ('processing', 'unknown')"""))
    wait_until(lambda: unsettled() == 0, 90, "every auto-charge to be settled by the janitor")
    rows = sql(f"""SELECT patient_id, count(*), sum(amount) FROM payments.payments
                   WHERE clinic_id = '{clinic_id}' AND origin = 'auto_charge' AND status = 'succeeded'
                   GROUP BY patient_id""").splitlines()
    charged = {line.split("|")[0]: (int(line.split("|")[1]), int(line.split("|")[2])) for line in rows}
    assert charged == {patient: (1, fee) for patient, fee in fees.items()}, "each balance charged exactly once"
    gateway = int(sql(f"""SELECT count(*) FROM payments.sandbox_charges s JOIN payments.payments p
                          ON p.payment_id = s.idempotency_key WHERE p.clinic_id = '{clinic_id}'"""))
    assert gateway == PATIENTS, f"the gateway shows {gateway} charges for {PATIENTS} payments"
    balances = sql(f"SELECT DISTINCT balance FROM payments.patient_balances WHERE clinic_id = '{clinic_id}'")
    assert balances.strip() == "0", f"balances after the run: {balances}"
    assert sql(f"SELECT coalesce(sum(amount), 0) FROM payments.ledger_entries WHERE clinic_id = '{clinic_id}'") == "0"
