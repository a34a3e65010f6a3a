"""Who may call what: every operation of every service's own OpenAPI document, called with a token of
every role, must answer as `info.x-roles` and the operation's `x-permission` / `x-patient-permission`
say; every protected operation refuses a missing, forged or expired token; a patient sees only its own
patient and staff only their own clinic (404 otherwise, so ids cannot be probed)."""
import base64
import json
import os
import re
import uuid

import pytest

from conftest import (
    SERVICES, Publisher, b64url, get_json, post_charge_and_wait, request, resigned, token)

PUBLIC_PATHS = {"/health/live", "/health/ready", "/metrics", "/openapi.json"}
# Public doors protected by a signature instead of a token: without one they answer 400.
SIGNED_PATHS = {"/v1/webhooks/stripe"}
# Public pages protected by a single-use link token in the path: a made-up one is an unknown link (404).
LINK_PATHS = {"plans": {"/plan-offers/{token}", "/plan-offers/{token}/agreement.pdf"}}
ROLES = ["admin", "billing_staff", "insurance_specialist", "patient"]
LARGE_ADJUSTMENT_ABOVE = int(os.environ.get("PAYMENTS_LARGE_ADJUSTMENT_ABOVE", "50000"))


def openapi(service):
    status, document = get_json(service, "/openapi.json")
    assert status == 200 and isinstance(document, dict), f"{service} GET /openapi.json answered {status}"
    return document


def operations(document):
    for path, item in sorted(document["paths"].items()):
        for method, operation in sorted(item.items()):
            if method in ("get", "put", "post", "patch", "delete"):
                yield method.upper(), path, operation


def is_public(operation):
    return operation.get("security") == []


@pytest.fixture(scope="module")
def world():
    """Clinic A with two patients that have a balance, clinic B with none of them."""
    clinic_a = f"clinic-roles-a-{uuid.uuid4().hex[:8]}"
    clinic_b = f"clinic-roles-b-{uuid.uuid4().hex[:8]}"
    publisher = Publisher()
    own, other = "pat-roles-own", "pat-roles-other"
    post_charge_and_wait(publisher, clinic_a, own, 500_000)
    post_charge_and_wait(publisher, clinic_a, other, 7_700)
    publisher.close()
    world = {"a": clinic_a, "b": clinic_b, "own": own, "other": other}
    staff = token("billing_staff", clinic_a)
    paid = request("POST", "payments", "/v1/payments", bearer=staff, headers={"Idempotency-Key": str(uuid.uuid4())},
                   body={"patientId": own, "amount": {"amount": 10_000, "currency": "USD"}, "method": "cash"})
    saved = request("POST", "payments", f"/v1/patients/{own}/payment-methods", bearer=staff,
                    headers={"Idempotency-Key": str(uuid.uuid4())}, body={"token": "tok_visa"})
    assert paid.status == 201 and saved.status == 201, (paid.text, saved.text)
    # Plans: clinic A asks no signature and no down payment, so a plan (no autopay: no money moves) is ACTIVE
    # at once; `new_plan` makes a fresh one for the calls that change a plan's state (pause, resume, sign, cancel).
    plan_policy = {"signatureRequired": False, "minDownPaymentPercent": 0}
    policy = request("PUT", "plans", "/api/billing/payment-plans/policy", bearer=token("admin", clinic_a),
                     body=plan_policy)
    assert policy.status == 200, policy.text

    def new_plan(paused=False):
        created = request("POST", "plans", "/api/billing/payment-plans", bearer=staff,
                          headers={"Idempotency-Key": str(uuid.uuid4())},
                          body={"patientId": own, "totalAmount": {"amount": 40_000, "currency": "USD"},
                                "downPayment": {"amount": 0, "currency": "USD"}, "numberOfPayments": 4})
        assert created.status == 201 and created.body["status"] == "ACTIVE", created.text
        if paused:
            pause = request("POST", "plans", f"/api/billing/payment-plans/{created.body['id']}/pause", bearer=staff,
                            body={"days": 5})
            assert pause.status == 200 and pause.body["status"] == "PAUSED", pause.text
        return created.body["id"]
    return {**world, "payment": paid.body["id"], "method": saved.body["id"], "plan": new_plan(), "new_plan": new_plan,
            "plan_policy": plan_policy, **insurance_world(clinic_a, own)}


def insurance_world(clinic, own):
    """Clinic A's practice, provider and the own patient's dental coverage; one acknowledged claim, an
    eligibility check, an estimate; and fresh held claims for the calls that change a claim."""
    from insurance_helpers import (
        call, charge, complete, coverage_body, post_charges, publish_coverage, publish_patient, publish_practice,
        publish_provider)
    from payments_helpers import wait_consumed
    publisher = Publisher()
    for event_id in [publish_practice(publisher, clinic), publish_provider(publisher, clinic),
                     publish_patient(publisher, clinic, own)]:
        wait_consumed(event_id, service="insurance")
    coverage = coverage_body(own, "R100200300")
    wait_consumed(publish_coverage(publisher, clinic, coverage), service="insurance")

    def visit(body):
        body["appointmentId"] = f"appt-roles-{uuid.uuid4().hex[:8]}"
        post_charges(publisher, clinic, [body])
        wait_consumed(complete(publisher, clinic, own, body["appointmentId"]), service="insurance")
        return body["chargeId"]

    def claim_with(charge_id, status):
        def found():
            data = call("GET", "/v1/claims?limit=100", clinic).body["data"]
            match = [c["claim"] for c in data if c["claim"]["lines"][0]["chargeId"] == charge_id]
            return True if match and match[0]["status"] == status else f"not yet: {match[:1]}"
        from conftest import wait_until
        wait_until(found, 60, f"the claim of {charge_id} did not reach {status}")
        data = call("GET", "/v1/claims?limit=100", clinic).body["data"]
        return next(c["claim"] for c in data if c["claim"]["lines"][0]["chargeId"] == charge_id)

    claim = claim_with(visit(charge(own, 9_500, "D1110")), "acknowledged")

    last = {}

    def held_claim(cause):
        """A claim held for a person: no tooth on a filling (a correction adds it), or a provider the clinic had
        not sent yet (it is sent now, so that a submit finds the claim clean). One a refused call left held is
        used again."""
        if cause in last:
            answer = call("GET", f"/v1/claims/{last[cause][0]}", clinic)
            if answer.body["claim"]["status"] == "held":
                return last[cause]
        last[cause] = new_held_claim(cause)
        return last[cause]

    days = iter(range(-2, -300, -1))  # the same work twice on one day would be held by payments as a duplicate

    def new_held_claim(cause):
        if cause == "tooth":
            body = charge(own, 18_500, "D2392", surfaces=["M", "O"], days=next(days))
            return claim_with(visit(body), "held")["claimId"], body["chargeId"]
        provider = f"prov-roles-{uuid.uuid4().hex[:6]}"
        body = charge(own, 6_000, "D0120", days=next(days))
        body["providerId"] = provider
        held = claim_with(visit(body), "held")
        wait_consumed(publish_provider(publisher, clinic, provider_id=provider), service="insurance")
        return held["claimId"], body["chargeId"]

    check = call("POST", "/v1/eligibility-checks", clinic, body={"patientId": own})
    estimate = call("POST", "/v1/estimates", clinic, role="billing_staff",
                    body={"patientId": own, "procedures": [{"procedure": {"code": "D1110", "codeSystem": "CDT"}, "fee": usd_cents(9_500)}]})
    assert check.status == 202 and estimate.status == 201, (check.text, estimate.text)
    files = call("GET", "/v1/x12-files", clinic).body["data"]
    return {"claim": claim["claimId"], "held_claim": held_claim, "check": check.body["checkId"],
            "estimate": estimate.body["estimate"]["estimateId"], "x12_file": files[0]["fileId"], "coverage": coverage}


def usd_cents(amount):
    return {"amount": amount, "currency": "USD"}


def open_review_item(world):
    """A fresh open review item: a payment far above the balance of the other patient is flagged."""
    staff = token("billing_staff", world["a"])
    paid = request("POST", "payments", "/v1/payments", bearer=staff, headers={"Idempotency-Key": str(uuid.uuid4())},
                   body={"patientId": world["other"], "amount": {"amount": 900_000, "currency": "USD"}, "method": "cash"})
    assert paid.status == 201, paid.text
    items = request("GET", "payments", "/v1/review?limit=100", bearer=staff).body["data"]
    return next(i["id"] for i in items if i["subjectId"] == paid.body["id"])


def bearer_for(role, world, clinic=None):
    clinic = clinic or world["a"]
    return token(role, clinic, patient=world["own"] if role == "patient" else None)


def call_operation(service, method, path, operation, world, bearer, amount=100):
    """Calls the operation the way a well-behaved client would, so that only the token decides."""
    concrete = path.replace("{patientId}", world["own"]).replace("{paymentId}", world["payment"]) \
        .replace("{paymentMethodId}", world["method"]).replace("{checkId}", world["check"]) \
        .replace("{estimateId}", world["estimate"]).replace("{fileId}", world["x12_file"]).replace("{payerId}", "60054")
    held_charge = None
    if "{claimId}" in concrete:
        # A correction or a submit gets a held claim of its own (one a person can fix), so each allowed role succeeds.
        if method in ("PUT", "POST") and bearer is not None and "." in bearer and role_of(bearer) in ("admin", "insurance_specialist"):
            cause = "tooth" if method == "PUT" else "provider"
            claim_id, held_charge = world["held_claim"](cause)
        else:
            claim_id = world["claim"]
        concrete = concrete.replace("{claimId}", claim_id)
    if "{itemId}" in concrete:
        concrete = concrete.replace("{itemId}", open_review_item(world))
    plan_changes = {"/api/billing/payment-plans/{planId}/pause": {"days": 1},
                    "/api/billing/payment-plans/{planId}/resume": None,
                    "/api/billing/payment-plans/{planId}/sign": {"signedBy": "Ana Lopez"},
                    "/api/billing/payment-plans/{planId}/cancel": {"reason": "e2e role table"}}
    if "{planId}" in concrete:
        # A call that changes the plan's state (or deletes it) gets a plan of its own, so that each allowed role
        # succeeds.
        fresh = service == "plans" and ((method == "POST" and path in plan_changes) or method == "DELETE")
        plan_id = world["new_plan"](paused=path.endswith("/resume")) if fresh else world["plan"]
        concrete = concrete.replace("{planId}", plan_id)
    leftover = re.findall(r"\{[^}]+\}", concrete)
    if leftover:
        pytest.fail(f"{service} {method} {path}: this test does not know a value for {leftover}; add one to call_operation")
    headers, body = {"X-Request-Id": f"e2e-roles-{uuid.uuid4().hex[:12]}"}, None
    if (service, method, path) == ("payments", "POST", "/v1/adjustments"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"patientId": world["own"], "amount": {"amount": amount, "currency": "USD"}, "kind": "write_off",
                "reason": "e2e role table"}
    elif (service, method, path) == ("payments", "POST", "/v1/payments"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"patientId": world["own"], "amount": {"amount": amount, "currency": "USD"}, "method": "card", "token": "tok_visa"}
    elif (service, method, path) == ("payments", "POST", "/v1/refunds"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"paymentId": world["payment"], "amount": {"amount": 1, "currency": "USD"}}
    elif (service, method, path) == ("payments", "POST", "/v1/patients/{patientId}/payment-methods"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"token": "tok_visa"}
    elif (service, path) == ("payments", "/v1/payments") and method == "GET":
        concrete += f"?patientId={world['own']}"
    elif (service, method) == ("payments", "POST") and path.startswith("/v1/review/"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"note": "e2e role table"}
    elif (service, method, path) in {("payments", "DELETE", "/v1/patients/{patientId}/payment-methods/{paymentMethodId}"),
                                     ("payments", "POST", "/v1/auto-charge/runs")}:
        pass
    elif (service, method, path) == ("plans", "POST", "/api/billing/payment-plans"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"patientId": world["own"], "totalAmount": {"amount": 40_000, "currency": "USD"},
                "downPayment": {"amount": 0, "currency": "USD"}, "numberOfPayments": 4}
    elif (service, method, path) == ("plans", "POST", "/api/billing/payment-plans/options"):
        body = {"totalAmount": {"amount": 120_000, "currency": "USD"}, "patientId": world["own"]}
    elif (service, method, path) == ("plans", "PUT", "/api/billing/payment-plans/policy"):
        body = world["plan_policy"]  # what the world set: the policy stays as it was
    elif (service, method, path) == ("plans", "PUT", "/api/billing/payment-plans/{planId}"):
        body = {"description": "e2e role table"}
    elif (service, method, path) == ("plans", "POST", "/api/billing/payment-plans/{planId}/payoff"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"method": "cash"}  # answers the quote: nothing is charged, so every allowed role may ask
    elif service == "plans" and method == "POST" and path in plan_changes:
        body = plan_changes[path]
    elif (service, method, path) == ("insurance", "PUT", "/v1/patients/{patientId}/coverage"):
        body = world["coverage"]  # the coverage as it is: nothing changes
    elif (service, method, path) == ("insurance", "POST", "/v1/eligibility-checks"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"patientId": world["own"]}
    elif (service, method, path) == ("insurance", "POST", "/v1/estimates"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"patientId": world["own"], "procedures": [{"procedure": {"code": "D1110", "codeSystem": "CDT"},
                                                           "fee": usd_cents(9_500)}]}
    elif (service, method, path) == ("insurance", "GET", "/v1/estimates"):
        concrete += f"?patientId={world['own']}"
    elif (service, method, path) == ("insurance", "POST", "/v1/estimates/{estimateId}/accept"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
    elif (service, method, path) == ("insurance", "POST", "/v1/estimates/{estimateId}/predetermination"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"providerId": "prov-1"}
    elif (service, method, path) == ("insurance", "PUT", "/v1/claims/{claimId}"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"lines": [{"chargeId": held_charge or "chg-none", "tooth": "30"}]}
    elif (service, method, path) == ("insurance", "POST", "/v1/claims/{claimId}/submit"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
    elif (service, method, path) == ("insurance", "POST", "/v1/x12-files"):
        headers["Idempotency-Key"] = str(uuid.uuid4())
        body = {"content": f"ISA*not an interchange {uuid.uuid4().hex}~"}
    elif (service, method, path) == ("insurance", "PUT", "/v1/fee-schedules/{payerId}"):
        body = {"payerId": "60054", "entries": [{"code": "D1110", "description": "Prophylaxis - adult", "fee": usd_cents(9_000)}]}
    elif "requestBody" in operation or any(p.get("required") and p["in"] != "path" for p in operation.get("parameters", [])):
        pytest.fail(f"{service} {method} {path} takes a body or required parameters this test does not know how "
                    f"to fill: teach call_operation a valid request for it")
    return request(method, service, concrete, bearer=bearer, body=body, headers=headers)


def role_of(bearer):
    payload = bearer.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("role")


def success_status(operation):
    codes = [int(c) for c in operation["responses"] if c.isdigit() and 200 <= int(c) < 300]
    assert len(codes) == 1, f"expected one documented 2xx answer, got {codes}"
    return codes[0]


def test_every_service_documents_the_same_roles():
    tables = {service: openapi(service)["info"].get("x-roles") for service in SERVICES}
    assert all(tables.values()), f"a service lacks info.x-roles: {[s for s, t in tables.items() if not t]}"
    assert set(tables["payments"]) == set(ROLES), tables["payments"]
    for service, table in tables.items():
        assert table == tables["payments"], f"{service}'s info.x-roles differs from payments'"


@pytest.mark.parametrize("service", SERVICES)
def test_public_operations_answer_without_a_token(service):
    document = openapi(service)
    public = [(method, path) for method, path, operation in operations(document) if is_public(operation)]
    signed = SIGNED_PATHS if service == "payments" else set()
    links = LINK_PATHS.get(service, set())
    assert {path for _, path in public} == PUBLIC_PATHS | signed | links, \
        f"{service}: the public operations should be exactly {sorted(PUBLIC_PATHS | signed | links)}, got {public}"
    for method, path in public:
        if path in links:
            path = path.replace("{token}", "made-up-link-token")
        answer = request(method, service, path, body=b"{}" if path in signed or method == "POST" else None)
        expected = 400 if path in signed else 404 if path.startswith("/plan-offers/") else 200
        assert answer.status == expected, f"{service} {method} {path} without a token: {answer.status} {answer.text[:300]}"
        if path in signed:
            assert answer.body["error"]["code"] == "signature_invalid", answer.text
        assert answer.headers.get("x-request-id"), f"{service} {method} {path}: no X-Request-Id in the answer"


@pytest.mark.parametrize("service", SERVICES)
def test_role_table(service, world):
    """Allowed: the documented 2xx (never 401/403, never 404: every resource used exists). Not allowed:
    403 permission_denied, in the one error shape."""
    document = openapi(service)
    roles = document["info"]["x-roles"]
    wrong, checked = [], 0
    for method, path, operation in operations(document):
        if is_public(operation):
            continue
        permission = operation.get("x-permission")
        assert permission, f"{service} {method} {path} is neither public nor has an x-permission"
        granting = {permission, operation.get("x-patient-permission")} - {None}
        expected_success = success_status(operation)
        for role in ROLES:
            allowed = bool(granting & set(roles[role]))
            answer = call_operation(service, method, path, operation, world, bearer_for(role, world))
            checked += 1
            error = (answer.body or {}).get("error", {}) if isinstance(answer.body, dict) else {}
            if allowed and answer.status != expected_success:
                wrong.append(f"{role:21} {method} {path}: allowed, expected {expected_success}, got {answer.status} {answer.text[:200]}")
            if not allowed and (answer.status != 403 or error.get("code") != "permission_denied"
                                or error.get("type") != "permission_error"):
                wrong.append(f"{role:21} {method} {path}: not allowed, expected 403 permission_denied, got {answer.status} {answer.text[:200]}")
    assert checked, f"{service} documents no protected operation"
    assert not wrong, f"{service}: {len(wrong)} of {checked} calls answered against the role table:\n" + "\n".join(wrong)


@pytest.mark.parametrize("service", SERVICES)
def test_every_protected_operation_refuses_missing_forged_and_expired_tokens(service, world):
    admin = token("admin", world["a"])
    patient = token("patient", world["a"], patient=world["own"])
    header, payload, signature = patient.split(".")
    escalated = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    escalated.update(role="admin")
    cases = {
        "no token": (None, "token_missing"),
        "bad signature": (resigned(admin), "token_invalid"),
        "patient claims rewritten to admin, signature kept": (
            f"{header}.{b64url(json.dumps(escalated).encode())}.{signature}", "token_invalid"),
        "alg none": (f"{b64url(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{payload}.", "token_invalid"),
        "not a JWT": ("not-a-token", "token_invalid"),
        "expired": (token("admin", world["a"], ttl="-5s"), "token_expired"),
    }
    balance = lambda: get_json("payments", f"/v1/patients/{world['own']}/account", clinic=world["a"])[1]["balance"]
    # The held claims the insurance calls use are made now (their charges move the balance); refused calls leave them held.
    world["held_claim"]("tooth")
    world["held_claim"]("provider")
    before = balance()
    wrong = []
    for method, path, operation in operations(openapi(service)):
        if is_public(operation):
            continue
        for name, (bearer, code) in cases.items():
            answer = call_operation(service, method, path, operation, world, bearer)
            error = answer.body.get("error", {}) if isinstance(answer.body, dict) else {}
            if answer.status != 401 or error.get("code") != code or error.get("type") != "authentication_error":
                wrong.append(f"{method} {path} with {name}: expected 401 {code}, got {answer.status} {answer.text[:200]}")
    assert not wrong, f"{service}:\n" + "\n".join(wrong)
    assert balance() == before, "a refused token still moved money"


def test_a_patient_sees_only_its_own_account(world):
    own = token("patient", world["a"], patient=world["own"])
    answer = request("GET", "payments", f"/v1/patients/{world['own']}/account", bearer=own)
    assert answer.status == 200, answer.text
    assert answer.body["patientId"] == world["own"] and answer.body["balance"]["currency"] == "USD", answer.body
    assert answer.body["entries"]["data"][0]["kind"] == "charge", answer.body
    # Another patient of the same clinic exists (staff see it) but is not the patient's to see: 404,
    # the same answer as for a patient that does not exist.
    staff = token("billing_staff", world["a"])
    assert request("GET", "payments", f"/v1/patients/{world['other']}/account", bearer=staff).status == 200
    for patient in [world["other"], "pat-roles-nobody"]:
        answer = request("GET", "payments", f"/v1/patients/{patient}/account", bearer=own)
        assert answer.status == 404 and answer.body["error"]["code"] == "resource_missing", (patient, answer.text)
        assert world["other"] not in json.dumps(answer.body.get("data", "")), answer.text


def test_staff_of_another_clinic_see_nothing_of_this_one(world):
    other_clinic_staff = token("billing_staff", world["b"])
    answer = request("GET", "payments", f"/v1/patients/{world['own']}/account", bearer=other_clinic_staff)
    assert answer.status == 404 and answer.body["error"]["code"] == "resource_missing", answer.text
    # Nor can they move it: for clinic B the account does not exist.
    answer = request("POST", "payments", "/v1/adjustments", bearer=other_clinic_staff,
                     headers={"Idempotency-Key": str(uuid.uuid4())},
                     body={"patientId": world["own"], "amount": {"amount": 100, "currency": "USD"},
                           "kind": "write_off", "reason": "cross-clinic attempt"})
    assert answer.status == 404, answer.text
    answer = request("GET", "analytics", "/v1/summary", bearer=token("admin", world["b"]))
    assert answer.status == 200 and answer.body["clinicId"] == world["b"] and answer.body["receivables"] == [], answer.text
    answer = request("GET", "payments", "/v1/audit?limit=100", bearer=token("admin", world["b"]))
    assert answer.status == 200 and answer.body["data"] == [], answer.text


def test_large_adjustments_need_the_practice_owner(world):
    body = {"patientId": world["own"], "amount": {"amount": LARGE_ADJUSTMENT_ABOVE + 1, "currency": "USD"},
            "kind": "courtesy_discount", "reason": "e2e large adjustment"}
    staff = request("POST", "payments", "/v1/adjustments", bearer=token("billing_staff", world["a"]),
                    headers={"Idempotency-Key": str(uuid.uuid4())}, body=body)
    assert staff.status == 403 and staff.body["error"]["code"] == "admin_required", staff.text
    at_threshold = request("POST", "payments", "/v1/adjustments", bearer=token("billing_staff", world["a"]),
                           headers={"Idempotency-Key": str(uuid.uuid4())},
                           body={**body, "amount": {"amount": LARGE_ADJUSTMENT_ABOVE, "currency": "USD"}})
    assert at_threshold.status == 201, at_threshold.text
    admin = request("POST", "payments", "/v1/adjustments", bearer=token("admin", world["a"]),
                    headers={"Idempotency-Key": str(uuid.uuid4())}, body=body)
    assert admin.status == 201 and admin.body["amount"]["amount"] == LARGE_ADJUSTMENT_ABOVE + 1, admin.text


def test_request_ids_are_echoed_or_made():
    bearer = token("admin", f"clinic-rid-{uuid.uuid4().hex[:6]}")
    mine = f"e2e-{uuid.uuid4().hex}"
    for service in SERVICES:
        answer = request("GET", service, "/v1/audit?limit=1", bearer=bearer, headers={"X-Request-Id": mine})
        assert answer.status == 200 and answer.headers.get("x-request-id") == mine, (service, answer.headers)
        made = request("GET", service, "/v1/audit?limit=1").headers.get("x-request-id")  # 401, still an id
        assert made and made != mine, (service, made)
