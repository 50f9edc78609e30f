"""The contract suite against the local mock: the mock must match both specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.contract import run_suite

# `make contract` sends 100 examples per operation; inside `make test` 20 keep the whole run
# (both providers, every phase) to about half a minute on two cores. The seed is the same, so
# these requests are the first ones `make contract` sends too.
EXAMPLES = 20


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_mock_matches_spec(provider: str, tmp_path: Path) -> None:
    suite = run_suite([provider], max_examples=EXAMPLES, report_dir=tmp_path)

    failed = [result for result in suite.results if not result.ok]
    assert not failed, "\n\n".join([result.output for result in failed] + [suite.summary()])
