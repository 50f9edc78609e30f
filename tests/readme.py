"""The README's Python examples, and running one as a user would against the local mock."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from kling_avatar.testing import MockServer

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def examples(heading: str) -> list[str]:
    """The ```python blocks of the README section under `## <heading>`."""
    section = README.read_text().split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def run_example(mock: MockServer, code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter whose environment points both providers at `mock`."""
    env = {
        "CRUN_API_KEY": mock.crun_key,
        "APIKLEY_API_KEY": mock.apikley_key,
        "CRUN_BASE_URL": mock.base_url,
        "APIKLEY_BASE_URL": mock.base_url,
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(  # noqa: S603 - our own README, run on purpose
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
