"""Cards on file: a one-time token saved with the gateway for a patient, with the patient's permission to
charge it automatically; payments keeps the gateway's method id, brand and last 4, never a card number;
the saved card pays (`card_on_file`) until it is revoked; subscribers hear of both."""
import uuid

import pytest

from conftest import request, sql, token
from payments_helpers import (
    EXPIRED, METHOD_REVOKED, METHOD_SAVED, VISA, EventWatcher, assert_books_balanced, assert_error, auto_charge, balance,
    methods, new_patient, paid, pay, payment_body, payment_rows, post_charge, q, save_method, saved_method, usd)

FEE = 80_000
CARD_NUMBER = "4242424242424242"  # what tok_visa stands for; must never be stored


@pytest.fixture
def patient(clinic_id, publisher):
    patient = new_patient("cof")
    post_charge(publisher, clinic_id, patient, FEE)
    return patient


def revoke(clinic, patient, method_id, role="billing_staff"):
    return request("DELETE", "payments", f"/v1/patients/{patient}/payment-methods/{method_id}",
                   bearer=token(role, clinic), headers={"Idempotency-Key": str(uuid.uuid4())})


def test_a_saved_card_pays_until_it_is_revoked(clinic_id, patient):
    with EventWatcher(METHOD_SAVED, METHOD_REVOKED) as events:
        answer = save_method(clinic_id, patient, VISA, auto_charge(maximum=50_000))
        assert answer.status == 201, answer.text
        method = answer.body
        assert method["id"].startswith("pm_"), method
        assert (method["kind"], method["brand"], method["last4"]) == ("card", "visa", "4242"), method
        assert isinstance(method["expMonth"], int) and 1 <= method["expMonth"] <= 12, method
        assert isinstance(method["expYear"], int) and method["expYear"] >= 2026, method
        assert method["status"] == "active", method
        authorization = method["autoCharge"]
        assert authorization["consentText"].startswith("I authorize"), authorization
        assert authorization["channel"] == "in_person", authorization
        assert authorization["maximumPerCharge"] == usd(50_000), authorization
        assert authorization["authorizedBy"] and authorization["authorizedAt"], authorization
        assert CARD_NUMBER not in answer.text

        # What payments stored: the gateway's method id, brand, last 4 — no card number, no token.
        row = sql(f"""SELECT row_to_json(m)::text FROM payments.payment_methods m
                      WHERE clinic_id = {q(clinic_id)} AND payment_method_id = {q(method['id'])}""")
        assert row, "the saved method is not in payments.payment_methods"
        assert CARD_NUMBER not in row and "tok_visa" not in row, row
        stored = sql(f"""SELECT brand || '|' || last4 || '|' || status FROM payments.payment_methods
                         WHERE clinic_id = {q(clinic_id)} AND payment_method_id = {q(method['id'])}""")
        assert stored == "visa|4242|active", stored

        listed = methods(clinic_id, patient)
        assert [m["id"] for m in listed] == [method["id"]], listed
        assert listed[0]["status"] == "active" and listed[0]["last4"] == "4242", listed

        saved = events.wait_for(METHOD_SAVED, clinic_id, lambda e: e["paymentMethodId"] == method["id"])
        assert saved[0]["patientId"] == patient and saved[0]["last4"] == "4242", saved
        assert saved[0]["autoCharge"]["maximumPerCharge"] == usd(50_000), saved
        assert CARD_NUMBER not in str(saved)

        payment = paid(clinic_id, payment_body(patient, 30_000, "card_on_file", paymentMethodId=method["id"]))
        assert payment["status"] == "succeeded", payment
        assert (payment["cardBrand"], payment["cardLast4"]) == ("visa", "4242"), payment
        assert balance(clinic_id, patient) == FEE - 30_000

        gone = revoke(clinic_id, patient, method["id"])
        assert gone.status == 200, gone.text
        assert gone.body["status"] == "revoked" and gone.body["id"] == method["id"], gone.text
        revoked = events.wait_for(METHOD_REVOKED, clinic_id, lambda e: e["paymentMethodId"] == method["id"])
        assert revoked[0]["reason"] == "revoked" and revoked[0]["patientId"] == patient, revoked
        assert [m["status"] for m in methods(clinic_id, patient) if m["id"] == method["id"]] in ([], ["revoked"])

        refused = pay(clinic_id, payment_body(patient, 10_000, "card_on_file", paymentMethodId=method["id"]))
        assert_error(refused, (400, 409, 422), "payment_method_unusable")
        assert payment_rows(clinic_id, patient) == 1
    assert_books_balanced(clinic_id, {patient: FEE - 30_000})


def test_a_saved_card_pays_only_for_its_own_patient(clinic_id, publisher, patient):
    other = new_patient("cof-other")
    post_charge(publisher, clinic_id, other, 10_000)
    method = saved_method(clinic_id, patient, VISA)
    assert method.get("autoCharge") is None, method
    answer = pay(clinic_id, payment_body(other, 5_000, "card_on_file", paymentMethodId=method["id"]))
    assert_error(answer, (404, 422), None)
    assert payment_rows(clinic_id, other) == 0
    # Another clinic does not see the method at all.
    elsewhere = request("GET", "payments", f"/v1/patients/{patient}/payment-methods",
                        bearer=token("billing_staff", f"clinic-{uuid.uuid4().hex[:10]}"))
    assert elsewhere.status in (200, 404), elsewhere.text
    if elsewhere.status == 200:
        assert elsewhere.body["data"] == [], elsewhere.text
    assert_books_balanced(clinic_id, {patient: FEE, other: 10_000})


def test_a_token_that_is_not_a_card_or_bank_account_is_refused(clinic_id, patient):
    answer = save_method(clinic_id, patient, "tok_doesnotexist", auto_charge())
    assert_error(answer, (400, 402, 422), None)
    assert sql(f"SELECT count(*) FROM payments.payment_methods WHERE clinic_id = {q(clinic_id)}") == "0"
    missing_key = save_method(clinic_id, patient, VISA, key=None)
    assert_error(missing_key, 400, "idempotency_key_missing")
    assert methods(clinic_id, patient) == []


def test_a_card_flagged_by_a_hard_decline_can_still_be_revoked(clinic_id, patient):
    """An expired card declines at the desk and is flagged `needs_updating`; the patient then asks to
    remove it: the answer says revoked, and so must what payments keeps."""
    method = saved_method(clinic_id, patient, EXPIRED, auto_charge())
    declined = paid(clinic_id, payment_body(patient, 5_000, "card_on_file", paymentMethodId=method["id"]))
    assert declined["status"] == "failed" and declined["failure"]["code"] == "expired_card", declined
    assert [m["status"] for m in methods(clinic_id, patient)] == ["needs_updating"]

    gone = revoke(clinic_id, patient, method["id"])
    assert gone.status == 200 and gone.body["status"] == "revoked", gone.text
    assert [m["status"] for m in methods(clinic_id, patient)] == ["revoked"], methods(clinic_id, patient)
    assert sql(f"""SELECT status FROM payments.payment_methods
                   WHERE clinic_id = {q(clinic_id)} AND payment_method_id = {q(method['id'])}""") == "revoked"
    assert_books_balanced(clinic_id, {patient: FEE})
