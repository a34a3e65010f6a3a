"""The audit trail: an adjustment leaves a line (who, what, which request) that admin can read; every
service's hash chain verifies; a service's own database login cannot change, delete or empty its
audit log. (Breaking a chain on purpose is test_zz_audit_tamper.py, which runs last.)"""
import re
import uuid

import pytest

from conftest import SERVICES, audit_verify, post_charge_and_wait, psql_as_service, request, sql, token, wait_until


@pytest.fixture
def adjustment(clinic_id, publisher):
    """Charges through AMQP, then one adjustment through HTTP with a request id of our own."""
    patient = f"pat-audit-{uuid.uuid4().hex[:6]}"
    post_charge_and_wait(publisher, clinic_id, patient, 12_000)
    post_charge_and_wait(publisher, clinic_id, patient, 3_000)
    request_id = f"e2e-audit-{uuid.uuid4().hex[:12]}"
    answer = request("POST", "payments", "/v1/adjustments", bearer=token("billing_staff", clinic_id, subject="user-e2e-7"),
                     headers={"Idempotency-Key": str(uuid.uuid4()), "X-Request-Id": request_id},
                     body={"patientId": patient, "amount": {"amount": 2_000, "currency": "USD"},
                           "kind": "courtesy_discount", "reason": "loyal patient"})
    assert answer.status == 201, answer.text
    return {"id": answer.body["id"], "request_id": request_id, "patient": patient}


def test_an_adjustment_leaves_a_sealed_audit_line_that_admin_can_read(clinic_id, adjustment):
    admin = token("admin", clinic_id)

    def sealed_line():
        answer = request("GET", "payments", f"/v1/audit?objectId={adjustment['id']}", bearer=admin)
        assert answer.status == 200, answer.text
        lines = answer.body["data"]
        return True if len(lines) == 1 and lines[0]["sealed"] else lines
    wait_until(sealed_line, 10, "the adjustment's audit line was not sealed within the sealer's quarter second (+ slack)")
    line = request("GET", "payments", f"/v1/audit?objectId={adjustment['id']}", bearer=admin).body["data"][0]
    assert line["action"] == "adjustment.created" and line["objectType"] == "adjustment", line
    assert line["subject"] == "user-e2e-7" and line["role"] == "billing_staff", line
    assert line["requestId"] == adjustment["request_id"], line
    assert "2000" in line["summary"] and "USD" in line["summary"], line
    # Staff other than admin may not read the trail.
    for role in ["billing_staff", "insurance_specialist"]:
        answer = request("GET", "payments", "/v1/audit", bearer=token(role, clinic_id))
        assert answer.status == 403 and answer.body["error"]["code"] == "permission_denied", (role, answer.text)


def test_the_audit_trail_pages(clinic_id, publisher, adjustment):
    bearer = token("billing_staff", clinic_id)
    for amount in (100, 200):
        assert request("POST", "payments", "/v1/adjustments", bearer=bearer, headers={"Idempotency-Key": str(uuid.uuid4())},
                       body={"patientId": adjustment["patient"], "amount": {"amount": amount, "currency": "USD"},
                             "kind": "write_off", "reason": "paging"}).status == 201
    admin = token("admin", clinic_id)
    first = request("GET", "payments", "/v1/audit?limit=2", bearer=admin)
    assert first.status == 200 and len(first.body["data"]) == 2 and first.body["has_more"] is True, first.text
    rest = request("GET", "payments", f"/v1/audit?limit=2&starting_after={first.body['data'][-1]['id']}", bearer=admin)
    assert rest.status == 200 and len(rest.body["data"]) == 1 and rest.body["has_more"] is False, rest.text
    ids = [line["id"] for line in first.body["data"] + rest.body["data"]]
    assert len(set(ids)) == 3 and ids == sorted(ids, key=int), ids


def test_every_service_chain_verifies(clinic_id, adjustment):
    actions = sorted(sql(f"SELECT action FROM payments.audit_log WHERE clinic_id = '{clinic_id}'").split())
    assert actions == ["adjustment.created", "charge.recorded", "charge.recorded"], actions
    for service in SERVICES:
        rows_before = int(sql(f"SELECT count(*) FROM {service}.audit_log"))
        result = audit_verify(service)
        assert result.returncode == 0, f"{service}: exit {result.returncode}: {result.stdout}{result.stderr}"
        match = re.fullmatch(rf"{service}: audit ok (\d+) rows", result.stdout.strip())
        assert match, f"{service}: unexpected output {result.stdout!r}"
        assert int(match.group(1)) >= rows_before, f"{service}: verify walked {match.group(1)} rows, the table had {rows_before}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_login_cannot_change_delete_or_empty_its_audit_log(service, clinic_id):
    # A row of the service's own clinic-less kind would do; insert one as the service (writers may insert).
    inserted = psql_as_service(service, f"""
        INSERT INTO audit_log (clinic_id, subject, role, action, object_type, object_id, summary)
        VALUES ('{clinic_id}', 'e2e', 'system', 'e2e.probe', 'probe', 'probe-1', 'probe row') RETURNING seq""")
    assert inserted.returncode == 0, inserted.stderr
    seq = inserted.stdout.strip().splitlines()[0]
    wait_until(lambda: sql(f"SELECT hash IS NOT NULL FROM {service}.audit_log WHERE seq = {seq}") == "t" or "unsealed",
               10, f"{service} did not seal row {seq}")
    attempts = {
        "UPDATE": f"UPDATE audit_log SET summary = 'changed' WHERE seq = {seq}",
        "UPDATE of the chain": f"UPDATE audit_log SET hash = repeat('0', 64) WHERE seq = {seq}",
        "DELETE": f"DELETE FROM audit_log WHERE seq = {seq}",
        "TRUNCATE": "TRUNCATE audit_log",
    }
    for name, statement in attempts.items():
        result = psql_as_service(service, statement)
        assert result.returncode != 0 and "append-only" in result.stderr, \
            f"{service}: {name} as the service's login was not refused by the trigger: {result.stdout}{result.stderr}"
    assert sql(f"SELECT summary FROM {service}.audit_log WHERE seq = {seq}") == "probe row"
    assert int(sql(f"SELECT count(*) FROM {service}.audit_log")) >= 1
    result = audit_verify(service)
    assert result.returncode == 0, f"{service}: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_login_cannot_switch_the_guard_off(service):
    """The trigger is only a guard if the login that writes the log cannot drop or disable it. Each
    attempt runs in a transaction that is rolled back, so nothing stays changed even if it succeeds."""
    attempts = {
        "DISABLE TRIGGER": "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "DROP TRIGGER": "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TABLE": "DROP TABLE audit_log",
        "replace the trigger function": "CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger "
                                        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    }
    allowed = []
    for name, statement in attempts.items():
        result = psql_as_service(service, f"BEGIN; {statement}; ROLLBACK;")
        if result.returncode == 0:
            allowed.append(name)
    assert not allowed, (f"{service}'s own login may {allowed} on its audit_log (it owns the table), so the "
                         f"append-only trigger does not stop it; only the hash chain would notice")


def test_another_service_login_cannot_touch_this_audit_log():
    result = psql_as_service("analytics", "SELECT count(*) FROM payments.audit_log")
    assert result.returncode != 0 and "permission denied" in result.stderr, result.stdout + result.stderr
    result = psql_as_service("analytics", "INSERT INTO payments.audit_log (clinic_id, subject, role, action, object_type, "
                                          "object_id, summary) VALUES ('c', 's', 'r', 'a', 't', 'o', 'm')")
    assert result.returncode != 0 and "permission denied" in result.stderr, result.stdout + result.stderr
