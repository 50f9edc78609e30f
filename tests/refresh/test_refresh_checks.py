"""`make refresh` runs mypy and pytest only when the spec or the generated client changed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scripts import refresh as refresh_script

from .repo import git
from .test_refresh_pipeline import published, write_json

CHECKS = "== does overlay/ still fit: type check"


@pytest.fixture
def refresh(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> Callable[..., str]:
    """`make refresh <args>` on ``repo``: the command's `main` in this process (its own process
    is run in test_refresh_pipeline and test_refresh_fal); all that it and the tools it started
    printed."""
    monkeypatch.setattr(refresh_script, "ROOT", repo)
    # The pytest it may start has no tests to find here; without plugins it says so at once.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    def run(*args: str) -> str:
        refresh_script.main(args)
        out, err = capfd.readouterr()
        return out + err

    return run


def test_nothing_changed_skips_mypy_and_pytest(repo: Path, refresh: Callable[..., str]) -> None:
    out = refresh()

    assert "regenerate ok" in out, out
    assert "mypy and pytest skipped: specs/ and generated/ are unchanged" in out
    assert CHECKS not in out and "== tests:" not in out
    assert git(repo, "status", "--porcelain") == ""


def test_a_changed_spec_runs_them(tmp_path: Path, refresh: Callable[..., str]) -> None:
    source = write_json(tmp_path / "new.json", published("new optional field"))

    out = refresh("--source", str(source), "--no-generate")  # the spec alone is enough

    assert "input.mode added, optional" in out
    assert CHECKS in out and "== tests:" in out


def test_a_change_left_uncommitted_by_an_earlier_refresh_runs_them(
    repo: Path, refresh: Callable[..., str]
) -> None:
    # An earlier refresh changed the spec, its checks failed, the overlay was fixed: rerun.
    additions = repo / "specs" / "apikley.additions.yaml"
    additions.write_text(additions.read_text() + "\n")  # the build is the same ...
    out = refresh("--no-generate")

    assert CHECKS in out and "== tests:" in out  # ... but specs/ is not what was committed
