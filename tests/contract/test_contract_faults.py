"""The contract suite finds real faults: run against a deliberately broken server, it reports
each fault on the operation that has it, and nothing on the operations left intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from kling_avatar.contract import run_suite
from kling_avatar.testing import MockServer

from contract.broken_server import Faults, apikley_faults, broken_app, crun_faults, serve

# Fewer examples than the mock run: every fault shows on the first requests of its operation
# (the spec's own examples and the coverage phase), so a few fuzzed ones suffice.
EXAMPLES = 5

# operation -> the failure code each fault must raise there.
SCHEMA_VIOLATION = "ST108"  # response_schema_conformance
INVALID_ACCEPTED = "ST201"  # envelope_negative_data_rejection
AUTH_IGNORED = "ST914"  # envelope_ignored_auth
VALID_REJECTED = "ST912"  # envelope_positive_data_acceptance
EXPECTED = {
    "crun": {
        "GET /api/v1/client/account/balance": SCHEMA_VIOLATION,  # balance is a string
        "GET /api/v1/client/job/TaskInfo": SCHEMA_VIOLATION,  # no `message`
        "POST /api/v1/client/job/EstimateTask": INVALID_ACCEPTED,
        "GET /api/v1/client/files/upload-url": AUTH_IGNORED,
    },
    "apikley": {
        "GET /api/v1/chat/credit": SCHEMA_VIOLATION,  # data is a string
        "GET /api/v1/jobs/recordInfo": SCHEMA_VIOLATION,  # no `code`
        "POST /api/v1/common/download-url": INVALID_ACCEPTED,
        "POST /api/file-base64-upload": AUTH_IGNORED,  # on the upload server
        "POST /api/file-stream-upload": VALID_REJECTED,
    },
}


def _faults(provider: str, mock: MockServer) -> Faults:
    if provider == "crun":
        return crun_faults(mock.crun_key)
    return apikley_faults(mock.apikley_key)


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_suite_reports_each_fault_of_a_broken_server(provider: str, tmp_path: Path) -> None:
    with (
        MockServer(step=0.0, credits=1e9, seed=0) as mock,
        serve(broken_app(mock.base_url, _faults(provider, mock))) as url,
    ):
        keys = {"crun": mock.crun_key, "apikley": mock.apikley_key}
        suite = run_suite(
            [provider],
            url,
            keys,
            max_examples=EXAMPLES,
            allow_create=True,
            report_dir=tmp_path,
            shrink=False,  # which faults are found is the point, not their smallest example
            lifecycle=False,  # these faults break answers; test_contract_lifecycle breaks jobs
            # Every fault is on an operation of its own, reached by its direct requests; the
            # stateful phase (create, then query) would only repeat them.
            phases="examples,coverage,fuzzing",
        )

    reported: dict[str, set[str]] = {}
    for failure in suite.failures():
        reported.setdefault(failure.operation, set()).update(failure.codes.split(", "))
    assert not suite.ok
    for operation, code in EXPECTED[provider].items():
        assert code in reported.get(operation, set()), (operation, code, reported)
    # Behind the proxy the mock is intact everywhere else, so nothing else may be blamed.
    assert set(reported) == set(EXPECTED[provider]), reported
