"""Each service's OpenAPI document: what the running service serves is the checked-in
Services/<Service>/openapi.json (so a route change shows up in review), and it is a document a client
can rely on: OpenAPI 3.1, every protected operation names its permission, only the documented public
operations go without a token."""
import difflib
import json
import os

import pytest

from conftest import ROOT, SERVICES, get_json

PUBLIC_PATHS = {"/health/live", "/health/ready", "/metrics", "/openapi.json"}
# Doors protected by the sender's signature or a single-use link instead of a token
# (Shared/WebAPI/PublicRoutes.swift).
SIGNED_PATHS = {"payments": {"/v1/webhooks/stripe"}, "plans": {"/plan-offers/{token}", "/plan-offers/{token}/agreement.pdf"}}


def checked_in_path(service):
    return os.path.join(ROOT, "Services", service.capitalize(), "openapi.json")


def served(service):
    status, document = get_json(service, "/openapi.json")
    assert status == 200 and isinstance(document, dict), f"{service} GET /openapi.json answered {status}: {document}"
    return document


@pytest.mark.parametrize("service", SERVICES)
def test_the_served_document_is_the_checked_in_one(service):
    path = checked_in_path(service)
    if not os.path.exists(path):
        pytest.fail(f"{os.path.relpath(path, ROOT)} is missing: run `scripts/dev openapi` to write it, and commit it")
    with open(path) as f:
        try:
            checked_in = json.load(f)
        except ValueError as error:
            pytest.fail(f"{os.path.relpath(path, ROOT)} is not JSON ({error}): run `scripts/dev openapi`")
    live = served(service)
    if live != checked_in:
        diff = difflib.unified_diff(
            json.dumps(checked_in, indent=2, sort_keys=True).splitlines(), json.dumps(live, indent=2, sort_keys=True).splitlines(),
            fromfile=f"{os.path.relpath(path, ROOT)} (checked in)", tofile=f"GET /openapi.json of {service}", lineterm="")
        pytest.fail(f"{service}'s routes and its checked-in OpenAPI document differ: run `scripts/dev openapi` and "
                    f"review the change.\n" + "\n".join(list(diff)[:200]))


@pytest.mark.parametrize("service", SERVICES)
def test_the_document_says_who_may_call_what(service):
    document = served(service)
    assert document["openapi"].startswith("3.1"), document["openapi"]
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    roles = document["info"]["x-roles"]
    known = set().union(*roles.values())
    public, protected = set(), 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"
            assert operation.get("responses"), f"{method.upper()} {path} documents no responses"
            if operation.get("security") == []:
                public.add(path)
                assert "x-permission" not in operation, f"public {method.upper()} {path} names a permission"
                continue
            protected += 1
            for key in ("x-permission", "x-patient-permission"):
                if key in operation:
                    assert operation[key] in known, f"{method.upper()} {path}: {key} {operation[key]!r} is no role's permission"
            assert "x-permission" in operation, f"{method.upper()} {path} is protected but names no x-permission"
            for code in ("401", "403"):
                assert code in operation["responses"], f"{method.upper()} {path} does not document {code}"
    expected = PUBLIC_PATHS | SIGNED_PATHS.get(service, set())
    assert public == expected, f"{service}: public operations {sorted(public)}, expected {sorted(expected)}"
    assert protected, f"{service} documents no protected operation"
