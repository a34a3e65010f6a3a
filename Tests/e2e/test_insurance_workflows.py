"""Insurance as its users work with it, beyond the claim pipeline itself: what a patient may see of its own
coverage, estimates and claims (and what staff of this clinic or another see); treatment estimates with a
payer's fee schedule and a secondary coverage (coordination of benefits), accepted by the patient and financed
by a payment plan; a code suggested from the practice's fee schedule and accepted by a person; a 999 rejection
and a 277CA naming an unknown claim handed in by a person; the correction of an acknowledged claim (a
replacement, frequency 7); the daily batch of charges without an appointment; and a claim held until the
practice's billing identity arrives. The clinic's facts come as events from an outside publisher, people act
over HTTP with a token of their role, and time moves only with the service clock."""
import base64
import json
import random
import uuid

from conftest import sql, token, wait_until
from insurance_helpers import (
    ACCEPTED, ACKNOWLEDGED, ESTIMATE_ACCEPTED, ESTIMATED, HELD, REJECTED, SUBMITTED, TREATMENT_PLAN, call, charge,
    claim_by_id, claim_of, claim_transaction, claims, cover, coverage_body, paused_exchange, let_job_run, post_charges,
    publish_practice, rejecting_999, setup_clinic, visit, wait_claim_id_status, wait_claim_status, x12_files,
    x12_segments, x12_text)
from payments_helpers import EventWatcher, moved_clock, publish, q, usd, wait_consumed

EVENTS = (SUBMITTED, ACCEPTED, ACKNOWLEDGED, REJECTED, HELD, ESTIMATED, ESTIMATE_ACCEPTED)


def patient(tag):
    return f"pat-wf-{tag}-{uuid.uuid4().hex[:6]}"


def wait_claim_exists(clinic, patient_id, timeout=60):
    wait_until(lambda: claim_of(clinic, patient_id) is not None or "no claim yet", timeout,
               f"no claim was built for {patient_id}")
    return claim_of(clinic, patient_id)


def statuses(claim):
    return [h["to"] for h in claim["history"]]


def subject_of(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def reductions(line):
    return [(r["reason"], r["amount"]["amount"], r["payerId"]) for r in line["reductions"]]


def money_of(line):
    return {k: line[k]["amount"] for k in ("fee", "allowed", "primaryInsurance", "secondaryInsurance", "patientPortion")}


def control_number():
    """An ISA13/GS06 for a file a test writes by hand: far above the numbers the suite itself gives out."""
    return random.randint(900_000_000, 999_999_999)


# ---------------------------------------------------------------- 1. who sees what


def test_a_patient_sees_only_its_own_coverage_estimates_and_claims(publisher, clinic_id):
    own, other = patient("own"), patient("other")
    setup_clinic(publisher, clinic_id, [own, other])
    own_coverage = cover(publisher, clinic_id, coverage_body(own, "P100200300"))
    cover(publisher, clinic_id, coverage_body(other, "P200300400"))
    visit(publisher, clinic_id, own, [charge(own, 6_000, "D0120")])
    visit(publisher, clinic_id, other, [charge(other, 9_500, "D1110")])
    own_claim = wait_claim_exists(clinic_id, own)
    other_claim = wait_claim_exists(clinic_id, other)
    filling = [{"procedure": {"code": "D2392", "codeSystem": "CDT", "tooth": "30", "surfaces": ["M", "O"]}, "fee": usd(18_500)}]
    cleaning = [{"procedure": {"code": "D1110", "codeSystem": "CDT"}, "fee": usd(9_500)}]
    made = call("POST", "/v1/estimates", clinic_id, body={"patientId": own, "procedures": filling}, role="billing_staff")
    assert made.status == 201, made.text
    own_estimate = made.body["estimate"]
    # Basic work at 80 % after the $50.00 deductible: 80 % of $135.00 = $108.00; the patient pays $77.00.
    assert own_estimate["insurancePortion"] == usd(10_800) and own_estimate["patientPortion"] == usd(7_700), own_estimate
    made = call("POST", "/v1/estimates", clinic_id, body={"patientId": other, "procedures": cleaning}, role="billing_staff")
    assert made.status == 201, made.text
    other_estimate = made.body["estimate"]

    mine = token("patient", clinic_id, patient=own)

    def as_patient(method, path, body=None):
        return call(method, path, clinic_id, body=body, bearer=mine)

    # Its own coverage, as the clinic sent it, with the benefits estimates use.
    answer = as_patient("GET", f"/v1/patients/{own}/coverage")
    assert answer.status == 200, answer.text
    assert [c["coverage"]["coverageId"] for c in answer.body["coverages"]] == [own_coverage["coverageId"]]
    shown = answer.body["coverages"][0]
    assert shown["coverage"]["memberId"] == "P100200300" and shown["coverage"]["payer"]["payerId"] == "60054"
    assert shown["benefits"]["annualMaximum"] == usd(150_000) and shown["benefits"]["deductible"] == usd(5_000)
    # Its own estimates (without naming itself, or naming itself), its own claims — nobody else's.
    answer = as_patient("GET", "/v1/estimates")
    assert answer.status == 200, answer.text
    assert [e["estimate"]["estimateId"] for e in answer.body["data"]] == [own_estimate["estimateId"]]
    assert answer.body["data"][0]["estimate"]["patientPortion"] == usd(7_700)
    assert as_patient("GET", f"/v1/estimates?patientId={own}").body["data"] == answer.body["data"]
    answer = as_patient("GET", f"/v1/estimates/{own_estimate['estimateId']}")
    assert answer.status == 200 and answer.body["estimate"]["insurancePortion"] == usd(10_800), answer.text
    answer = as_patient("GET", "/v1/claims")
    assert answer.status == 200, answer.text
    assert [c["claim"]["claimId"] for c in answer.body["data"]] == [own_claim["claimId"]]
    assert answer.body["data"][0]["claim"]["totalCharged"] == usd(6_000)
    assert answer.body["data"][0]["transaction"] == "837D"
    # Asking for the other patient's claims still lists only its own.
    assert [c["claim"]["claimId"] for c in as_patient("GET", f"/v1/claims?patientId={other}").body["data"]] == [own_claim["claimId"]]
    answer = as_patient("GET", f"/v1/claims/{own_claim['claimId']}")
    assert answer.status == 200 and answer.body["claim"]["patientId"] == own, answer.text

    # The other patient's coverage, estimates and claim do not exist for it.
    for path in (f"/v1/patients/{other}/coverage", f"/v1/estimates?patientId={other}",
                 f"/v1/estimates/{other_estimate['estimateId']}", f"/v1/claims/{other_claim['claimId']}"):
        answer = as_patient("GET", path)
        assert answer.status == 404 and answer.body["error"]["code"] == "resource_missing", (path, answer.status, answer.text)
    # Nor may it change coverage, estimate, or read the X12 and the work queue: staff's work.
    assert as_patient("PUT", f"/v1/patients/{own}/coverage", own_coverage).status == 403
    assert as_patient("POST", "/v1/estimates", {"patientId": own, "procedures": cleaning}).status == 403
    for path in (f"/v1/claims/{own_claim['claimId']}/x12", "/v1/x12-files", "/v1/work-queue"):
        assert as_patient("GET", path).status == 403, path
    # Nothing it did changed what is stored.
    assert sql(f"SELECT count(*) FROM insurance.estimates WHERE clinic_id = {q(clinic_id)}") == "2"

    # Staff of the clinic see every patient's.
    for role in ("insurance_specialist", "billing_staff"):
        answer = call("GET", "/v1/claims?limit=100", clinic_id, role=role)
        assert answer.status == 200, answer.text
        assert {c["claim"]["claimId"] for c in answer.body["data"]} == {own_claim["claimId"], other_claim["claimId"]}, role
        for someone, estimate in ((own, own_estimate), (other, other_estimate)):
            answer = call("GET", f"/v1/patients/{someone}/coverage", clinic_id, role=role)
            assert answer.status == 200 and len(answer.body["coverages"]) == 1, (role, answer.text)
            answer = call("GET", f"/v1/estimates?patientId={someone}", clinic_id, role=role)
            assert [e["estimate"]["estimateId"] for e in answer.body["data"]] == [estimate["estimateId"]], (role, answer.text)
        assert call("GET", f"/v1/claims/{other_claim['claimId']}", clinic_id, role=role).status == 200

    # Another clinic's staff, and a patient of the same id in another clinic, see none of it.
    elsewhere = f"{clinic_id}-elsewhere"
    for bearer in (token("insurance_specialist", elsewhere), token("billing_staff", elsewhere),
                   token("patient", elsewhere, patient=own)):
        answer = call("GET", "/v1/claims?limit=100", elsewhere, bearer=bearer)
        assert answer.status == 200 and answer.body["data"] == [], answer.text
        answer = call("GET", f"/v1/patients/{own}/coverage", elsewhere, bearer=bearer)
        assert answer.status == 200 and answer.body["coverages"] == [], answer.text
        answer = call("GET", f"/v1/estimates?patientId={own}", elsewhere, bearer=bearer)
        assert answer.status == 200 and answer.body["data"] == [], answer.text
        for path in (f"/v1/claims/{own_claim['claimId']}", f"/v1/estimates/{own_estimate['estimateId']}"):
            assert call("GET", path, elsewhere, bearer=bearer).status == 404, path


# ---------------------------------------------------------------- 2. estimates, coordination of benefits, acceptance, a plan


CROWN_PLAN = [
    {"procedure": {"code": "D2392", "codeSystem": "CDT", "tooth": "30", "surfaces": ["M", "O"],
                   "description": "Resin composite - two surfaces, posterior"}, "fee": usd(18_500)},
    {"procedure": {"code": "D0120", "codeSystem": "CDT", "description": "Periodic oral evaluation"}, "fee": usd(6_000)},
    {"procedure": {"code": "D2740", "codeSystem": "CDT", "tooth": "19", "description": "Crown - porcelain/ceramic"},
     "fee": usd(120_000)},
]


def test_estimates_with_a_fee_schedule_and_a_secondary_coverage_are_accepted_and_financed(publisher, clinic_id):
    someone = patient("cob")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "E100200300"))  # Aetna Dental 60054: the suite's usual benefits
    treatment_plan = f"tp-{uuid.uuid4().hex[:8]}"

    with EventWatcher(*EVENTS) as watcher:
        # The clinic proposes the plan: insurance estimates it with the primary alone, at the full fees.
        publish(publisher, TREATMENT_PLAN, clinic_id, {
            "treatmentPlanId": treatment_plan, "patientId": someone, "providerId": "prov-1", "items": CROWN_PLAN,
            "total": usd(144_500)})
        proposed = watcher.wait_for(ESTIMATED, clinic_id, where=lambda e: e.get("treatmentPlanId") == treatment_plan)[0]
        assert proposed["patientId"] == someone and proposed.get("appointmentId") is None
        filling, exam, crown = proposed["lines"]
        # The filling is basic work (80 %) and pays the $50.00 deductible first: 80 % of $135.00.
        assert money_of(filling) == {"fee": 18_500, "allowed": 18_500, "primaryInsurance": 10_800, "secondaryInsurance": 0,
                                     "patientPortion": 7_700}, filling
        assert reductions(filling) == [("deductible", 5_000, "60054"), ("coinsurance", 2_700, "60054")], filling
        # The exam is diagnostic: 100 %, no deductible.
        assert money_of(exam) == {"fee": 6_000, "allowed": 6_000, "primaryInsurance": 6_000, "secondaryInsurance": 0,
                                  "patientPortion": 0}, exam
        assert reductions(exam) == [], exam
        # The crown is major work (50 %); the deductible is met already.
        assert money_of(crown) == {"fee": 120_000, "allowed": 120_000, "primaryInsurance": 60_000, "secondaryInsurance": 0,
                                   "patientPortion": 60_000}, crown
        assert reductions(crown) == [("coinsurance", 60_000, "60054")], crown
        assert crown["procedure"] == CROWN_PLAN[2]["procedure"]
        assert (proposed["totalFee"], proposed["insurancePortion"], proposed["patientPortion"]) == (
            usd(144_500), usd(76_800), usd(67_700)), proposed

        # The practice owner enters what Aetna allows; the patient's second plan (Delta Dental) is secondary.
        schedule = {"payerId": "60054", "entries": [
            {"code": "D2392", "description": "Resin composite - two surfaces, posterior", "fee": usd(15_000)},
            {"code": "D2740", "description": "Crown - porcelain/ceramic", "fee": usd(100_000)}]}
        assert call("PUT", "/v1/fee-schedules/60054", clinic_id, body=schedule, role="billing_staff").status == 403
        answer = call("PUT", "/v1/fee-schedules/60054", clinic_id, body=schedule, role="admin")
        assert answer.status == 200 and answer.body == schedule, answer.text
        assert call("GET", "/v1/fee-schedules/60054", clinic_id, role="billing_staff").body["entries"] == schedule["entries"]
        secondary = coverage_body(someone, "S900800700", payer_id="61101", priority="secondary", benefits={
            "annualMaximum": usd(30_000), "annualMaximumUsed": usd(0), "deductible": usd(2_500), "deductibleMet": usd(0),
            "coveragePercentByCategory": {"diagnostic": 100, "preventive": 100, "basic": 50, "major": 30}})
        secondary["payer"]["name"] = "Delta Dental"
        cover(publisher, clinic_id, secondary)
        shown = call("GET", f"/v1/patients/{someone}/coverage", clinic_id).body["coverages"]
        assert [c["coverage"]["priority"] for c in shown] == ["primary", "secondary"], shown

        answer = call("POST", "/v1/estimates", clinic_id, role="billing_staff", body={
            "patientId": someone, "procedures": CROWN_PLAN, "treatmentPlanId": treatment_plan})
        assert answer.status == 201, answer.text
        estimate = answer.body["estimate"]
        assert answer.body.get("acceptedAt") is None
        filling, exam, crown = estimate["lines"]
        # Filling: Aetna allows $150.00 ($35.00 written off); it pays 80 % of $100.00 after its $50.00 deductible
        # = $80.00. Delta as primary would pay 50 % of $125.00 after its $25.00 deductible = $62.50, no more than
        # the $70.00 Aetna left: $62.50. The patient pays $7.50.
        assert money_of(filling) == {"fee": 18_500, "allowed": 15_000, "primaryInsurance": 8_000, "secondaryInsurance": 6_250,
                                     "patientPortion": 750}, filling
        assert reductions(filling) == [("fee_schedule", 3_500, "60054"), ("deductible", 5_000, "60054"),
                                       ("coinsurance", 2_000, "60054"), ("deductible", 2_500, "61101"),
                                       ("coinsurance", 6_250, "61101")], filling
        # Exam: Aetna pays it all; nothing is left for Delta.
        assert money_of(exam) == {"fee": 6_000, "allowed": 6_000, "primaryInsurance": 6_000, "secondaryInsurance": 0,
                                  "patientPortion": 0}, exam
        assert reductions(exam) == [], exam
        # Crown: Aetna allows $1,000.00 and pays 50 % = $500.00. Delta would pay 30 % = $300.00, but only $237.50
        # of its $300.00 annual maximum is left after the filling: $237.50. The patient pays $262.50.
        assert money_of(crown) == {"fee": 120_000, "allowed": 100_000, "primaryInsurance": 50_000, "secondaryInsurance": 23_750,
                                   "patientPortion": 26_250}, crown
        assert reductions(crown) == [("fee_schedule", 20_000, "60054"), ("coinsurance", 50_000, "60054"),
                                     ("coinsurance", 70_000, "61101"), ("annual_maximum", 6_250, "61101")], crown
        for line in estimate["lines"]:
            # Every cent accounted for: write-off + both payers + the patient = the fee.
            assert (line["fee"]["amount"] - line["allowed"]["amount"]) + line["primaryInsurance"]["amount"] \
                + line["secondaryInsurance"]["amount"] + line["patientPortion"]["amount"] == line["fee"]["amount"]
        assert (estimate["totalFee"], estimate["insurancePortion"], estimate["patientPortion"]) == (
            usd(144_500), usd(94_000), usd(27_000)), estimate
        published = watcher.wait_for(ESTIMATED, clinic_id, where=lambda e: e["estimateId"] == estimate["estimateId"])[0]
        # (calculatedAt to the millisecond: see test_an_estimate_reads_the_same_in_the_api_and_in_its_event)
        assert {**published, "calculatedAt": None} == {**estimate, "calculatedAt": None}

        # The patient reads it and accepts it with its own token; another patient cannot even see it.
        mine = token("patient", clinic_id, patient=someone)
        shown = call("GET", "/v1/estimates", clinic_id, bearer=mine).body["data"][0]["estimate"]
        assert {**shown, "calculatedAt": None} == {**estimate, "calculatedAt": None}
        stranger = token("patient", clinic_id, patient=patient("stranger"))
        answer = call("POST", f"/v1/estimates/{estimate['estimateId']}/accept", clinic_id, bearer=stranger)
        assert answer.status == 404, answer.text
        answer = call("POST", f"/v1/estimates/{estimate['estimateId']}/accept", clinic_id, bearer=mine)
        assert answer.status == 200, answer.text
        accepted_at, accepted_by = answer.body["acceptedAt"], answer.body["acceptedBy"]
        assert accepted_at and accepted_by == subject_of(mine), answer.body
        event = watcher.wait_for(ESTIMATE_ACCEPTED, clinic_id, where=lambda e: e["estimateId"] == estimate["estimateId"])[0]
        assert event == {
            "estimateId": estimate["estimateId"], "patientId": someone, "treatmentPlanId": treatment_plan,
            "treatmentType": "major", "totalFee": usd(144_500), "insurancePortion": usd(94_000),
            "patientPortion": usd(27_000), "acceptedBy": accepted_by, "acceptedAt": event["acceptedAt"]}, event

        # Accepting again (another request, by the patient or the desk) changes nothing and announces nothing.
        for bearer in (mine, token("billing_staff", clinic_id)):
            again = call("POST", f"/v1/estimates/{estimate['estimateId']}/accept", clinic_id, bearer=bearer)
            assert again.status == 200 and (again.body["acceptedAt"], again.body["acceptedBy"]) == (accepted_at, accepted_by), again.text
        assert sql(f"SELECT count(*) FROM insurance.audit_log WHERE clinic_id = {q(clinic_id)} AND action = 'estimate.accepted' "
                   f"AND object_id = {q(estimate['estimateId'])}") == "1"
        wait_until(lambda: sql("SELECT count(*) FROM insurance.outbox WHERE routing_key = 'insurance.estimate.accepted.v1'") == "0"
                   or "not yet", 30, "insurance did not publish its accepted estimates")
        assert len(watcher.events(ESTIMATE_ACCEPTED, clinic_id, where=lambda e: e["estimateId"] == estimate["estimateId"])) == 1

    # Plans heard of the acceptance: the desk finances the patient portion.
    from plans_helpers import call as plans_call
    wait_until(lambda: sql(f"SELECT count(*) FROM plans.accepted_estimates WHERE clinic_id = {q(clinic_id)} "
                           f"AND estimate_id = {q(estimate['estimateId'])}") == "1" or "not yet", 30,
               "plans did not record the accepted estimate")
    answer = plans_call("POST", "", clinic_id, {"patientId": someone, "estimateId": estimate["estimateId"],
                                                "numberOfPayments": 3, "frequency": "MONTHLY"}, key="new")
    assert answer.status == 201, answer.text
    created = answer.body
    assert created["totalAmount"] == usd(27_000) == estimate["patientPortion"], created
    assert created["estimateId"] == estimate["estimateId"] and created["treatmentPlanId"] == treatment_plan, created
    assert created["treatmentType"] == "major", created
    # The policy's least down payment (20 %), the rest in three installments.
    assert created["downPayment"] == usd(5_400) and created["financedAmount"] == usd(21_600), created


def test_an_estimate_reads_the_same_in_the_api_and_in_its_event(publisher, clinic_id):
    """The same estimate, to the millisecond, in the answer to POST /v1/estimates, in GET /v1/estimates/{id} and
    in insurance.estimate.calculated.v1. (A Timestamp written, read back and written again must not move: about
    one in four to one in two millisecond values did, so thirty estimates show it.)"""
    someone = patient("stamp")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "C100200300"))
    made = []
    with EventWatcher(ESTIMATED) as watcher:
        for _ in range(30):
            answer = call("POST", "/v1/estimates", clinic_id, role="billing_staff", body={"patientId": someone, "procedures": [
                {"procedure": {"code": "D0120", "codeSystem": "CDT"}, "fee": usd(6_000)}]})
            assert answer.status == 201, answer.text
            made.append(answer.body["estimate"])
        differing = []
        for estimate in made:
            published = watcher.wait_for(ESTIMATED, clinic_id, where=lambda e: e["estimateId"] == estimate["estimateId"])[0]
            stored = call("GET", f"/v1/estimates/{estimate['estimateId']}", clinic_id, role="billing_staff").body["estimate"]
            assert {**published, "calculatedAt": None} == {**estimate, "calculatedAt": None} == {**stored, "calculatedAt": None}
            if len({estimate["calculatedAt"], published["calculatedAt"], stored["calculatedAt"]}) > 1:
                differing.append((estimate["estimateId"], estimate["calculatedAt"], published["calculatedAt"], stored["calculatedAt"]))
    assert differing == [], f"calculatedAt (POST answer, event, GET) differs for {len(differing)} of 30: {differing}"


# ---------------------------------------------------------------- 3. a code suggested from the practice's fee schedule


def test_a_malformed_code_is_held_with_a_suggestion_that_a_person_accepts(publisher, clinic_id):
    someone = patient("suggest")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "M700800900", kind="medical", payer_id="87726",
                                              benefits={"deductible": usd(0), "copay": usd(2_500), "coinsurancePercent": 20}))
    practice_fees = {"payerId": "practice", "entries": [
        {"code": "D1110", "description": "Prophylaxis - adult", "fee": usd(9_500)},
        {"code": "D0120", "description": "Periodic oral evaluation - established patient", "fee": usd(6_000)},
        {"code": "99213", "description": "Office visit - established patient, low complexity", "fee": usd(14_000)},
        {"code": "99214", "description": "Office visit - established patient, moderate complexity", "fee": usd(19_000)}]}
    answer = call("PUT", "/v1/fee-schedules/practice", clinic_id, body=practice_fees, role="admin")
    assert answer.status == 200, answer.text
    # "9921A" is the shape payments takes for CPT (four digits and a capital) but no CPT code: CPT's fifth
    # character is a digit or F, T, U, M. The words are the practice's own for 99213.
    body = charge(someone, 14_000, "9921A", system="CPT", diagnoses=["J06.9"])
    body["procedure"]["description"] = "Office visit, established patient, low complexity"

    with EventWatcher(*EVENTS) as watcher:
        visit(publisher, clinic_id, someone, [body])
        held = wait_claim_status(clinic_id, someone, "held")
        assert held["kind"] == "medical" and held["diagnoses"] == ["J069"], held
        assert [(f["code"], f["location"], f["fixable"]) for f in held["findings"] if not f["fixable"]] == [
            ("code_invalid", "lines[0].procedure.code", False)], held["findings"]
        assert any("'9921A' is not a CPT code" in f["message"] for f in held["findings"]), held["findings"]
        line = held["lines"][0]
        assert line["procedure"]["code"] == "9921A" and line["chargeId"] == body["chargeId"]
        assert line["suggestion"] == {
            "code": "99213",
            "reason": "description 'Office visit, established patient, low complexity' matches fee schedule 99213 "
                      "'Office visit - established patient, low complexity'"}, line
        event = watcher.wait_for(HELD, clinic_id, where=lambda e: e["claimId"] == held["claimId"])[0]
        assert [f["code"] for f in event["findings"]] == ["code_invalid"], event
        assert watcher.events(SUBMITTED, clinic_id, where=lambda e: e["claimId"] == held["claimId"]) == []

        # The insurance specialist takes the suggestion: the code is replaced and the claim goes out at once.
        answer = call("PUT", f"/v1/claims/{held['claimId']}", clinic_id,
                      body={"lines": [{"chargeId": body["chargeId"], "acceptSuggestion": True}], "note": "as the fee schedule says"})
        assert answer.status == 200, answer.text
        corrected = answer.body["claim"]
        assert corrected["status"] == "resubmitted", corrected
        assert corrected["lines"][0]["procedure"]["code"] == "99213" and corrected["lines"][0].get("suggestion") is None
        assert [f for f in corrected["findings"] if not f["fixable"]] == [], corrected["findings"]
        submitted = watcher.wait_for(SUBMITTED, clinic_id, where=lambda e: e["claimId"] == held["claimId"])[0]
        # A $140.00 visit, the $25.00 co-pay first, then 80 % of $115.00 = $92.00 from the payer.
        assert submitted["billed"] == usd(14_000) and submitted["expectedInsurancePortion"] == usd(9_200), submitted
        assert submitted["chargeIds"] == [body["chargeId"]]

        done = wait_claim_status(clinic_id, someone, "acknowledged")
        assert statuses(done) == ["draft", "held", "corrected", "resubmitted", "accepted", "acknowledged"], done["history"]
        assert done["payerClaimNumber"], done
        watcher.wait_for(ACKNOWLEDGED, clinic_id, where=lambda e: e["claimId"] == held["claimId"])

    sent = call("GET", f"/v1/claims/{done['claimId']}/x12", clinic_id)
    assert sent.status == 200, sent.text
    assert "SV1*HC:99213*140*UN*1***1~" in sent.text and "9921A" not in sent.text, sent.text
    # A line whose code is fine has no suggestion to accept.
    again = call("PUT", f"/v1/claims/{done['claimId']}", clinic_id,
                 body={"lines": [{"chargeId": body["chargeId"], "acceptSuggestion": True}]})
    assert again.status == 400 and "no suggested code" in again.text, again.text
    assert claim_by_id(clinic_id, done["claimId"])["status"] == "acknowledged"


# ---------------------------------------------------------------- 4. a 999 handed in by a person rejects the claim


def test_a_999_handed_in_by_a_person_rejects_the_claim_and_holds_it(publisher, clinic_id, tmp_path):
    from insurance_helpers import pyx12_errors
    someone = patient("reject")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "W999000111"))

    with EventWatcher(*EVENTS) as watcher:
        # The clearinghouse exchange runs every second and reads the simulator's answer (a 999 accepting the
        # 837) in the same transaction that sends the file, so there is never an answer waiting that could be
        # taken away. Instead the exchange is paused (its job's row lock held, as a replica running it would):
        # the 837 is written and waits, nobody has answered it yet, and the clinic's billing office hands in
        # the 999 it received another way (a portal download, say).
        with paused_exchange():
            visit(publisher, clinic_id, someone, [charge(someone, 18_500, "D2392", tooth="30", surfaces=["M", "O"])])
            submitted = wait_claim_status(clinic_id, someone, "submitted")
            claim_id = submitted["claimId"]
            answer = call("GET", f"/v1/claims/{claim_id}/x12", clinic_id)
            assert answer.status == 200, answer.text
            sent_837 = answer.text
            where = claim_transaction(sent_837, claim_id)
            assert where["isa"][13] == f"{int(submitted['interchangeControlNumber']):09d}"
            assert where["gs"][6] == submitted["interchangeControlNumber"]
            assert where["st02"] == submitted["transactionControlNumber"]
            control = control_number()
            rejection = rejecting_999(sent_837, claim_id, control)
            assert pyx12_errors(rejection, tmp_path, "rejecting-999.x12") == [], rejection

            answer = call("POST", "/v1/x12-files", clinic_id, body={"content": rejection})
            assert answer.status == 201, answer.text
            assert (answer.body["direction"], answer.body["transactionSet"], answer.body["status"]) == ("in", "999", "processed"), answer.body
            assert answer.body["controlNumber"] == f"{control:09d}" and answer.body.get("problem") is None, answer.body
            uploaded = answer.body["fileId"]

            held = claim_by_id(clinic_id, claim_id)
            assert held["status"] == "held", held
            assert statuses(held) == ["draft", "submitted", "rejected", "held"], held["history"]
            finding = {"code": "syntax_rejected", "location": f"CLM at {where['clm_position']}", "fixable": False,
                       "message": f"999 rejected: one or more segments in error; segment CLM at {where['clm_position']} "
                                  "(loop 2300): segment has data element errors; element 02: invalid character in data element"}
            assert held["findings"] == [finding], held["findings"]

        rejected = watcher.wait_for(REJECTED, clinic_id, where=lambda e: e["claimId"] == claim_id)[0]
        assert rejected["source"] == "999" and rejected["resubmitting"] is False, rejected
        assert rejected["reasons"] == [{k: finding[k] for k in ("code", "message", "location")}], rejected
        event = watcher.wait_for(HELD, clinic_id, where=lambda e: e["claimId"] == claim_id)[0]
        assert [f["code"] for f in event["findings"]] == ["syntax_rejected"], event

        # The exchange carries on: the 837 goes out after all, and the simulator's late "accepted" does not
        # take the claim out of the person's hands.
        out = next(f for f in x12_files(clinic_id) if f["direction"] == "out" and f["controlNumber"] == submitted["interchangeControlNumber"])
        wait_until(lambda: next(f for f in x12_files(clinic_id) if f["fileId"] == out["fileId"])["status"] == "sent" or "pending",
                   30, "the 837 was not sent once the exchange resumed")
        let_job_run("insurance.exchange", passes=2)
        still = claim_by_id(clinic_id, claim_id)
        assert still["status"] == "held" and statuses(still) == ["draft", "submitted", "rejected", "held"], still["history"]
        assert watcher.events(ACCEPTED, clinic_id, where=lambda e: e["claimId"] == claim_id) == []
        assert watcher.events(ACKNOWLEDGED, clinic_id, where=lambda e: e["claimId"] == claim_id) == []
    assert uploaded in [f["fileId"] for f in x12_files(clinic_id, status="processed")]
    # Handing the same file in again applies nothing.
    again = call("POST", "/v1/x12-files", clinic_id, body={"content": rejection})
    assert again.status == 422 and again.body["error"]["code"] == "file_already_received", again.text


def test_an_answer_handed_in_by_another_clinic_does_not_touch_this_clinics_claim(publisher, clinic_id):
    """A person may hand in an answer received another way; the answer is read as the uploader's clinic's.
    Interchange control numbers are one sequence for the installation (guessable), so another clinic's
    insurance specialist must not be able to reject this clinic's claim with a 999 of its own making."""
    someone = patient("tenant")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "T100200300"))
    intruder = f"{clinic_id}-intruder"
    with paused_exchange():  # see test_a_999_handed_in_by_a_person_rejects_the_claim_and_holds_it
        visit(publisher, clinic_id, someone, [charge(someone, 6_000, "D0120")])
        submitted = wait_claim_status(clinic_id, someone, "submitted")
        # Built from the clinic's own 837 for brevity: an intruder needs no more than the GS06 (a small number
        # from one installation-wide sequence) — a 999 with AK9*R and no AK2 rejects every claim of the group.
        forged = rejecting_999(x12_text(clinic_id, next(
            f["fileId"] for f in x12_files(clinic_id)
            if f["direction"] == "out" and f["controlNumber"] == submitted["interchangeControlNumber"])),
            submitted["claimId"], control_number())
        answer = call("POST", "/v1/x12-files", intruder, body={"content": forged})
        assert answer.status == 201, answer.text
        after = claim_by_id(clinic_id, submitted["claimId"])
        assert after["status"] == "submitted", (
            f"a 999 handed in by {intruder} moved {clinic_id}'s claim: {statuses(after)}; the file: {answer.body}")
        # For the intruder's clinic the 999 names a group it never sent: unmatched, in its own work queue.
        assert answer.body["status"] == "unmatched", answer.body
        assert answer.body["fileId"] not in [f["fileId"] for f in x12_files(clinic_id)]
        assert [i["fileId"] for i in call("GET", "/v1/work-queue", intruder).body["data"]] == [answer.body["fileId"]]
    wait_claim_id_status(clinic_id, submitted["claimId"], "acknowledged")


# ---------------------------------------------------------------- 5. a 277CA naming a claim insurance does not know


def test_a_277ca_naming_an_unknown_claim_goes_to_the_work_queue(publisher, clinic_id):
    someone = patient("unknown")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "U100200300"))
    visit(publisher, clinic_id, someone, [charge(someone, 6_000, "D0120")])
    known = wait_claim_status(clinic_id, someone, "acknowledged")
    assert call("GET", "/v1/work-queue", clinic_id).body["data"] == []

    # The payer's 277CA for this clinic's claim, as the suite received it…
    answers = [f for f in x12_files(clinic_id, status="processed") if f["transactionSet"] == "277"]
    assert len(answers) == 1, answers
    original = x12_text(clinic_id, answers[0]["fileId"])
    trn = [s for s in x12_segments(original) if s[0] == "TRN" and s[1] == "2"]
    assert ["TRN", "2", known["claimId"]] in trn, trn
    # …as if it were about a claim insurance never sent (the clearinghouse mixed up its answers).
    unknown = "clm" + "".join(random.choice("bcdfghjklmnpqrstvwxz") for _ in range(24))
    forged = original.replace(known["claimId"], unknown)
    answer = call("POST", "/v1/x12-files", clinic_id, body={"content": forged})
    assert answer.status == 201, answer.text
    assert (answer.body["transactionSet"], answer.body["status"]) == ("277", "unmatched"), answer.body
    assert f"277CA names claim {unknown}" in answer.body["problem"], answer.body
    assert answer.body["fileId"] in [f["fileId"] for f in x12_files(clinic_id, status="unmatched")]

    queue = call("GET", "/v1/work-queue", clinic_id)
    assert queue.status == 200, queue.text
    assert [(i["fileId"], i["kind"], i["reference"]) for i in queue.body["data"]] == [
        (answer.body["fileId"], "277", answers[0]["controlNumber"])], queue.body
    assert queue.body["data"][0]["message"] == \
        f"277CA names claim {unknown}, which insurance does not know", queue.body
    # Staff of another clinic do not see this clinic's work; the known claim is untouched.
    assert call("GET", "/v1/work-queue", f"{clinic_id}-elsewhere").body["data"] == []
    assert call("GET", "/v1/work-queue", clinic_id, role="patient",
                bearer=token("patient", clinic_id, patient=someone)).status == 403
    assert claim_by_id(clinic_id, known["claimId"])["history"] == known["history"]


# ---------------------------------------------------------------- 6. a correction of an acknowledged claim


def test_correcting_an_acknowledged_claim_sends_a_replacement(publisher, clinic_id):
    someone = patient("replace")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "R500600700"))
    body = charge(someone, 18_500, "D2392", tooth="30", surfaces=["M", "O"], diagnoses=["K02.52"])
    visit(publisher, clinic_id, someone, [body])
    first = wait_claim_status(clinic_id, someone, "acknowledged")
    number = first["payerClaimNumber"]
    assert number and first["frequencyCode"] == "1", first
    original = call("GET", f"/v1/claims/{first['claimId']}/x12", clinic_id).text
    assert f"CLM*{first['claimId']}*185***11:B:1*" in original and "REF*F8*" not in original, original

    with EventWatcher(*EVENTS) as watcher:
        # The chart says distal, not mesial: a person corrects the surfaces of the claim the payer already took.
        answer = call("PUT", f"/v1/claims/{first['claimId']}", clinic_id, body={
            "lines": [{"chargeId": body["chargeId"], "surfaces": ["O", "D"]}], "note": "surfaces from the chart"})
        assert answer.status == 200, answer.text
        replacement = answer.body["claim"]
        assert replacement["status"] == "resubmitted" and replacement["frequencyCode"] == "7", replacement
        assert replacement["lines"][0]["procedure"]["surfaces"] == ["O", "D"], replacement["lines"]
        assert replacement["interchangeControlNumber"] != first["interchangeControlNumber"]

        sent = call("GET", f"/v1/claims/{first['claimId']}/x12", clinic_id)
        assert sent.status == 200, sent.text
        segments = x12_segments(sent.text)
        clm = next(s for s in segments if s[0] == "CLM" and s[1] == first["claimId"])
        assert clm[2] == "185" and clm[5] == "11:B:7", clm
        assert ["REF", "F8", number] in segments, sent.text
        # REF*F8 follows its CLM, and the line carries the new surfaces.
        assert segments.index(["REF", "F8", number]) > segments.index(clm)
        assert ["TOO", "JP", "30", "O:D"] in segments, sent.text
        assert sent.headers["content-type"].startswith("application/edi-x12"), sent.headers

        done = wait_claim_status(clinic_id, someone, "acknowledged")
        assert statuses(done)[-5:] == ["acknowledged", "corrected", "resubmitted", "accepted", "acknowledged"], done["history"]
        assert statuses(done) == ["draft", "submitted", "accepted", "acknowledged",
                                  "corrected", "resubmitted", "accepted", "acknowledged"], done["history"]
        assert done["frequencyCode"] == "7" and done["payerClaimNumber"] and done["payerClaimNumber"] != number, done
        resubmitted = watcher.wait_for(SUBMITTED, clinic_id, where=lambda e: e["claimId"] == first["claimId"])[0]
        assert resubmitted["billed"] == usd(18_500) and resubmitted["chargeIds"] == [body["chargeId"]], resubmitted
        acknowledged = watcher.wait_for(ACKNOWLEDGED, clinic_id, where=lambda e: e["claimId"] == first["claimId"])[0]
        assert acknowledged["payerClaimNumber"] == done["payerClaimNumber"], acknowledged
    assert sql(f"SELECT count(*) FROM insurance.audit_log WHERE clinic_id = {q(clinic_id)} AND action = 'claim.corrected' "
               f"AND object_id = {q(first['claimId'])}") == "1"


# ---------------------------------------------------------------- 7. the daily batch of charges without an appointment


def test_a_charge_without_an_appointment_is_claimed_in_the_daily_batch(publisher, clinic_id):
    someone = patient("batch")
    setup_clinic(publisher, clinic_id, [someone])
    cover(publisher, clinic_id, coverage_body(someone, "B100200300"))
    body = charge(someone, 6_000, "D0120")  # no appointment: nothing says when the visit is over
    post_charges(publisher, clinic_id, [body])
    let_job_run("insurance.claims", passes=2)
    assert claims(clinic_id, patient=someone) == []

    with moved_clock() as clock:
        # 23 hours on: still not a claim (INSURANCE_BATCH_AFTER_HOURS is 24).
        clock.advance("23h")
        let_job_run("insurance.claims", passes=2)
        assert claims(clinic_id, patient=someone) == []
        # Past 24 hours: the batch claims it, and it goes all the way.
        clock.advance("2h")
        done = wait_claim_status(clinic_id, someone, "acknowledged")
    assert [line["chargeId"] for line in done["lines"]] == [body["chargeId"]], done["lines"]
    assert done["totalCharged"] == usd(6_000) and done["frequencyCode"] == "1", done
    assert statuses(done) == ["draft", "submitted", "accepted", "acknowledged"], done["history"]
    assert done["payerClaimNumber"], done


# ---------------------------------------------------------------- 8. held until the practice's billing identity arrives


def test_a_claim_waits_for_the_practice_and_goes_out_when_submitted(publisher, clinic_id):
    someone = patient("practice")
    setup_clinic(publisher, clinic_id, [someone], practice=False)  # a new clinic: no clinic.practice.updated.v1 yet
    cover(publisher, clinic_id, coverage_body(someone, "N100200300"))

    with EventWatcher(*EVENTS) as watcher:
        visit(publisher, clinic_id, someone, [charge(someone, 9_500, "D1110")])
        held = wait_claim_status(clinic_id, someone, "held")
        assert [(f["code"], f["location"], f["fixable"]) for f in held["findings"]] == [
            ("practice_missing", "parties.practice", False)], held["findings"]
        assert "practice" in held["findings"][0]["message"] and "clinic.practice.updated.v1" in held["findings"][0]["message"]
        assert held["parties"].get("practice") is None
        event = watcher.wait_for(HELD, clinic_id, where=lambda e: e["claimId"] == held["claimId"])[0]
        assert [f["code"] for f in event["findings"]] == ["practice_missing"], event
        # Submitting before the practice is known keeps it held and says why.
        early = call("POST", f"/v1/claims/{held['claimId']}/submit", clinic_id)
        assert early.status == 422 and early.body["error"]["code"] == "claim_held" and "practice_missing" in early.text, early.text
        assert claim_by_id(clinic_id, held["claimId"])["status"] == "held"

        # The practice-management system sends the practice; the specialist submits the claim.
        wait_consumed(publish_practice(publisher, clinic_id), service="insurance")
        answer = call("POST", f"/v1/claims/{held['claimId']}/submit", clinic_id)
        assert answer.status == 200, answer.text
        sent = answer.body["claim"]
        assert sent["parties"]["practice"]["billingNpi"] == "1245319599", sent["parties"]
        assert [f for f in sent["findings"] if not f["fixable"]] == [], sent["findings"]
        assert sent["frequencyCode"] == "1", sent  # an original claim, not a replacement
        submitted = watcher.wait_for(SUBMITTED, clinic_id, where=lambda e: e["claimId"] == held["claimId"])[0]
        # A cleaning is preventive: 100 %, no deductible.
        assert submitted["billed"] == usd(9_500) and submitted["expectedInsurancePortion"] == usd(9_500), submitted
        done = wait_claim_status(clinic_id, someone, "acknowledged")
        assert done["payerClaimNumber"], done
        watcher.wait_for(ACKNOWLEDGED, clinic_id, where=lambda e: e["claimId"] == held["claimId"])
        assert len(watcher.events(HELD, clinic_id, where=lambda e: e["claimId"] == held["claimId"])) == 1
    assert "NM1*85*2*Springfield Family Dental*****XX*1245319599~" in call("GET", f"/v1/claims/{done['claimId']}/x12", clinic_id).text
    # Never sent before and nothing in it corrected: POST /submit sends it as submitted (ClaimLifecycle has
    # held → submitted for "the data arrived and the claim scrubs clean"), not as a "resubmission" of a claim
    # the payer never saw, and the audit does not say a person corrected it.
    assert sent["status"] == "submitted", f"POST /submit of a never-sent held claim: {statuses(sent)}"
    assert statuses(done) == ["draft", "held", "submitted", "accepted", "acknowledged"], done["history"]
    assert sql(f"SELECT count(*) FROM insurance.audit_log WHERE clinic_id = {q(clinic_id)} AND action = 'claim.corrected' "
               f"AND object_id = {q(done['claimId'])}") == "0"
