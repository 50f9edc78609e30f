"""The README's router examples run as written, against the local mock."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from kling_avatar.testing import MockServer

ROOT = Path(__file__).resolve().parents[2]


def examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## One call over both providers", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_the_section_has_an_example_and_the_rule_table() -> None:
    assert examples()
    text = (ROOT / "README.md").read_text()
    assert "| 402 `InsufficientCreditsError` | tries the next provider" in text


@pytest.mark.parametrize("index", range(len(examples())))
def test_readme_router_example_runs(mock: MockServer, index: int) -> None:
    mock.set_credits(0.0, "apikley")
    env = {
        "CRUN_API_KEY": mock.crun_key,
        "APIKLEY_API_KEY": mock.apikley_key,
        "CRUN_BASE_URL": mock.base_url,
        "APIKLEY_BASE_URL": mock.base_url,
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(  # noqa: S603 - our own README, run on purpose
        [sys.executable, "-c", examples()[index]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "apikley skipped insufficient credits (402)" in done.stdout
    assert "crun created" in done.stdout
