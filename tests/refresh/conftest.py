"""``repo``: a committed copy of what `make refresh` reads and writes, one per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .repo import committed_copy


@pytest.fixture(scope="session")
def committed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copied and committed once; each test takes a copy of the result, .git and all."""
    return committed_copy(tmp_path_factory.mktemp("committed") / "repo")


@pytest.fixture
def repo(committed: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(committed, tmp_path / "repo", symlinks=True))
