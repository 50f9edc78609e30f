"""Against a real provider the suite spends nothing unless asked: task creation and uploads get
only requests that cannot succeed. The mock stands in for the provider and keeps the books."""

from __future__ import annotations

from pathlib import Path

import httpx
from kling_avatar.contract import WRITE_OPERATIONS, Run, run_suite
from kling_avatar.testing import MockServer

# A few examples suffice: the property is that no write succeeds, whatever is generated.
EXAMPLES = 5


def _credits(mock: MockServer) -> tuple[float, float]:
    crun = httpx.get(
        f"{mock.base_url}/api/v1/client/account/balance", headers={"x-api-key": mock.crun_key}
    )
    apikley = httpx.get(
        f"{mock.base_url}/api/v1/chat/credit",
        headers={"Authorization": f"Bearer {mock.apikley_key}"},
    )
    return crun.json()["data"]["balance"], apikley.json()["data"]


def _sends_writes(run: Run) -> bool:
    return bool(set(run.operations) & WRITE_OPERATIONS)


def test_live_run_sends_invalid_writes_only(tmp_path: Path) -> None:
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        before = _credits(mock)
        suite = run_suite(
            ["crun", "apikley"],
            mock.base_url,  # a base URL: the suite treats it as a real provider
            {"crun": mock.crun_key, "apikley": mock.apikley_key},
            max_examples=EXAMPLES,
            report_dir=tmp_path,
            # The runs that send writes are the ones that could spend credits; the reads'
            # runs are the same requests test_contract_mock sends (more of them) to this mock.
            only=_sends_writes,
        )
        after = _credits(mock)
        writes = {op: mock.calls(op) for op in ("createTask", "kling-ai-avatar-v1-pro")}

    assert suite.ok, suite.summary()
    # Creation was exercised, with requests that had to be rejected, and nothing was charged.
    assert all(count > 0 for count in writes.values()), writes
    assert after == before
