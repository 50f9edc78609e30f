"""The plugin is registered wherever the package is installed, so it must stay inert in a
pytest run that does not ask for it. (A run that asks, with ``--kling-contract`` and the
``kling_contract`` fixture, is tests/install/test_wheel_contract.py's, from the wheel.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_without_the_option_the_plugin_adds_nothing(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
