"""`make refresh` runs mypy and pytest only when the spec or the generated client changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_refresh_pipeline import git, published, write_json

ROOT = Path(__file__).resolve().parents[2]
CHECKS = "== does overlay/ still fit: type check"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed copy of what the refresh reads and writes (no tests/: checks fail fast)."""
    repo = tmp_path / "repo"
    for folder in ("scripts", "specs", "generator", "generated"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "before")
    return repo


def refresh(repo: Path, *args: str) -> str:
    # The pytest it may start has no tests to find here; without plugins it says so at once.
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    done = subprocess.run(  # noqa: S603 - our own script on our own files
        [sys.executable, "-m", "scripts.refresh", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.stdout + done.stderr


def test_nothing_changed_skips_mypy_and_pytest(repo: Path) -> None:
    out = refresh(repo)

    assert "regenerate ok" in out, out
    assert "mypy and pytest skipped: specs/ and generated/ are unchanged" in out
    assert CHECKS not in out and "== tests:" not in out
    assert git(repo, "status", "--porcelain") == ""


def test_a_changed_spec_runs_them(repo: Path, tmp_path: Path) -> None:
    source = write_json(tmp_path / "new.json", published("new optional field"))

    out = refresh(repo, "--source", str(source), "--no-generate")  # the spec alone is enough

    assert "input.mode added, optional" in out
    assert CHECKS in out and "== tests:" in out


def test_a_change_left_uncommitted_by_an_earlier_refresh_runs_them(repo: Path) -> None:
    # An earlier refresh changed the spec, its checks failed, the overlay was fixed: rerun.
    additions = repo / "specs" / "apikley.additions.yaml"
    additions.write_text(additions.read_text() + "\n")  # the build is the same ...
    out = refresh(repo, "--no-generate")

    assert CHECKS in out and "== tests:" in out  # ... but specs/ is not what was committed
