"""What an operator relies on: dead-letter replay, metrics, the journals of the other services,
and a graceful stop on SIGTERM."""
import os
import signal
import subprocess
import time
import urllib.request

from conftest import (
    ROOT, SERVICES, charge_body, dead_letters, get_json, headers_for, http_port, process_running, psql_as_service, service_pid,
    sql, wait_until)


def run_dev(*args):
    return subprocess.run([os.environ["DEV_SCRIPT"], *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "CLINICLEDGER_ENV": os.environ.get("CLINICLEDGER_ENV", "test")})


def test_a_void_that_came_too_early_is_replayed_once_its_charge_exists(clinic_id, publisher):
    void_headers = headers_for("clinic.charge.voided.v1", clinic_id)
    publisher.publish("clinic.charge.voided.v1", {"chargeId": "chg-late", "patientId": "pat-r"}, void_headers)
    event_id = void_headers["cloudEvents_id"]

    def dead():
        letter = next((d for d in dead_letters("payments") if d["messageId"] == event_id), None)
        return True if letter and "has not been posted" in letter["reason"] else letter
    wait_until(dead, 60, "the early void was not dead-lettered after its retries")

    publisher.publish("clinic.charge.posted.v1", charge_body("chg-late", "pat-r", 7000),
                      headers_for("clinic.charge.posted.v1", clinic_id))
    account = lambda: get_json("payments", "/v1/patients/pat-r/account", clinic=clinic_id)
    wait_until(lambda: account()[0] == 200 or account(), 30, "the charge was not recorded")

    replayed = run_dev("dead-letters", "payments", "replay", event_id)
    assert "replayed 1 message" in replayed.stdout
    wait_until(lambda: account()[1]["balance"]["amount"] == 0 or account()[1]["balance"], 30, "the replayed void was not applied")
    assert not [d for d in dead_letters("payments") if d["messageId"] == event_id]

    # Replaying the same event again (e.g. an operator's double click) changes nothing.
    publisher.publish("clinic.charge.voided.v1", {"chargeId": "chg-late", "patientId": "pat-r"}, void_headers)
    time.sleep(2)
    status, body = account()
    assert body["balance"] == {"amount": 0, "currency": "USD"}
    assert [e["kind"] for e in body["entries"]["data"]] == ["charge", "charge-reversal"]


def test_metrics_count_what_was_consumed_and_published(clinic_id, publisher):
    publisher.publish("clinic.charge.posted.v1", charge_body("chg-m", "pat-m", 100),
                      headers_for("clinic.charge.posted.v1", clinic_id))
    wait_until(lambda: get_json("payments", "/v1/patients/pat-m/account", clinic=clinic_id)[0] == 200 or "not yet",
               30, "charge not recorded")
    def metrics():
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port('payments')}/metrics", timeout=5) as response:
            assert response.headers["Content-Type"].startswith("text/plain")
            return response.read().decode()

    # The gauges are refreshed every 5 s by the relay's housekeeping.
    names = ["clinicledger_events_consumed_total", "clinicledger_events_published_total",
             "clinicledger_handler_duration_seconds_bucket", 'event_type="clinic.charge.posted.v1"',
             "clinicledger_outbox_backlog", "clinicledger_dead_letter_queue_messages"]
    wait_until(lambda: all(n in metrics() for n in names) or [n for n in names if n not in metrics()], 20,
               "/metrics lacks some of the suite's metrics")


def test_plans_and_notifications_journal_what_they_will_act_on(clinic_id, publisher):
    patient = {
        "patientId": "pat-j", "name": {"given": "Ana", "family": "Lopez"},
        "contacts": {"email": "ana@example.com"}, "consents": {"email": True, "sms": False, "cardOnFileAutoCharge": False},
    }
    publisher.publish("clinic.patient.registered.v1", patient, headers_for("clinic.patient.registered.v1", clinic_id))
    for service in ["plans", "notifications"]:  # insurance acts on it (test_insurance_*)
        wait_until(lambda: get_json(service, "/v1/received-events", clinic=clinic_id)[1]["received"]
                   .get("clinic.patient.registered.v1") == 1 or get_json(service, "/v1/received-events", clinic=clinic_id),
                   30, f"{service} did not journal the registration")


def test_sigterm_stops_a_service_within_ten_seconds_and_up_brings_it_back():
    pid = service_pid("notifications")
    started = time.time()
    os.kill(pid, signal.SIGTERM)
    while time.time() - started < 10:
        if not process_running(pid):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("notifications did not stop within 10 s of SIGTERM")
    log = open(os.path.join(ROOT, ".run", os.environ["CLINICLEDGER_ENV"], "logs", "notifications.log")).read()
    assert "event processing stopped" in log
    run_dev("up")
    status, health = get_json("notifications", "/health/ready")
    assert status == 200, health


def charge_lands(clinic_id, publisher, patient, amount, timeout=60):
    publisher.publish("clinic.charge.posted.v1", charge_body(f"chg-{patient}", patient, amount),
                      headers_for("clinic.charge.posted.v1", clinic_id))

    def landed():
        status, account = get_json("payments", f"/v1/patients/{patient}/account", clinic=clinic_id)
        summary = get_json("analytics", "/v1/summary", clinic=clinic_id)[1]
        total = sum(r["total"]["amount"] for r in summary.get("receivables", []))
        return True if status == 200 and account["balance"]["amount"] == amount and total == amount else (status, total)
    wait_until(landed, timeout, "the charge did not flow through payments to analytics")


def test_services_reconnect_after_a_broker_restart(clinic_id):
    from conftest import Publisher
    run_dev("restart", "rabbitmq")
    for service in ["payments", "analytics"]:
        wait_until(lambda: get_json(service, "/health/ready")[0] == 200 or get_json(service, "/health/ready")[1],
                   60, f"{service} did not reconnect to RabbitMQ")
    publisher = Publisher()
    charge_lands(clinic_id, publisher, "pat-after-broker", 3300)
    publisher.close()


def test_services_reconnect_after_a_database_restart(clinic_id, publisher):
    run_dev("restart", "postgres")
    charge_lands(clinic_id, publisher, "pat-after-db", 4400)
    # The background work (audit sealer, scheduled jobs) came back too: a row written now is sealed
    # into each service's chain within moments (README: within a quarter of a second).
    for service in SERVICES:
        inserted = psql_as_service(service, f"""
            INSERT INTO audit_log (clinic_id, subject, role, action, object_type, object_id, summary)
            VALUES ('{clinic_id}', 'e2e', 'system', 'e2e.probe', 'probe', 'after-db-restart', 'probe row') RETURNING seq""")
        assert inserted.returncode == 0, inserted.stderr
        seq = inserted.stdout.strip().splitlines()[0]
        wait_until(lambda: sql(f"SELECT count(*) FROM {service}.audit_chain WHERE seq = {seq}") == "1" or "unsealed", 10,
                   f"{service} did not seal its audit row {seq} after the database restart (its background work is stuck?)")
