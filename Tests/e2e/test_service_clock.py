"""The service clock, moved as a test would move it: `scripts/dev clock advance` reaches every running
service, and the scheduled job that forgets Idempotency-Keys runs once the clock says they are older
than 24 hours — so the same key then makes a new adjustment. Time moves by the clock, never by sleeping."""
import uuid

import pytest

from conftest import post_charge_and_wait, request, run_dev, sql, token, wait_until


@pytest.fixture
def moved_clock():
    yield
    run_dev("clock", "reset")


def adjust(clinic_id, patient, key):
    body = {"patientId": patient, "amount": {"amount": 100, "currency": "USD"}, "kind": "write_off",
            "reason": "small balance"}
    return request("POST", "payments", "/v1/adjustments", bearer=token("billing_staff", clinic_id), body=body,
                   headers={"Idempotency-Key": key})


def test_keys_are_kept_a_day_by_the_service_clock_then_forgotten(clinic_id, publisher, moved_clock):
    patient = f"pat-clock-{uuid.uuid4().hex[:6]}"
    post_charge_and_wait(publisher, clinic_id, patient, 10_000)
    key = str(uuid.uuid4())
    first = adjust(clinic_id, patient, key)
    assert first.status == 201, first.text

    run_dev("clock", "advance", "23h")
    replay = adjust(clinic_id, patient, key)
    assert replay.status == 201 and replay.headers.get("idempotent-replayed") == "true", replay.text
    assert replay.body == first.body

    shown = run_dev("clock", "advance", "2h").stdout
    assert "offset +90000 s" in shown, shown
    wait_until(lambda: sql(f"SELECT count(*) FROM payments.idempotency_keys WHERE clinic_id = '{clinic_id}'") == "0"
               or "still kept", 15, "the prune job did not forget a key 25 hours old by the service clock")
    again = adjust(clinic_id, patient, key)
    assert again.status == 201 and "idempotent-replayed" not in again.headers, again.text
    assert again.body["id"] != first.body["id"]
    assert again.body["balance"]["amount"] == 10_000 - 200


def test_the_clock_cannot_take_nonsense():
    result = run_dev("clock", "advance", "soon", check=False)
    assert result.returncode != 0 and "whole number" in result.stderr, result.stdout + result.stderr
