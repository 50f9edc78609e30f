"""A service's own pytest run gets the contract suite from the plugin: ``--kling-contract``
adds a test per provider, the ``kling_contract`` fixture runs it from a test of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SERVICE_TEST = """
def test_our_provider_keeps_its_contract(kling_contract):
    suite = kling_contract("crun", max_examples=3)
    assert suite.ok
"""


def test_the_plugin_runs_the_contract_against_the_mock(tmp_path: Path) -> None:
    (tmp_path / "test_service.py").write_text(SERVICE_TEST, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", ".",
        "--kling-contract", "--kling-contract-provider=apikley", "--kling-contract-max-examples=3",
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 (this environment's pytest, on the file above)
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout, done.stdout


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
