"""Insurance remittances (835) posted to the patient's ledger: insurance.claim.paid.v1 takes what the payer
paid and what the practice writes off by contract off the patient's balance, in one transfer named by the
claim and the trace number; the same remittance sent again has no second effect."""
import datetime
import uuid

from payments_helpers import (
    assert_books_balanced, balance, duplicates_seen, entries, new_patient, post_charge, publish, q, usd, wait_consumed)
from conftest import sql, wait_until

CLAIM_PAID = "insurance.claim.paid.v1"


def remittance(claim_id, patient, trace, lines):
    return {"claimId": claim_id, "patientId": patient, "payerId": "60054", "traceNumber": trace,
            "paymentDate": datetime.date.today().isoformat(), "lines": lines}


def line(charge_id, billed, paid, contractual, patient_share):
    return {"chargeId": charge_id, "billed": usd(billed), "paid": usd(paid),
            "contractualAdjustment": usd(contractual), "patientResponsibility": usd(patient_share)}


def test_a_remittance_is_posted_once(clinic_id, publisher):
    patient = new_patient("ins")
    crown = post_charge(publisher, clinic_id, patient, 18_500, code="D2740", tooth="19")
    exam = post_charge(publisher, clinic_id, patient, 6_000, code="D0120")
    claim, trace = f"clm-{uuid.uuid4().hex[:8]}", f"EFT-{uuid.uuid4().hex[:8]}"
    body = remittance(claim, patient, trace, [line(crown, 18_500, 12_000, 3_500, 3_000),
                                              line(exam, 6_000, 4_000, 1_000, 1_000)])
    first = publish(publisher, CLAIM_PAID, clinic_id, body)
    expected = 18_500 + 6_000 - (12_000 + 3_500) - (4_000 + 1_000)
    wait_until(lambda: balance(clinic_id, patient) == expected or balance(clinic_id, patient), 30,
               "the remittance did not reach the patient's balance")
    transfer = f"insurance:{claim}:{trace}"
    posted = [e for e in entries(clinic_id, patient) if e["transferId"] == transfer]
    assert len(posted) == 1 and posted[0]["amount"] == usd(-(12_000 + 3_500 + 4_000 + 1_000)), entries(clinic_id, patient)

    # Paid to the practice's insurance collections, the contractual part written off.
    accounts = sql(f"""SELECT account || ' ' || amount FROM payments.ledger_entries
                       WHERE clinic_id = {q(clinic_id)} AND transfer_id = {q(transfer)} AND patient_id IS NULL
                       ORDER BY account""")
    assert accounts.splitlines() == ["practice:adjustments:contractual 4500", "practice:collections:insurance 16000"], accounts

    # The same remittance again under a new event id (the insurance service re-sent it), and the very
    # same event redelivered: both are handled, neither moves money.
    again = publish(publisher, CLAIM_PAID, clinic_id, body)
    wait_consumed(again)
    duplicates = duplicates_seen(CLAIM_PAID)
    publish(publisher, CLAIM_PAID, clinic_id, body, event_id=first)
    wait_until(lambda: duplicates_seen(CLAIM_PAID) > duplicates or "not yet", 30,
               "payments did not see the redelivered remittance as a duplicate")
    assert balance(clinic_id, patient) == expected
    assert len([e for e in entries(clinic_id, patient) if e["transferId"] == transfer]) == 1
    assert_books_balanced(clinic_id, {patient: expected})


def test_a_second_payment_of_a_claim_under_a_new_trace_number_is_posted(clinic_id, publisher):
    """A payer that pays a claim in two remittances (two trace numbers): each is posted once."""
    patient = new_patient("ins2")
    charge = post_charge(publisher, clinic_id, patient, 20_000)
    claim = f"clm-{uuid.uuid4().hex[:8]}"
    for trace, paid in [("EFT-1", 8_000), ("EFT-2", 2_000)]:
        wait_consumed(publish(publisher, CLAIM_PAID, clinic_id,
                              remittance(claim, patient, trace, [line(charge, 20_000, paid, 0, 0)])))
    transfers = sorted({e["transferId"] for e in entries(clinic_id, patient) if e["transferId"].startswith("insurance:")})
    assert transfers == [f"insurance:{claim}:EFT-1", f"insurance:{claim}:EFT-2"], transfers
    assert_books_balanced(clinic_id, {patient: 10_000})
