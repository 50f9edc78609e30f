"""The README's "Using the client" examples run as written, against the local mock."""

from __future__ import annotations

import pytest
from kling_avatar.testing import MockServer
from readme import examples, run_example

SECTION = "Using the client"


def test_the_section_has_examples() -> None:
    assert len(examples(SECTION)) >= 3


@pytest.mark.parametrize("index", range(len(examples(SECTION))))
def test_readme_example_runs(mock: MockServer, index: int) -> None:
    done = run_example(mock, examples(SECTION)[index])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
