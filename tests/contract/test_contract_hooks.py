"""A plain ``st run`` with ``SCHEMATHESIS_HOOKS=kling_avatar.contract.hooks``, as a user of the
ecosystem runs it, still finds a planted wrong type. That the same run has no false alarm on the
mock is shown with the installed wheel (tests/install/test_wheel_contract.py), which runs it the
user's way."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from kling_avatar._registry import Provider
from kling_avatar.contract import PROVIDERS, spec_path
from kling_avatar.testing import MockServer

from contract.broken_server import auth_header, broken_app, faults_of, serve

EXAMPLES = "10"


def st_run(
    provider: str, url: str, key: str, folder: Path, only_path: str | None = None
) -> list[tuple[str, str]]:
    """(operation, failure message) of each failure the run's JUnit report lists."""
    header = ": ".join(auth_header(provider, key))
    junit = folder / f"{provider}.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEMATHESIS", "CONTRACT"))}
    # The mock may be sent task creations; a real provider gets none without it.
    env.update(SCHEMATHESIS_HOOKS="kling_avatar.contract.hooks", CONTRACT_ALLOW_CREATE="1")
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(spec_path(provider)), "--url", url,
        "-H", header, "--max-examples", EXAMPLES, "--seed", "0", "--generation-database", "none",
        "--report", "junit", "--report-junit-path", str(junit),
        *(["--include-path", only_path] if only_path else []),
        # One operation has no links to follow: no stateful phase.
        *(["--phases", "examples,coverage,fuzzing"] if only_path else []),
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 (this environment's schemathesis)
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert junit.exists(), done.stdout + done.stderr
    tree = ET.parse(junit)  # noqa: S314 (written by the run above)
    return [
        (case.get("name", ""), problem.get("message", "") + (problem.text or ""))
        for case in tree.iter("testcase")
        for problem in [*case.iter("failure"), *case.iter("error")]
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_st_run_with_the_hooks_finds_a_planted_wrong_type(
    provider: Provider, tmp_path: Path
) -> None:
    with MockServer(step=0.0, credits=1e9, seed=0) as mock:
        key = mock.keys[provider]
        faults = faults_of(provider, key)
        with serve(broken_app(mock.base_url, faults)) as url:
            found = st_run(provider, url, key, tmp_path, only_path=faults.wrong_type)
    assert found, "the planted wrong type went unnoticed"
    assert all(operation.endswith(faults.wrong_type) for operation, _ in found), found
    assert any("Response violates schema" in text for _, text in found), found
