"""The README's Python examples, and running one as a user's script against the local mock."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import traceback
from pathlib import Path
from unittest.mock import patch

from kling_avatar.testing import MockServer
from kling_avatar.testing._lookup import provider_mocks

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def examples(heading: str) -> list[str]:
    """The ```python blocks of the README section under `## <heading>`."""
    section = README.read_text().split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def run_example(mock: MockServer, code: str) -> subprocess.CompletedProcess[str]:
    """`code` run as a user's script whose environment points every provider at `mock`.

    In this process (a fresh interpreter per example cost a second of CPU each): the script's
    own namespace, the environment replaced by the user's for the run, its streams captured,
    an exception that escapes it printed as the interpreter would, with exit status 1.
    """
    env = {"PATH": "/usr/bin:/bin"}
    for name, kind in provider_mocks().items():
        env[kind.key_variable] = mock.keys[name]
        env[kind.base_url_variable] = mock.base_url
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    with (
        patch.dict(os.environ, env, clear=True),
        contextlib.chdir(ROOT),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            exec(compile(code, "<README example>", "exec"), {"__name__": "__main__"})  # noqa: S102 - our own README, run on purpose
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        except Exception:
            traceback.print_exc()
            status = 1
    return subprocess.CompletedProcess(
        ["<README example>"], status, stdout.getvalue(), stderr.getvalue()
    )
