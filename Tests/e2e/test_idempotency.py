"""Money written once: POST /v1/adjustments with an Idempotency-Key. A replay answers the first answer
(status and body, plus `Idempotent-Replayed: true`), a key reused for another request is refused, a
missing key is refused, and 50 concurrent requests with one key make exactly one adjustment."""
import threading
import uuid

import pytest

from conftest import get_json, post_charge_and_wait, request, sql, token, wait_until

CHARGE = 90_000


@pytest.fixture
def patient(clinic_id, publisher):
    patient = f"pat-idem-{uuid.uuid4().hex[:6]}"
    post_charge_and_wait(publisher, clinic_id, patient, CHARGE)
    return patient


def adjust(clinic_id, body, key=None, role="billing_staff", request_id=None):
    headers = {} if key is None else {"Idempotency-Key": key}
    if request_id:
        headers["X-Request-Id"] = request_id
    return request("POST", "payments", "/v1/adjustments", bearer=token(role, clinic_id), body=body, headers=headers)


def write_off(patient, amount, reason="small balance write-off", **extra):
    return {"patientId": patient, "amount": {"amount": amount, "currency": "USD"}, "kind": "write_off",
            "reason": reason, **extra}


def account(clinic_id, patient):
    status, body = get_json("payments", f"/v1/patients/{patient}/account?limit=100", clinic=clinic_id)
    assert status == 200, body
    return body


def adjustment_transfers(clinic_id, patient):
    """What the ledger itself holds, read as the superuser: adjustment transfers and their postings."""
    rows = sql(f"""SELECT transfer_id, count(*), sum(amount) FROM payments.ledger_entries
                   WHERE clinic_id = '{clinic_id}' AND transfer_id LIKE 'adjustment:%'
                     AND transfer_id IN (SELECT transfer_id FROM payments.ledger_entries
                                         WHERE clinic_id = '{clinic_id}' AND patient_id = '{patient}')
                   GROUP BY transfer_id ORDER BY transfer_id""")
    return [line.split("|") for line in rows.splitlines() if line]


def test_a_replay_answers_the_first_answer(clinic_id, patient):
    key = str(uuid.uuid4())
    first = adjust(clinic_id, write_off(patient, 1_500, note="approved at the desk"), key)
    assert first.status == 201, first.text
    assert "idempotent-replayed" not in first.headers, first.headers
    assert first.body["patientId"] == patient and first.body["kind"] == "write_off"
    assert first.body["amount"] == {"amount": 1_500, "currency": "USD"}
    assert first.body["balance"] == {"amount": CHARGE - 1_500, "currency": "USD"}, first.body
    assert first.body["id"]

    again = adjust(clinic_id, write_off(patient, 1_500, note="approved at the desk"), key)
    assert again.status == 201 and again.text == first.text, (again.status, again.text, first.text)
    assert again.headers.get("idempotent-replayed") == "true", again.headers

    # The ledger moved once: one adjustment entry, one two-posting transfer that sums to zero.
    entries = account(clinic_id, patient)
    assert entries["balance"] == {"amount": CHARGE - 1_500, "currency": "USD"}, entries
    kinds = [e["kind"] for e in entries["entries"]["data"]]
    assert kinds.count("charge") == 1 and len(kinds) == 2, kinds
    assert adjustment_transfers(clinic_id, patient) == [[f"adjustment:{first.body['id']}", "2", "0"]]

    # Analytics' A/R follows payments' balance (balance.changed with cause 'adjustment').
    def ar_matches():
        status, summary = get_json("analytics", "/v1/summary", clinic=clinic_id)
        totals = [r["total"] for r in summary.get("receivables", [])] if status == 200 else summary
        return True if totals == [{"amount": CHARGE - 1_500, "currency": "USD"}] else totals
    wait_until(ar_matches, 30, "analytics' A/R did not follow the adjustment")


def test_the_same_key_for_another_request_is_refused(clinic_id, patient):
    key = str(uuid.uuid4())
    assert adjust(clinic_id, write_off(patient, 1_000), key).status == 201
    for other in [write_off(patient, 1_001), write_off(patient, 1_000, reason="another reason"),
                  {**write_off(patient, 1_000), "kind": "courtesy_discount"}]:
        answer = adjust(clinic_id, other, key)
        assert answer.status == 422, answer.text
        assert answer.body["error"]["code"] == "idempotency_key_reused", answer.text
        assert answer.body["error"]["type"] == "invalid_request_error", answer.text
    assert account(clinic_id, patient)["balance"]["amount"] == CHARGE - 1_000
    assert len(adjustment_transfers(clinic_id, patient)) == 1


def test_a_write_without_a_key_is_refused(clinic_id, patient):
    answer = adjust(clinic_id, write_off(patient, 500), key=None)
    assert answer.status == 400, answer.text
    assert answer.body["error"]["code"] == "idempotency_key_missing", answer.text
    assert answer.body["error"].get("param") == "Idempotency-Key", answer.text
    answer = adjust(clinic_id, write_off(patient, 500), key="has a space")
    assert answer.status == 400, answer.text
    assert account(clinic_id, patient)["balance"]["amount"] == CHARGE
    assert adjustment_transfers(clinic_id, patient) == []


def test_a_refused_request_stores_nothing_under_its_key(clinic_id, patient):
    """README: a request that failed with a 4xx stored nothing: fix it and retry with the same key."""
    key = str(uuid.uuid4())
    no_reason = adjust(clinic_id, write_off(patient, 2_000, reason="   "), key)
    assert no_reason.status == 422 and no_reason.body["error"]["code"] == "adjustment_invalid", no_reason.text
    assert no_reason.body["error"].get("param") == "reason", no_reason.text
    too_much = adjust(clinic_id, write_off(patient, CHARGE + 1), key, role="admin")
    assert too_much.status == 422 and too_much.body["error"]["code"] == "adjustment_invalid", too_much.text
    fixed = adjust(clinic_id, write_off(patient, 2_000), key)
    assert fixed.status == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    assert account(clinic_id, patient)["balance"]["amount"] == CHARGE - 2_000


def test_fifty_concurrent_requests_with_one_key_make_one_adjustment(clinic_id, patient):
    key = str(uuid.uuid4())
    body = write_off(patient, 2_500, reason="concurrent retries")
    bearer = token("billing_staff", clinic_id)
    barrier = threading.Barrier(50)
    answers = [None] * 50

    def send(index):
        barrier.wait()
        answers[index] = request("POST", "payments", "/v1/adjustments", bearer=bearer, body=body,
                                 headers={"Idempotency-Key": key}, timeout=60)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = [a for a in answers if a.status == 201]
    first = [a for a in created if "idempotent-replayed" not in a.headers]
    in_progress = [a for a in answers if a.status == 409]
    other = [(a.status, a.text[:200]) for a in answers if a.status not in (201, 409)]
    assert not other, f"answers other than 201 or 409: {other}"
    assert len(first) == 1, f"{len(first)} answers were not replays (expected exactly one first answer)"
    assert all(a.text == first[0].text for a in created), {a.text for a in created}
    assert all(a.headers.get("idempotent-replayed") == "true" for a in created if a is not first[0])
    for answer in in_progress:
        assert answer.body["error"]["code"] == "request_in_progress", answer.text

    entries = account(clinic_id, patient)
    assert entries["balance"] == {"amount": CHARGE - 2_500, "currency": "USD"}, entries
    assert [e["kind"] for e in entries["entries"]["data"]].count("charge") == 1
    assert len(entries["entries"]["data"]) == 2, entries["entries"]["data"]
    assert adjustment_transfers(clinic_id, patient) == [[f"adjustment:{first[0].body['id']}", "2", "0"]]
    assert sql(f"SELECT count(*) FROM payments.idempotency_keys WHERE clinic_id = '{clinic_id}' AND key = '{key}'") == "1"


def test_aging_buckets_add_up_to_the_total_after_an_adjustment(clinic_id, patient):
    """Aging splits the A/R total by age: after a write-off the buckets must still add up to the total."""
    assert adjust(clinic_id, write_off(patient, 4_000), str(uuid.uuid4())).status == 201

    def settled():
        status, summary = get_json("analytics", "/v1/summary", clinic=clinic_id)
        if status != 200 or not summary["receivables"]:
            return (status, summary)
        usd = summary["receivables"][0]
        return True if usd["total"]["amount"] == CHARGE - 4_000 else usd
    wait_until(settled, 30, "analytics' A/R did not follow the write-off")
    usd = get_json("analytics", "/v1/summary", clinic=clinic_id)[1]["receivables"][0]
    assert sum(b["amount"]["amount"] for b in usd["aging"]) == usd["total"]["amount"], usd
