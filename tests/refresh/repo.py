"""A throwaway git repository holding what `make refresh` reads and writes, for the refreshes
that run the whole pipeline (regeneration, `git diff`, the checks' "anything uncommitted?")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# No tests/: the pytest a refresh may start finds nothing to run there and stops at once.
FOLDERS = ("scripts", "specs", "generator", "generated")


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=refresh test", "-c", "user.email=refresh@example.invalid"]
    command = ["git", *identity, *args]
    # Fixed commands of our own, run in a temporary repository.
    done = subprocess.run(  # noqa: S603
        command, cwd=repo, capture_output=True, text=True, check=True
    )
    return done.stdout


def committed_copy(repo: Path) -> Path:
    """``FOLDERS`` of the real tree copied to ``repo`` and committed there."""
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "before")
    return repo
