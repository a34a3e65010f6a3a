"""Seed 000's "if no card is stored, offer a payment plan", end to end: payments' daily run finds a balance it
may not charge, plans offers a plan with a single-use link, the patient enrols on that page on a phone
(plain HTML form: option, typed signature, card token), payments saves the card and autopay takes the
down payment."""
import urllib.parse

from conftest import http_port, request, sql
from payments_helpers import (
    BALANCE_DUE, METHOD_SAVED, EventWatcher, account, assert_books_balanced, balance, new_patient, post_charge, q,
    start_run, usd)
from plans_helpers import PLAN_EVENTS, pdf_text, wait_plan


def open_link(link, form=None):
    """GET (or POST a form to) an offer link the way a phone's browser would: no token, HTML back."""
    path = urllib.parse.urlparse(link).path
    body = None if form is None else urllib.parse.urlencode(form).encode()
    headers = {"Accept": "text/html"}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return request("POST" if form else "GET", "plans", path, body=body, headers=headers)


def pdf_bytes(link):
    import urllib.request
    with urllib.request.urlopen(link, timeout=30) as answer:
        assert answer.headers["Content-Type"] == "application/pdf", answer.headers["Content-Type"]
        return answer.read()


def offer_for(clinic, patient, amount):
    """A balance with no card on file; payments' run asks for it, plans offers a plan."""
    with EventWatcher(BALANCE_DUE, *PLAN_EVENTS) as events:
        assert start_run(clinic).status in (200, 201)
        events.wait_for(BALANCE_DUE, clinic, lambda b: b["patientId"] == patient and b["reason"] == "no_authorized_method")
        offered = events.wait_for("plans.plan.offered.v1", clinic, lambda b: b["patientId"] == patient)
    return offered[0]


def test_a_patient_without_a_card_is_offered_a_plan_and_enrols_on_the_link(clinic_id, publisher):
    patient = new_patient("offer")
    post_charge(publisher, clinic_id, patient, 90_000)
    offer = offer_for(clinic_id, patient, 90_000)
    assert offer["amount"] == {"amount": 90_000, "currency": "USD"}, offer
    assert offer["link"].startswith(f"http://127.0.0.1:{http_port('plans')}/plan-offers/"), offer
    assert offer["options"] and "monthly payments of" in offer["options"][0], offer
    # Only the link's hash is stored.
    token = offer["link"].rsplit("/", 1)[1]
    assert sql(f"SELECT count(*) FROM plans.plan_offers WHERE token_hash = {q(token)}") == "0"

    page = open_link(offer["link"])
    assert page.status == 200 and page.headers["content-type"].startswith("text/html"), (page.status, page.text[:300])
    assert "900.00 USD" in page.text and 'name="option"' in page.text and 'name="cardToken"' in page.text, page.text

    # Each option's agreement can be read before signing: the full terms of that option.
    preview = pdf_bytes(offer["link"] + "/agreement.pdf?option=1")
    text = pdf_text(preview)
    for words in ["Amount financed", "Total of payments", "Payment schedule", "Automatic payments", "the card I save"]:
        assert words in text, f"{words!r} not in the option's agreement:\n{text}"

    # A form without the agreement ticked is shown again with what to fix; nothing is created.
    unsure = open_link(offer["link"], {"option": "0", "signedBy": "Ana Lopez", "cardToken": "tok_visa"})
    assert unsure.status == 422 and "Tick the box" in unsure.text, (unsure.status, unsure.text[:300])
    assert sql(f"SELECT count(*) FROM plans.payment_plans WHERE account_id = {q(patient)}") == "0"

    with EventWatcher(METHOD_SAVED, *PLAN_EVENTS) as events:
        done = open_link(offer["link"], {"option": "0", "signedBy": "Ana Lopez", "cardToken": "tok_visa", "agree": "yes"})
        assert done.status == 201 and "is set up" in done.text, (done.status, done.text[:500])
        created = events.wait_for("plans.plan.created.v1", clinic_id, lambda b: b["patientId"] == patient)[0]
        saved = events.wait_for(METHOD_SAVED, clinic_id, lambda b: b["patientId"] == patient)[0]
        assert saved["planId"] == created["planId"] and saved["autoCharge"]["channel"] == "portal", saved
        active = wait_plan(clinic_id, created["planId"], lambda p: p["status"] == "ACTIVE",
                           "the card saved on the enrolment page did not take the down payment")
    assert active["paymentMethodId"] == saved["paymentMethodId"] and active["autoPayEnabled"], active
    assert active["signedBy"] == "Ana Lopez" and active["agreementSHA256"], active
    down = active["downPayment"]["amount"]
    assert down >= 18_000, active  # the policy's 20 % at least
    assert balance(clinic_id, patient) == 90_000 - down
    assert_books_balanced(clinic_id, {patient: 90_000 - down})

    # The link stays the patient's copy of what they signed.
    signed = pdf_text(pdf_bytes(offer["link"] + "/agreement.pdf"))
    assert "Signed by" in signed and "Ana Lopez" in signed and active["planNumber"] in signed, signed

    # The link is single use; a made-up one is unknown.
    again = open_link(offer["link"])
    assert again.status == 410 and "already used" in again.text, (again.status, again.text[:300])
    assert open_link(f"http://127.0.0.1/plan-offers/{'x' * 43}").status == 404
    # While the plan runs, payments collects nothing of it outside the plan (so no new balance due, no new offer).
    shown = account(clinic_id, patient)
    assert shown["financedByPlans"] == [usd(90_000 - down)] and shown["collectible"] == [usd(0)], shown
