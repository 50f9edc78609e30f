"""`kling-avatar contract`: the installed spec's path, exit statuses a CI job can act on, and a
command line that loads schemathesis only when the contract is run."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kling_avatar._cli import main
from kling_avatar._yaml import safe_load


def test_spec_prints_the_installed_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "spec", "apikley"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert safe_load(path.read_text(encoding="utf-8"))["info"]["title"]


def test_the_other_commands_and_spec_never_import_schemathesis() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from kling_avatar._cli import build_parser, main\n"
        "build_parser()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['contract', 'spec', 'crun']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('schemathesis', 'hypothesis')))"
    )
    done = subprocess.run(  # noqa: S603 (this interpreter, the code above)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_without_the_extra_it_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "schemathesis" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert main(["contract", "run"]) == 2
    assert "pip install 'kling-avatar[contract]'" in capsys.readouterr().err


def test_a_live_run_without_its_key_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CRUN_API_KEY", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["contract", "run", "--provider", "crun", "--base-url", "http://127.0.0.1:9"])
    assert exited.value.code == 2
    assert "CRUN_API_KEY must hold the API key" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["http://user:secret-pass@127.0.0.1:9", "ftp://127.0.0.1", "http://[::1"]
)
def test_a_base_url_with_credentials_or_none_is_refused_unprinted(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRUN_API_KEY", "ak_test")
    with pytest.raises(SystemExit) as exited:
        main(["contract", "run", "--provider", "crun", "--base-url", url])
    assert exited.value.code == 2
    assert "secret-pass" not in capsys.readouterr().err


@pytest.mark.parametrize("value", ["soon", "nan", "-1", "0"])
def test_a_lifecycle_duration_that_is_none_is_a_usage_error(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRUN_API_KEY", "ak_test")
    monkeypatch.setenv("CONTRACT_LIFECYCLE_POLL", value)
    with pytest.raises(SystemExit) as exited:
        main(["contract", "run", "--provider", "crun", "--base-url", "http://127.0.0.1:9"])
    assert exited.value.code == 2
    assert "CONTRACT_LIFECYCLE_POLL: must be a finite number of seconds > 0" in (
        capsys.readouterr().err
    )
