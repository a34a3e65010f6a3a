"""What an operator relies on: dead-letter replay, metrics, the journals of the other services,
and a graceful stop on SIGTERM."""
import os
import signal
import subprocess
import time
import urllib.request

from conftest import (
    ROOT, charge_body, dead_letters, get_json, headers_for, http_port, service_pid, wait_until)


def run_dev(*args):
    return subprocess.run([os.environ["DEV_SCRIPT"], *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "CLINICLEDGER_ENV": "test"})


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
    account = lambda: get_json("payments", f"/v1/patients/pat-r/account?clinicId={clinic_id}")
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
    assert [e["kind"] for e in body["entries"]] == ["charge", "charge-reversal"]


def test_metrics_count_what_was_consumed_and_published(clinic_id, publisher):
    publisher.publish("clinic.charge.posted.v1", charge_body("chg-m", "pat-m", 100),
                      headers_for("clinic.charge.posted.v1", clinic_id))
    wait_until(lambda: get_json("payments", f"/v1/patients/pat-m/account?clinicId={clinic_id}")[0] == 200 or "not yet",
               30, "charge not recorded")
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port('payments')}/metrics", timeout=5) as response:
        text = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/plain")
    for name in ["clinicledger_events_consumed_total", "clinicledger_events_published_total",
                 "clinicledger_handler_duration_seconds_bucket", 'event_type="clinic.charge.posted.v1"']:
        assert name in text, f"/metrics lacks {name}"


def test_insurance_plans_and_notifications_journal_what_they_will_act_on(clinic_id, publisher):
    patient = {
        "patientId": "pat-j", "name": {"given": "Ana", "family": "Lopez"},
        "contacts": {"email": "ana@example.com"}, "consents": {"email": True, "sms": False, "cardOnFileAutoCharge": False},
    }
    publisher.publish("clinic.patient.registered.v1", patient, headers_for("clinic.patient.registered.v1", clinic_id))
    for service in ["insurance", "plans", "notifications"]:
        wait_until(lambda: get_json(service, f"/v1/received-events?clinicId={clinic_id}")[1]["received"]
                   .get("clinic.patient.registered.v1") == 1 or get_json(service, f"/v1/received-events?clinicId={clinic_id}"),
                   30, f"{service} did not journal the registration")


def test_sigterm_stops_a_service_within_ten_seconds_and_up_brings_it_back():
    pid = service_pid("notifications")
    started = time.time()
    os.kill(pid, signal.SIGTERM)
    while time.time() - started < 10:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("notifications did not stop within 10 s of SIGTERM")
    log = open(os.path.join(ROOT, ".run", os.environ["CLINICLEDGER_ENV"], "logs", "notifications.log")).read()
    assert "event processing stopped" in log
    run_dev("up")
    status, health = get_json("notifications", "/health/ready")
    assert status == 200, health
