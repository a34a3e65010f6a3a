"""The audit trail: an adjustment leaves a line (who, what, which request) that admin can read; every
service's hash chain verifies; a service's own database login cannot change, delete or empty its
audit trail (audit_log, and the chain of hashes in audit_chain). (Breaking a chain on purpose is
test_zz_audit_tamper.py, which runs last.)"""
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
    pages, after = [], None
    while len(pages) < 10:
        answer = request("GET", "payments", "/v1/audit?limit=2" + (f"&starting_after={after}" if after else ""), bearer=admin)
        assert answer.status == 200 and len(answer.body["data"]) <= 2, answer.text
        pages.append(answer.body)
        if not answer.body["has_more"]:
            break
        after = answer.body["data"][-1]["id"]
    lines = [line for page in pages for line in page["data"]]
    ids = [int(line["id"]) for line in lines]
    assert ids == sorted(set(ids)), f"pages overlap or are out of order: {ids}"
    assert [len(page["data"]) for page in pages] == [2, 2, 1], [len(page["data"]) for page in pages]
    assert sorted(line["action"] for line in lines) == ["adjustment.created"] * 3 + ["charge.recorded"] * 2, lines


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


def sealed(service, seq):
    """Whether the audit row is in the service's hash chain (audit_chain holds one link per sealed row)."""
    return sql(f"SELECT count(*) FROM {service}.audit_chain WHERE seq = {seq}") == "1"


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_login_cannot_change_delete_or_empty_its_audit_trail(service, clinic_id):
    # Writers may insert: a probe row, written as the service's own login, then sealed by the service.
    inserted = psql_as_service(service, f"""
        INSERT INTO audit_log (clinic_id, subject, role, action, object_type, object_id, summary)
        VALUES ('{clinic_id}', 'e2e', 'system', 'e2e.probe', 'probe', 'probe-1', 'probe row') RETURNING seq""")
    assert inserted.returncode == 0, inserted.stderr
    seq = inserted.stdout.strip().splitlines()[0]
    wait_until(lambda: sealed(service, seq) or "unsealed", 10, f"{service} did not seal row {seq}")
    attempts = {
        "UPDATE of a row": f"UPDATE audit_log SET summary = 'changed' WHERE seq = {seq}",
        "DELETE of a row": f"DELETE FROM audit_log WHERE seq = {seq}",
        "TRUNCATE of the log": "TRUNCATE audit_log CASCADE",
        "UPDATE of a link": f"UPDATE audit_chain SET hash = repeat('0', 64) WHERE seq = {seq}",
        "DELETE of a link": f"DELETE FROM audit_chain WHERE seq = {seq}",
        "TRUNCATE of the chain": "TRUNCATE audit_chain",
    }
    for name, statement in attempts.items():
        for _ in range(5):  # TRUNCATE takes exclusive locks and may meet the sealer: a deadlock is not an answer
            result = psql_as_service(service, statement)
            if "deadlock detected" not in result.stderr:
                break
        assert result.returncode != 0 and "append-only" in result.stderr, \
            f"{service}: {name} as the service's login was not refused by the trigger: {result.stdout}{result.stderr}"
    assert sql(f"SELECT summary FROM {service}.audit_log WHERE seq = {seq}") == "probe row"
    assert sealed(service, seq)
    result = audit_verify(service)
    assert result.returncode == 0, f"{service}: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("service", SERVICES)
def test_the_service_login_cannot_switch_the_guard_off(service):
    """The triggers guard only if the login that writes the trail cannot drop or disable them. Each attempt
    runs in a transaction that is rolled back, so nothing stays changed even when one succeeds."""
    attempts = {
        "DISABLE TRIGGER on audit_log": "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "DISABLE TRIGGER on audit_chain": "ALTER TABLE audit_chain DISABLE TRIGGER USER",
        "DROP TRIGGER": "DROP TRIGGER audit_log_append_only ON audit_log",
        "replace the trigger function": "CREATE OR REPLACE FUNCTION audit_is_append_only() RETURNS trigger "
                                        "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    }
    allowed = []
    for name, statement in attempts.items():
        result = psql_as_service(service, f"BEGIN; {statement}; ROLLBACK;")
        if result.returncode == 0:
            allowed.append(name)
    assert not allowed, (f"{service}'s own login may {allowed} (it owns the tables), so the append-only triggers "
                         f"do not stop it; only the hash chain would notice, and the chain is not keyed")


def test_another_service_login_cannot_touch_this_audit_log():
    result = psql_as_service("analytics", "SELECT count(*) FROM payments.audit_log")
    assert result.returncode != 0 and "permission denied" in result.stderr, result.stdout + result.stderr
    result = psql_as_service("analytics", "INSERT INTO payments.audit_log (clinic_id, subject, role, action, object_type, "
                                          "object_id, summary) VALUES ('c', 's', 'r', 'a', 't', 'o', 'm')")
    assert result.returncode != 0 and "permission denied" in result.stderr, result.stdout + result.stderr
