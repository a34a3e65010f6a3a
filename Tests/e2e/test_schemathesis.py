"""Property-based tests of every service's HTTP API from its own OpenAPI document (schemathesis, from
.run/venv): generated valid and invalid requests, with an admin token, must never get a 5xx, and every
answer must be documented (status code) and match its documented schema."""
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from conftest import SERVICES, Publisher, http_port, post_charge_and_wait, token

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
MAX_EXAMPLES = "50"
SEED = "20261125"  # fixed, so a failure reproduces with the command the test prints


def schemathesis_command():
    candidate = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    if not os.path.exists(candidate):
        candidate = shutil.which("schemathesis")
    if not candidate:
        pytest.fail("schemathesis is not installed: `scripts/dev test` installs it into .run/venv "
                    "(or: .run/venv/bin/pip install schemathesis)")
    return candidate


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    """A clinic with one patient that has an account, so that the account route is reached, not only its 404."""
    clinic = f"clinic-fuzz-{uuid.uuid4().hex[:8]}"
    publisher = Publisher()
    post_charge_and_wait(publisher, clinic, "pat-fuzz-1", 5_000_000)
    publisher.close()
    return clinic


@pytest.mark.parametrize("service", SERVICES)
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(service, clinic, tmp_path):
    config = tmp_path / "schemathesis.toml"
    config.write_text('[parameters]\n"path.patientId" = "pat-fuzz-1"\n')
    command = [
        schemathesis_command(), "--no-color", "--config-file", str(config), "run",
        f"http://127.0.0.1:{http_port(service)}/openapi.json",
        "--header", f"Authorization: Bearer {token('admin', clinic)}",
        "--checks", CHECKS, "--max-examples", MAX_EXAMPLES, "--seed", SEED,
        # One worker: with two threads, hypothesis' lambda descriptions hit CPython 3.11's ast.parse
        # thread-safety bug ("AST constructor recursion depth mismatch") inside schemathesis itself.
        "--generation-database", "none", "--request-timeout", "10", "--workers", "1",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=170)
    report = result.stdout + result.stderr
    shown = " ".join(c if not c.startswith("Authorization") else "'Authorization: Bearer <admin token>'" for c in command)
    assert result.returncode == 0, f"schemathesis found problems in {service} (exit {result.returncode}).\n$ {shown}\n{report}"
    assert " passed" in report and "Tested:" in report, f"schemathesis did not test anything:\n{report}"
