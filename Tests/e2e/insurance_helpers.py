"""Helpers of the insurance end-to-end tests: the clinic's facts published as its practice-management system
would (practice, providers, patients, coverages, appointments, charges), insurance's HTTP API with an
insurance specialist's token, and pyx12 run on the X12 the suite wrote."""
import datetime
import io
import uuid
import zoneinfo

from conftest import request, token, wait_until
from payments_helpers import CHARGE, publish, usd, wait_consumed

PRACTICE = "clinic.practice.updated.v1"
PROVIDER = "clinic.provider.updated.v1"
PATIENT = "clinic.patient.registered.v1"
COVERAGE = "clinic.coverage.updated.v1"
SCHEDULED = "clinic.appointment.scheduled.v1"
COMPLETED = "clinic.appointment.completed.v1"
TREATMENT_PLAN = "clinic.treatment-plan.proposed.v1"

SUBMITTED = "insurance.claim.submitted.v1"
ACCEPTED = "insurance.claim.accepted.v1"
ACKNOWLEDGED = "insurance.claim.acknowledged.v1"
REJECTED = "insurance.claim.rejected.v1"
HELD = "insurance.claim.held.v1"
ESTIMATED = "insurance.estimate.calculated.v1"
ESTIMATE_ACCEPTED = "insurance.estimate.accepted.v1"
ALERT = "insurance.coverage.flagged.v1"

# Valid NPIs (Luhn check digit over 80840 + the first nine digits).
BILLING_NPI = "1245319599"
PROVIDER_NPI = "1234567893"
ADDRESS = {"lines": ["400 Main St"], "city": "Springfield", "region": "IL", "postalCode": "627011234", "country": "US"}


def clinic_day(days=0):
    """The clinic's date (insurance's default zone, America/New_York), moved by DAYS: service dates are the
    clinic's, never UTC's."""
    today = datetime.datetime.now(zoneinfo.ZoneInfo("America/New_York")).date()
    return (today + datetime.timedelta(days=days)).isoformat()


def specialist(clinic):
    return token("insurance_specialist", clinic)


def call(method, path, clinic, body=None, role="insurance_specialist", bearer=None, key=None):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex} if method in ("POST", "PUT") else {}
    return request(method, "insurance", path, bearer=bearer or token(role, clinic), body=body, headers=headers)


def publish_practice(publisher, clinic):
    body = {"name": "Springfield Family Dental", "billingNpi": BILLING_NPI, "taxId": "371234567", "address": ADDRESS,
            "phone": "2175550100", "taxonomyCode": "1223G0001X", "timeZone": "America/New_York"}
    return publish(publisher, PRACTICE, clinic, body)


def publish_provider(publisher, clinic, provider_id="prov-1", npi=PROVIDER_NPI):
    body = {"providerId": provider_id, "name": {"given": "Maya", "family": "Chen"}, "npi": npi, "taxonomyCode": "1223G0001X"}
    return publish(publisher, PROVIDER, clinic, body)


def publish_patient(publisher, clinic, patient, given="Ana", family="Lopez", sex="female"):
    body = {"patientId": patient, "name": {"given": given, "family": family}, "dateOfBirth": "1986-04-12", "sex": sex,
            "contacts": {"email": f"{patient}@example.com", "address": ADDRESS},
            "consents": {"email": True, "sms": False, "cardOnFileAutoCharge": False}}
    return publish(publisher, PATIENT, clinic, body)


def dental_benefits():
    return {"annualMaximum": usd(150_000), "annualMaximumUsed": usd(0), "deductible": usd(5_000), "deductibleMet": usd(0),
            "coveragePercentByCategory": {"diagnostic": 100, "preventive": 100, "basic": 80, "major": 50},
            "frequencyLimits": [{"codes": ["D1110", "D1120"], "times": 2}]}


def coverage_body(patient, member_id, kind="dental", payer_id="60054", benefits=None, termination=None, priority="primary"):
    body = {"coverageId": f"cov-{uuid.uuid4().hex[:8]}", "patientId": patient,
            "payer": {"payerId": payer_id, "name": "Aetna Dental" if kind == "dental" else "Acme Health"},
            "memberId": member_id, "groupNumber": "GRP4411", "priority": priority, "subscriberRelationship": "self",
            "effectiveDate": "2026-01-01", "benefits": benefits if benefits is not None else dental_benefits(), "kind": kind}
    if termination:
        body["terminationDate"] = termination
    return body


def publish_coverage(publisher, clinic, body):
    return publish(publisher, COVERAGE, clinic, body)


def charge(patient, amount, code, appointment=None, tooth=None, surfaces=None, system="CDT", diagnoses=None, days=-1):
    body = {"chargeId": f"chg-{uuid.uuid4().hex[:12]}", "patientId": patient, "providerId": "prov-1",
            "serviceDate": clinic_day(days), "procedure": {"code": code, "codeSystem": system}, "fee": usd(amount)}
    if tooth:
        body["procedure"]["tooth"] = tooth
    if surfaces:
        body["procedure"]["surfaces"] = surfaces
    if appointment:
        body["appointmentId"] = appointment
    if diagnoses:
        body["diagnosisCodes"] = diagnoses
    return body


def post_charges(publisher, clinic, charges):
    """Charges through payments (insurance claims what payments recorded); waits until insurance has them."""
    for body in charges:
        publish(publisher, CHARGE, clinic, body)
    ids = [c["chargeId"] for c in charges]
    wait_until(lambda: recorded(clinic, ids) or "not yet", 60, f"insurance did not record charges {ids}")


def recorded(clinic, charge_ids):
    from conftest import sql
    listed = ",".join("'" + i + "'" for i in charge_ids)
    return sql(f"SELECT count(*) FROM insurance.charges WHERE clinic_id = '{clinic}' AND charge_id IN ({listed})") == str(len(charge_ids))


def complete(publisher, clinic, patient, appointment):
    body = {"appointmentId": appointment, "patientId": patient, "providerId": "prov-1",
            "completedAt": datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")}
    return publish(publisher, COMPLETED, clinic, body)


def setup_clinic(publisher, clinic, patients, practice=True):
    """The practice (unless `practice` is False), its provider and the patients, as the practice-management
    system publishes them."""
    last = [publish_provider(publisher, clinic)] + [publish_patient(publisher, clinic, p) for p in patients]
    if practice:
        last.append(publish_practice(publisher, clinic))
    for event_id in last:
        wait_consumed(event_id, service="insurance")


def cover(publisher, clinic, body):
    wait_consumed(publish_coverage(publisher, clinic, body), service="insurance")
    return body


def visit(publisher, clinic, patient_id, charges, appointment=None):
    """The visit's charges (through payments), then the appointment completed: the claim is built."""
    appointment = appointment or f"appt-{uuid.uuid4().hex[:8]}"
    for body in charges:
        body["appointmentId"] = appointment
    post_charges(publisher, clinic, charges)
    wait_consumed(complete(publisher, clinic, patient_id, appointment), service="insurance")
    return appointment


def claims(clinic, patient=None, status=None):
    query = "&".join(f"{k}={v}" for k, v in (("patientId", patient), ("status", status)) if v)
    answer = call("GET", f"/v1/claims?limit=100&{query}", clinic)
    assert answer.status == 200, answer.text
    return answer.body["data"]


def claim_of(clinic, patient):
    found = claims(clinic, patient=patient)
    return found[0]["claim"] if len(found) == 1 else None


def wait_claim_status(clinic, patient, status, timeout=60):
    def reached():
        claim = claim_of(clinic, patient)
        return True if claim and claim["status"] == status else f"claim is {claim and claim['status']}"
    wait_until(reached, timeout, f"{patient}'s claim did not reach {status}")
    return claim_of(clinic, patient)


def x12_files(clinic, status=None):
    answer = call("GET", "/v1/x12-files" + (f"?status={status}" if status else ""), clinic)
    assert answer.status == 200, answer.text
    return answer.body["data"]


def x12_text(clinic, file_id):
    answer = call("GET", f"/v1/x12-files/{file_id}", clinic)
    assert answer.status == 200, answer.text
    return answer.text


def pyx12_errors(text, tmp_path, name):
    """pyx12's verdict on one interchange: the list of its errors (empty when it finds none)."""
    import pyx12.error_handler
    import pyx12.params
    import pyx12.x12n_document
    path = tmp_path / name
    path.write_text(text)
    errors = io.StringIO()
    clean = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(), src_file=str(path), fd_997=None, fd_html=None, fd_xmldoc=None, fd_json=errors)
    return [] if clean else [errors.getvalue()[:2000] or "pyx12 reported failure"]


# ---------------------------------------------------------------- X12 by hand, and a paused clearinghouse exchange

def x12_segments(text):
    """An interchange as a list of segments, each a list of elements; the separators are the ISA's own
    (element: ISA's 4th character, segment terminator: its 106th)."""
    element, terminator = text[3], text[105]
    return [segment.strip("\r\n").split(element) for segment in text.split(terminator) if segment.strip("\r\n")]


def x12_join(segments):
    return "".join("*".join(segment) + "~" for segment in segments)


def claim_transaction(claim_837, claim_id):
    """Where a claim sits in the 837 that carried it: ISA13, GS06, the ST02 of its transaction set, and the
    position of its CLM in that set (the ST is 1), as a 999 names them."""
    segments = x12_segments(claim_837)
    isa, gs = segments[0], segments[1]
    st02, position = None, 0
    for segment in segments:
        if segment[0] == "ST":
            st02, position = segment[2], 0
        position += 1
        if segment[0] == "CLM" and segment[1] == claim_id:
            return {"isa": isa, "gs": gs, "st02": st02, "clm_position": position}
    raise AssertionError(f"claim {claim_id} is not in the 837:\n{claim_837}")


def rejecting_999(claim_837, claim_id, control_number):
    """The 999 a clearinghouse returns when the claim's transaction set fails its syntax check: the 837's
    envelope turned around (its receiver sends), AK1 names the 837's group (GS06), AK2 its ST02, IK3/IK4 the
    CLM's amount, IK5*R*5, and AK9 rejects the group's one set."""
    where = claim_transaction(claim_837, claim_id)
    isa, gs = where["isa"], where["gs"]
    control = f"{control_number:09d}"
    body = [
        ["ST", "999", "0001", "005010X231A1"],
        ["AK1", "HC", gs[6], gs[8]],
        ["AK2", "837", where["st02"], gs[8]],
        ["IK3", "CLM", str(where["clm_position"]), "2300", "8"],
        ["IK4", "2", "782", "6"],
        ["IK5", "R", "5"],
        ["AK9", "R", "1", "1", "0"],
    ]
    body.append(["SE", str(len(body) + 1), "0001"])
    envelope = ["ISA", isa[1], isa[2], isa[3], isa[4], isa[7], isa[8], isa[5], isa[6], isa[9], isa[10], isa[11], isa[12],
                control, "0", isa[15], isa[16]]
    group = ["GS", "FA", gs[3], gs[2], gs[4], gs[5], str(control_number), "X", "005010X231A1"]
    return x12_join([envelope, group, *body, ["GE", "1", str(control_number)], ["IEA", "1", control]])


class paused_exchange:
    """`with paused_exchange():` the clearinghouse exchange (insurance.exchange: sends the 837s waiting and reads
    the answers) does not run: a session of the test's own holds the job's row lock in insurance.scheduled_jobs,
    which is how a replica says "another replica is running it". Files written meanwhile stay pending, so nobody
    has answered them yet; when the block ends the lock is released and the exchange carries on by itself."""

    def __enter__(self):
        import os
        import subprocess
        from conftest import env
        self.session = subprocess.Popen(
            ["psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-h", env("CLINICLEDGER_POSTGRES_ADMIN_SOCKET"),
             "-p", env("CLINICLEDGER_POSTGRES_PORT"), "-U", "postgres", "-d", "clinicledger"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
        self.session.stdin.write("BEGIN;\nSELECT name FROM insurance.scheduled_jobs WHERE name = 'insurance.exchange' FOR UPDATE;\n")
        self.session.stdin.flush()
        # psql answers BEGIN, then the row once the lock is ours (waiting for a run in progress to finish).
        for _ in range(2):
            line = self.session.stdout.readline()
            if line.strip() == "insurance.exchange":
                return self
        self.__exit__()
        raise AssertionError(f"could not pause the exchange: {line!r} {self.session.stderr.read()}")

    def __exit__(self, *exc):
        try:
            self.session.stdin.write("ROLLBACK;\n")
            self.session.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        self.session.wait(timeout=30)
        return False


def job_runs(name):
    from conftest import sql
    return int(sql(f"SELECT coalesce(sum(runs), 0) FROM insurance.scheduled_jobs WHERE name = '{name}'"))


def let_job_run(name, passes=2, timeout=30):
    """Before asserting that insurance did NOT do something: waits until its job NAME ran `passes` more times."""
    start = job_runs(name)
    wait_until(lambda: job_runs(name) >= start + passes or f"{job_runs(name) - start} passes", timeout,
               f"insurance's job {name} did not run {passes} more times")


def claim_by_id(clinic, claim_id, role="insurance_specialist", bearer=None):
    answer = call("GET", f"/v1/claims/{claim_id}", clinic, role=role, bearer=bearer)
    assert answer.status == 200, answer.text
    return answer.body["claim"]


def wait_claim_id_status(clinic, claim_id, status, timeout=60):
    def reached():
        shown = claim_by_id(clinic, claim_id)["status"]
        return True if shown == status else f"claim is {shown}"
    wait_until(reached, timeout, f"claim {claim_id} did not reach {status}")
    return claim_by_id(clinic, claim_id)
