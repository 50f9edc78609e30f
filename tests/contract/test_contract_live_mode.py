"""Against a real provider the suite spends nothing unless asked: task creation and uploads get
only requests that cannot succeed. The mock stands in for the provider and keeps the books."""

from __future__ import annotations

from pathlib import Path

from kling_avatar.contract import PROVIDERS, WRITE_OPERATIONS, Run, run_suite
from kling_avatar.contract._providers import facts
from kling_avatar.testing import MockServer

# A few examples suffice: the property is that no write succeeds, whatever is generated.
EXAMPLES = 5


def _sends_writes(run: Run) -> bool:
    return bool(set(run.operations) & WRITE_OPERATIONS)


def test_live_run_sends_invalid_writes_only(tmp_path: Path) -> None:
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        before = {name: mock.credits(name) for name in PROVIDERS}
        suite = run_suite(
            PROVIDERS,
            mock.base_url,  # a base URL: the suite treats it as a real provider
            {str(name): key for name, key in mock.keys.items()},
            max_examples=EXAMPLES,
            report_dir=tmp_path,
            # The runs that send writes are the ones that could spend credits; the reads'
            # runs are the same requests the installed mock's contract run sends (more of them) to
            # the mock (tests/install/test_wheel_contract.py).
            only=_sends_writes,
        )
        after = {name: mock.credits(name) for name in PROVIDERS}
        writes = {op: mock.calls(op) for name in PROVIDERS for op in facts(name).creations}

    assert suite.ok, suite.summary()
    # Every creation was exercised, with requests that had to be rejected, and nothing was
    # charged.
    assert all(count > 0 for count in writes.values()), writes
    assert after == before
