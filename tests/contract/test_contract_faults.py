"""The contract suite finds real faults: run against a deliberately broken server, it reports
each fault on the operation that has it, and nothing on the operations left intact."""

from __future__ import annotations

from pathlib import Path

import pytest
from kling_avatar._registry import Provider
from kling_avatar.contract import PROVIDERS, run_suite
from kling_avatar.testing import MockServer

from contract.broken_server import broken_app, faults_of, serve

# Fewer examples than the mock run: every fault shows on the first requests of its operation
# (the spec's own examples and the coverage phase), so a few fuzzed ones suffice.
EXAMPLES = 5

# operation -> the failure code each fault must raise there.
SCHEMA_VIOLATION = "ST108"  # response_schema_conformance
INVALID_ACCEPTED = "ST201"  # envelope_negative_data_rejection (the built-in's code)
AUTH_IGNORED = "ST914"  # envelope_ignored_auth
BUILTIN_AUTH_IGNORED = "ST401"  # ignored_auth, which fal's real HTTP statuses keep
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
    "fal": {
        "GET /.well-known/jwks.json": SCHEMA_VIOLATION,  # keys is a string
        "POST /storage/upload/initiate": SCHEMA_VIOLATION,  # no `file_url`
        "POST /fal-ai/kling-video/v1/pro/ai-avatar": INVALID_ACCEPTED,
        "POST /fal-ai/kling-video/v1/standard/ai-avatar": BUILTIN_AUTH_IGNORED,
        "POST /fal-ai/kling-video/ai-avatar/v2/pro": VALID_REJECTED,
    },
}


def test_every_provider_has_its_faults() -> None:
    assert set(EXPECTED) == set(PROVIDERS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_suite_reports_each_fault_of_a_broken_server(provider: Provider, tmp_path: Path) -> None:
    with MockServer(step=0.0, credits=1e9, seed=0) as mock:
        keys = {str(name): key for name, key in mock.keys.items()}
        with serve(broken_app(mock.base_url, faults_of(provider, keys[provider]))) as url:
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
