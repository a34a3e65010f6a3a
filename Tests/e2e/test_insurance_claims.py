"""Insurance from the clinic's events to the payer's answers, driven as the clinic's systems and an insurance
specialist would: the practice, providers, patients, coverages, appointments and charges come as events from
an outside publisher (pika); eligibility goes out as a 270 and comes back as a 271; claims are built, scrubbed
(one held for a person, one fixed automatically), written as 837D/837P, sent to the embedded clearinghouse,
and its 999 and 277CA are read — one claim rejected, fixed by a rule, resubmitted and accepted. Every 837P,
999 and 277CA the suite wrote must pass pyx12."""
import uuid

import pytest

from conftest import audit_verify, sql, wait_until
from insurance_helpers import (
    ACCEPTED, ACKNOWLEDGED, ALERT, ESTIMATED, HELD, REJECTED, SCHEDULED, SUBMITTED, call, charge, claims, cover,
    coverage_body, dental_benefits, publish_coverage, pyx12_errors, setup_clinic, visit, wait_claim_status, x12_files,
    x12_text)
from payments_helpers import EventWatcher, publish, usd

EVENTS = (SUBMITTED, ACCEPTED, ACKNOWLEDGED, REJECTED, HELD, ESTIMATED, ALERT)


def patient(tag):
    return f"pat-ins-{tag}-{uuid.uuid4().hex[:6]}"


def test_claims_are_scrubbed_submitted_acknowledged_and_a_rejection_is_fixed(publisher, clinic_id, tmp_path):
    clean, sloppy, toothless, dotted, medical = (patient(t) for t in ("clean", "sloppy", "tooth", "icd", "med"))
    setup_clinic(publisher, clinic_id, [clean, sloppy, toothless, dotted, medical])
    cover(publisher, clinic_id, coverage_body(clean, "W100200300"))
    # The clinic typed the card's id with a dash and in lower case; the payer knows it as W200300400.
    cover(publisher, clinic_id, coverage_body(sloppy, "w200-300400"))
    cover(publisher, clinic_id, coverage_body(toothless, "W300400500"))
    cover(publisher, clinic_id, coverage_body(dotted, "W400500600"))
    cover(publisher, clinic_id, coverage_body(medical, "M500600700", kind="medical", payer_id="87726",
                                              benefits={"deductible": usd(0), "copay": usd(2_500), "coinsurancePercent": 20}))

    with EventWatcher(*EVENTS) as watcher:
        visit(publisher, clinic_id, clean, [charge(clean, 9_500, "D1110"), charge(clean, 6_000, "D0120")])
        visit(publisher, clinic_id, sloppy, [charge(sloppy, 9_500, "D1110")])
        visit(publisher, clinic_id, toothless, [charge(toothless, 18_500, "D2392", surfaces=["M", "O"])])
        visit(publisher, clinic_id, dotted, [charge(dotted, 18_500, "D2392", tooth="30", surfaces=["M", "O"],
                                                    diagnoses=["K02.52"])])
        visit(publisher, clinic_id, medical, [charge(medical, 14_000, "99213", system="CPT", diagnoses=["J06.9"])])

        # The clean claim goes out, the 999 accepts it, the payer's 277CA takes it into adjudication.
        first = wait_claim_status(clinic_id, clean, "acknowledged")
        assert [line["procedure"]["code"] for line in first["lines"]] == ["D0120", "D1110"] or \
            sorted(line["procedure"]["code"] for line in first["lines"]) == ["D0120", "D1110"]
        assert first["totalCharged"] == usd(15_500)
        assert [h["to"] for h in first["history"]] == ["draft", "submitted", "accepted", "acknowledged"]
        assert first["payerClaimNumber"]
        submitted = watcher.wait_for(SUBMITTED, clinic_id, where=lambda e: e["claimId"] == first["claimId"])[0]
        # Preventive and diagnostic at 100 %, no deductible on them: the payer is expected to pay it all.
        assert submitted["billed"] == usd(15_500) and submitted["expectedInsurancePortion"] == usd(15_500)
        watcher.wait_for(ACCEPTED, clinic_id, where=lambda e: e["claimId"] == first["claimId"])
        watcher.wait_for(ACKNOWLEDGED, clinic_id, where=lambda e: e["claimId"] == first["claimId"])

        # The sloppy member id: rejected by the payer's 277CA, fixed by a rule, resubmitted once, accepted.
        fixed = wait_claim_status(clinic_id, sloppy, "acknowledged")
        assert [h["to"] for h in fixed["history"]] == [
            "draft", "submitted", "accepted", "rejected", "corrected", "resubmitted", "accepted", "acknowledged"]
        assert fixed["parties"]["coverage"]["memberId"] == "W200300400"
        assert fixed["autoFixedCauses"] == ["member_id_format"]
        rejection = watcher.wait_for(REJECTED, clinic_id, where=lambda e: e["claimId"] == fixed["claimId"])[0]
        assert rejection["source"] == "277CA" and rejection["resubmitting"] is True
        assert rejection["reasons"][0]["code"] == "member_id_format" and rejection["reasons"][0]["location"] == "2010BA NM109"
        assert len(watcher.events(SUBMITTED, clinic_id, where=lambda e: e["claimId"] == fixed["claimId"])) == 2

        # No tooth on a filling: the scrubber holds it, and says so in words.
        held = wait_claim_status(clinic_id, toothless, "held")
        assert any(f["code"].startswith("tooth") and not f["fixable"] for f in held["findings"]), held["findings"]
        assert held["claimId"] in [c["claim"]["claimId"] for c in claims(clinic_id, status="held")]
        event = watcher.wait_for(HELD, clinic_id, where=lambda e: e["claimId"] == held["claimId"])[0]
        assert event["findings"] and "tooth" in event["findings"][0]["message"].lower()

        # A diagnosis written with its dot: fixed automatically (X12 carries ICD-10 without it) and audited.
        dotted_claim = wait_claim_status(clinic_id, dotted, "acknowledged")
        assert dotted_claim["diagnoses"] == ["K0252"]
        assert sql(f"SELECT count(*) FROM insurance.audit_log WHERE clinic_id = '{clinic_id}' AND action = 'claim.autofixed' "
                   f"AND object_id = '{dotted_claim['claimId']}'") != "0"

        # The medical visit goes out as an 837P and is acknowledged too.
        medical_claim = wait_claim_status(clinic_id, medical, "acknowledged")
        assert medical_claim["kind"] == "medical"

        # A person adds the tooth: the claim is scrubbed again and goes out in the same request.
        answer = call("PUT", f"/v1/claims/{held['claimId']}", clinic_id,
                      body={"lines": [{"chargeId": held["lines"][0]["chargeId"], "tooth": "30"}], "note": "from the chart"})
        assert answer.status == 200, answer.text
        assert answer.body["claim"]["status"] == "resubmitted"
        wait_claim_status(clinic_id, toothless, "acknowledged")

    # pyx12 finds nothing wrong in any 837P, 999 or 277CA the suite wrote for this clinic.
    files = x12_files(clinic_id)
    checked = 0
    for file in files:
        text = x12_text(clinic_id, file["fileId"])
        if file["transactionSet"] in ("999", "277") or (file["transactionSet"] == "837" and "005010X222A1" in text):
            assert pyx12_errors(text, tmp_path, f"{file['fileId']}.x12") == [], (file, text)
            checked += 1
    assert checked >= 6, files
    # Every outbound file went out; nothing inbound was held or unmatched.
    assert {f["status"] for f in files if f["direction"] == "out"} == {"sent"}, files
    assert {f["status"] for f in files if f["direction"] == "in"} == {"processed"}, files
    # The claim's own 837 is served, with its CLM01.
    answer = call("GET", f"/v1/claims/{first['claimId']}/x12", clinic_id)
    assert answer.status == 200 and f"CLM*{first['claimId']}*155*" in answer.text
    audit_verify("insurance")


def test_eligibility_before_the_visit_estimates_its_work_and_alerts_staff(publisher, clinic_id):
    covered, lapsed = patient("elig"), patient("lapsed")
    setup_clinic(publisher, clinic_id, [covered, lapsed])
    benefits = dental_benefits()
    benefits["annualMaximum"] = usd(50_000)
    benefits["annualMaximumUsed"] = usd(45_000)
    cover(publisher, clinic_id, coverage_body(covered, "E100200300", benefits=benefits))
    cover(publisher, clinic_id, coverage_body(lapsed, "E900800700", termination="2026-03-31"))

    with EventWatcher(*EVENTS) as watcher:
        appointment = f"appt-{uuid.uuid4().hex[:8]}"
        planned = [{"procedure": {"code": "D2740", "codeSystem": "CDT", "tooth": "19"}, "fee": usd(120_000)}]
        publish(publisher, SCHEDULED, clinic_id, {
            "appointmentId": appointment, "patientId": covered, "providerId": "prov-1", "startsAt": "2026-12-01T15:30:00Z",
            "durationMinutes": 60, "plannedProcedures": planned})
        estimate = watcher.wait_for(ESTIMATED, clinic_id, where=lambda e: e.get("appointmentId") == appointment)[0]
        # A crown is major work (50 %) after the $50 deductible: $575.00 needed, but only $50.00 of the
        # annual maximum is left — the payer pays $50.00, the patient the rest.
        line = estimate["lines"][0]
        assert line["primaryInsurance"] == usd(5_000) and line["patientPortion"] == usd(115_000), line
        reasons = {r["reason"] for r in line["reductions"]}
        assert {"deductible", "coinsurance", "annual_maximum"} <= reasons, line["reductions"]
        alert = watcher.wait_for(ALERT, clinic_id, where=lambda e: e["patientId"] == covered)[0]
        assert alert["kind"] == "exceeds_remaining" and alert["remaining"] == usd(5_000) and alert["planned"] == usd(57_500)

        publish(publisher, SCHEDULED, clinic_id, {
            "appointmentId": f"appt-{uuid.uuid4().hex[:8]}", "patientId": lapsed, "providerId": "prov-1",
            "startsAt": "2026-12-01T16:30:00Z", "durationMinutes": 30})
        alert = watcher.wait_for(ALERT, clinic_id, where=lambda e: e["patientId"] == lapsed)[0]
        assert alert["kind"] == "inactive", alert

    # The crown is planned major work: the payer is asked to predetermine it (an 837D without service dates).
    answer = call("POST", f"/v1/estimates/{estimate['estimateId']}/predetermination", clinic_id, body={"providerId": "prov-1"})
    assert answer.status == 201 and answer.body["claim"]["predetermination"] is True, answer.text
    predetermination = answer.body["claim"]["claimId"]
    wait_until(lambda: call("GET", f"/v1/claims/{predetermination}", clinic_id).body["claim"]["status"] == "acknowledged"
               or "not yet", 30, "the predetermination was not acknowledged")
    x12 = call("GET", f"/v1/claims/{predetermination}/x12", clinic_id).text
    clm = next(seg for seg in x12.replace("\n", "").split("~") if seg.startswith("CLM*"))
    assert clm.endswith("*PB") and "DTP*472" not in x12, clm
    again = call("POST", f"/v1/estimates/{estimate['estimateId']}/predetermination", clinic_id, body={"providerId": "prov-1"})
    assert again.body["claim"]["claimId"] == predetermination

    # Both files of each check are kept, and the 271's figures are now the coverage's.
    check_id = sql(f"SELECT check_id FROM insurance.eligibility_checks WHERE clinic_id = '{clinic_id}' AND patient_id = '{covered}'")
    answer = call("GET", f"/v1/eligibility-checks/{check_id}", clinic_id)
    assert answer.status == 200 and answer.body["status"] == "answered", answer.text
    assert answer.body["result"]["active"] is True
    assert "EQ*35" in x12_text(clinic_id, answer.body["requestFileId"])
    assert "EB*" in x12_text(clinic_id, answer.body["responseFileId"])
    coverage = call("GET", f"/v1/patients/{covered}/coverage", clinic_id).body["coverages"][0]
    assert coverage["payerActive"] is True and coverage["benefits"]["annualMaximumUsed"] == usd(45_000)


def test_coverage_with_impossible_benefits_is_dead_lettered_and_refused_over_http(publisher, clinic_id):
    from conftest import dead_letters
    someone = patient("bad")
    body = coverage_body(someone, "B100")
    body["benefits"]["coveragePercentByCategory"]["major"] = 150
    body["benefits"]["annualMaximum"] = usd(-1)
    event_id = publish_coverage(publisher, clinic_id, body)

    def letter():
        return next((d for d in dead_letters("insurance") if d["messageId"] == event_id), None)
    wait_until(lambda: letter() is not None or "not yet", 30, "the impossible coverage was not dead-lettered")
    reason = letter()["reason"]
    assert "must be 0-100" in reason and "must not be negative" in reason, reason
    answer = call("PUT", f"/v1/patients/{someone}/coverage", clinic_id, body=body)
    assert answer.status == 422 and answer.body["error"]["code"] == "coverage_impossible", answer.text
    assert call("PUT", f"/v1/patients/{someone}/coverage", clinic_id, body=body, role="billing_staff").status == 403


@pytest.mark.parametrize("content, problem", [
    ("ISA*this is not an interchange {}~", "not a readable X12 interchange"),
    ("ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*CLINICLEDGER   *261125*1200*^*00501*000000001*0*T*:~"
     "GS*HN*CLEARINGHOUSE*CLINICLEDGER*20261125*1200*1*X*005010X214~ST*277*0001*005010X214~BHT*0085*08*{}*20261125*1200*TH~"
     "SE*9*0001~GE*1*1~IEA*1*000000001~", "SE01"),
])
def test_unreadable_answers_are_kept_and_held_with_the_reason(clinic_id, content, problem):
    content = content.format(uuid.uuid4().hex)
    answer = call("POST", "/v1/x12-files", clinic_id, body={"content": content})
    assert answer.status == 201, answer.text
    assert answer.body["status"] == "held" and problem in answer.body["problem"], answer.body
    assert answer.body["fileId"] in [f["fileId"] for f in x12_files(clinic_id, status="held")]
    again = call("POST", "/v1/x12-files", clinic_id, body={"content": content})
    assert again.status == 422 and again.body["error"]["code"] == "file_already_received"
