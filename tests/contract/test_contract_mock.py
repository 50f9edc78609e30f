"""The contract suite against the local mock: the mock must match every provider's spec."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kling_avatar.contract import PROVIDERS, run_suite

# `make contract` sends 100 examples per operation; inside `make test` 20 keep each provider's
# run (every phase) to a few seconds on two cores. The seed is the same, so these requests are
# the first ones `make contract` sends too.
EXAMPLES = 20
# The headers the providers' keys travel in.
KEY_HEADERS = {"x-api-key", "authorization"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_mock_matches_spec(provider: str, tmp_path: Path) -> None:
    suite = run_suite([provider], max_examples=EXAMPLES, report_dir=tmp_path)

    failed = [result for result in suite.results if not result.ok]
    assert not failed, "\n\n".join([result.output for result in failed] + [suite.summary()])
    # The mock's job holds up too: a success and a failure followed to their end, no finding.
    assert suite.lifecycle == () and suite.lifecycle_tasks == 2, suite.summary()
    # The runs and the mock's faults reach every answer the spec documents, each spec-valid.
    assert suite.coverage is not None and suite.coverage.missing == [], suite.summary()
    assert suite.sweep_problems == ()
    report = json.loads((tmp_path / "contract-coverage.json").read_text())
    assert report["seen"] == report["documented"] > 0
    assert "| provider | operation |" in (tmp_path / "contract-coverage.md").read_text()
    # Every exchange schemathesis sent is in the HAR file for CI artifacts, keys masked.
    har = (tmp_path / "contract.har").read_text(encoding="utf-8")
    entries = json.loads(har)["log"]["entries"]
    assert len(entries) > 50
    assert {entry["request"]["method"] for entry in entries} >= {"GET", "POST"}
    sent = {
        header["value"]
        for entry in entries
        for header in entry["request"]["headers"]
        if header["name"].lower() in KEY_HEADERS
    }
    assert sent == {"[Filtered]"}, sent
