"""schemathesis's own Python API with our checks, in process: the mock's reads pass, Apikley's
uploads reach their server, and a planted wrong type fails the check that should catch it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck
from kling_avatar._registry import Provider
from kling_avatar.contract import openapi_schema
from kling_avatar.testing import MockServer

from contract.broken_server import broken_app, crun_faults, serve

SETTINGS = hypothesis.settings(
    max_examples=10,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


def _check_all(operation: Any) -> None:
    @SETTINGS
    @hypothesis.given(case=operation.as_strategy())
    def check(case: Any) -> None:
        case.call_and_validate()

    check()


@pytest.mark.parametrize(
    ("provider", "path", "method"),
    [
        ("crun", "/api/v1/client/account/balance", "GET"),
        ("crun", "/api/v1/client/job/TaskInfo", "GET"),
        ("apikley", "/api/v1/chat/credit", "GET"),
        ("apikley", "/api/v1/jobs/recordInfo", "GET"),
        # On the upload server: only the hooks send it there under one base URL.
        ("apikley", "/api/file-url-upload", "POST"),
        # No envelope: the built-in checks, but the replaced two.
        ("fal", "/fal-ai/kling-video/requests/{request_id}/status", "GET"),
        ("fal", "/storage/upload/initiate", "POST"),
    ],
)
def test_the_mock_passes_in_process_with_our_checks(
    provider: Provider, path: str, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTRACT_ALLOW_CREATE", "1")  # the mock may store a file
    with MockServer(step=0.0, seed=0) as mock:
        key = mock.keys[provider]
        monkeypatch.setenv("CONTRACT_SAFE_URL", f"{mock.base_url}/media/x")
        _check_all(openapi_schema(provider, base_url=mock.base_url, key=key)[path][method])


def test_a_planted_wrong_type_fails_in_process() -> None:
    with MockServer(step=0.0, seed=0) as mock:
        faults = crun_faults(mock.crun_key)
        with serve(broken_app(mock.base_url, faults)) as url:
            schema = openapi_schema("crun", base_url=url, key=mock.crun_key)
            with pytest.raises(BaseExceptionGroup) as caught:  # schemathesis's FailureGroup
                _check_all(schema[faults.wrong_type]["GET"])
    failures = caught.value.exceptions
    assert any("Response violates schema" in str(failure) for failure in failures), failures


def test_a_suite_run_leaves_the_process_s_schemathesis_as_it_was(tmp_path: Path) -> None:
    # A fresh interpreter: another test here may have loaded the hooks module, which is meant to
    # change the whole process (a plain `st run`'s).
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from schemathesis.checks import CHECKS, load_all_checks\n"
        "from kling_avatar.contract import run_suite\n"
        "load_all_checks()\n"
        "before = set(CHECKS.get_all_names())\n"
        "suite = run_suite(['crun'], max_examples=1, report_dir=Path(sys.argv[1]),\n"
        "                  lifecycle=False, phases='examples')\n"
        "assert suite.results and all(r.ok for r in suite.results), suite.summary()\n"
        "print(sorted(before - set(CHECKS.get_all_names())))\n"
    )
    done = subprocess.run(  # noqa: S603 (this interpreter, the code above)
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The four built-ins the envelope checks replace in the suite's runs are still there.
    assert done.stdout.strip().splitlines()[-1] == "[]"
