"""Tampering is found: a superuser (who can bypass the append-only trigger) changes one sealed row of
payments' audit log, and `scripts/dev audit payments verify` fails naming that row.

THIS TEST BREAKS PAYMENTS' AUDIT CHAIN FOR GOOD and restores nothing: every later
`scripts/dev audit payments verify` on this environment reports the row. That is why the file is
named to sort (and so run) last. A new run of test_audit.py needs a fresh environment, which
`scripts/dev test` always makes."""
import re
import uuid

from conftest import audit_verify, post_charge_and_wait, request, sql, token, wait_until


def superuser_sql(statements):
    # session_replication_role = replica skips ordinary triggers, which only a superuser may set.
    return sql(f"SET session_replication_role = replica; {statements}")


def test_a_changed_sealed_row_is_found_and_named(clinic_id, publisher):
    patient = f"pat-tamper-{uuid.uuid4().hex[:6]}"
    post_charge_and_wait(publisher, clinic_id, patient, 10_000)
    answer = request("POST", "payments", "/v1/adjustments", bearer=token("billing_staff", clinic_id),
                     headers={"Idempotency-Key": str(uuid.uuid4())},
                     body={"patientId": patient, "amount": {"amount": 900, "currency": "USD"},
                           "kind": "write_off", "reason": "tamper target"})
    assert answer.status == 201, answer.text
    adjustment = answer.body["id"]

    seq = sql(f"SELECT seq FROM payments.audit_log WHERE clinic_id = '{clinic_id}' AND object_id = '{adjustment}'")
    assert seq, "the adjustment left no audit line"
    wait_until(lambda: sql(f"SELECT count(*) FROM payments.audit_chain WHERE seq = {seq}") == "1" or "unsealed",
               10, "the adjustment's audit line was not sealed")
    position = sql(f"SELECT position FROM payments.audit_chain WHERE seq = {seq}")

    before = audit_verify("payments")
    assert before.returncode == 0 and re.fullmatch(r"payments: audit ok \d+ rows", before.stdout.strip()), \
        f"payments' chain must verify before the tamper: {before.stdout}{before.stderr}"

    superuser_sql(f"UPDATE payments.audit_log SET summary = summary || ' (edited)' WHERE seq = {seq}")
    assert sql(f"SELECT summary FROM payments.audit_log WHERE seq = {seq}").endswith("(edited)")

    after = audit_verify("payments")
    assert after.returncode == 1, f"verify exit {after.returncode} after a tamper: {after.stdout}{after.stderr}"
    expected = f"payments: audit BROKEN at row id {seq} (chain position {position}): "
    assert after.stdout.startswith(expected), f"expected {expected!r}…, got {after.stdout!r}"
    assert "changed" in after.stdout, after.stdout
    # Deliberately not restored: see the module docstring.
