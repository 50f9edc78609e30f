"""The README's router examples run as written, against the local mock."""

from __future__ import annotations

import pytest
from kling_avatar.testing import MockServer
from readme import README, examples, run_example

SECTION = "One call over several providers"


def test_the_section_has_an_example_and_the_rule_table() -> None:
    assert examples(SECTION)
    assert "| 402 `InsufficientCreditsError` | tries the next provider" in README.read_text()


@pytest.mark.parametrize("index", range(len(examples(SECTION))))
def test_readme_router_example_runs(mock: MockServer, index: int) -> None:
    mock.set_credits(0.0, "apikley")
    done = run_example(mock, examples(SECTION)[index])
    assert done.returncode == 0, done.stderr
    assert "apikley skipped insufficient credits (402)" in done.stdout
    assert "crun created" in done.stdout
