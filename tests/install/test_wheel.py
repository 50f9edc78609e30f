"""The README's install route, as a user takes it: build the wheel, install it into a fresh
venv (no repository on the path), run the command, import the package, then add the mock extra.

Dependencies come pinned from uv.lock (`uv export` as constraints), so the install needs
nothing the lock does not name, and uv's cache serves it after `make env`.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import kling_avatar
import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 300  # a cold cache downloads from PyPI


def uv() -> str:
    found = ROOT / ".tools" / "bin" / "uv"
    if found.exists():
        return str(found)
    on_path = shutil.which("uv")
    if on_path is None:
        pytest.fail("no uv: run `make env` first (it installs the pinned uv into .tools/)")
    return on_path


def run(command: Sequence[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Nothing of the repository's environment leaks in: no PYTHONPATH, no active venv.
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    clean.update(UV_PYTHON_DOWNLOADS="never", **env)
    done = subprocess.run(  # noqa: S603 (pinned tools on our own files)
        list(command),
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    return done


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def once_per_run(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``make`` once per test run: the first pytest-xdist worker
    to ask makes it, the others wait for it and share it (each worker is a session of its own,
    so a session fixture alone would build one per worker)."""
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".made").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            (folder / ".made").touch()
    return folder


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make wheel`'s command: the wheel in dist/ (here a temporary folder)."""

    def build(out: Path) -> None:
        ok(run([uv(), "build", "--wheel", "--quiet", "--out-dir", str(out)], ROOT))

    (built,) = once_per_run(tmp_path_factory, "dist", build).glob("kling_avatar-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    place = tmp_path_factory.mktemp("user")
    ok(run([uv(), "venv", "--quiet", str(place / "venv"), "--python", sys.executable], place))
    return place / "venv"


@pytest.fixture(scope="session")
def constraints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def export(folder: Path) -> None:
        command = [uv(), "export", "--frozen", "--no-dev", "--all-extras", "--no-emit-project"]
        ok(run([*command, "--no-hashes", "--quiet", "-o", str(folder / "constraints.txt")], ROOT))

    return once_per_run(tmp_path_factory, "lock", export) / "constraints.txt"


def install(venv: Path, constraints: Path, requirement: str) -> None:
    python = str(venv / "bin" / "python")
    ok(run([uv(), "pip", "install", "--quiet", "--python", python, "-c", str(constraints),
            requirement], venv.parent))  # fmt: skip


def python(venv: Path, code: str) -> subprocess.CompletedProcess[str]:
    return run([str(venv / "bin" / "python"), "-c", code], venv.parent)


def test_the_wheel_holds_only_the_projects_two_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        top = {name.split("/")[0] for name in archive.namelist()}
    assert {name for name in top if not name.endswith(".dist-info")} == {
        "kling_avatar",
        "kling_avatar_generated",
    }


def test_installed_wheel_runs_without_the_mock_then_with_it(
    wheel: Path, venv: Path, constraints: Path
) -> None:
    install(venv, constraints, str(wheel))

    help_text = ok(run([str(venv / "bin" / "kling-avatar"), "--help"], venv.parent))
    assert "exit status:" in help_text and "EndpointNotFoundError" in help_text
    version = ok(run([str(venv / "bin" / "kling-avatar"), "--version"], venv.parent))
    assert version == f"kling-avatar {kling_avatar.__version__}\n"
    where = ok(
        python(
            venv,
            "import importlib.util, kling_avatar\n"
            "print(kling_avatar.__version__, kling_avatar.__file__)\n"
            "for generic in ('crun_client', 'apikley_client'):\n"
            "    assert importlib.util.find_spec(generic) is None, generic\n",
        )
    )
    assert where.split()[0] == kling_avatar.__version__
    assert Path(where.split()[1]).is_relative_to(venv), "the installed copy, not the clone's"

    # Without the extra, the mock says which extra to install.
    missing = python(venv, "import kling_avatar.testing")
    assert missing.returncode == 1
    assert missing.stderr.splitlines()[-1].startswith("ModuleNotFoundError: kling_avatar.testing")
    assert "pip install 'kling-avatar[mock]'" in missing.stderr

    install(venv, constraints, f"kling-avatar[mock] @ {wheel.as_uri()}")
    # The installed mock serves from the specs inside the wheel, and the command talks to it.
    demo = python(
        venv,
        "import os, subprocess, sys\n"
        "from kling_avatar.testing import MockServer\n"
        "with MockServer(step=0) as mock:\n"
        "    env = dict(os.environ, CRUN_BASE_URL=mock.base_url, CRUN_API_KEY=mock.crun_key)\n"
        f"    command = [{str(venv / 'bin' / 'kling-avatar')!r}, 'credits', '--provider', 'crun']\n"
        "    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)\n"
        "print(done.returncode, done.stdout.strip(), done.stderr.strip())\n",
    )
    assert ok(demo).split()[:2] == ["0", "100"], demo.stdout + demo.stderr


def test_readme_commands_work_outside_an_activated_venv() -> None:
    readme = (ROOT / "README.md").read_text()
    # A bare `python scripts/x.py` fails on a fresh shell: the dependencies are in .venv only.
    scripts = re.findall(r"(\S*)python (scripts/\S+\.py)", readme)
    assert scripts, "the README names its benchmark scripts"
    for prefix, script in scripts:
        assert prefix.endswith(".venv/bin/"), f"{prefix}python {script}"
        assert (ROOT / script).is_file(), script
    # The package is not on PyPI: every pip install of it says where it comes from.
    installs = re.findall(
        r'^pip install "?(kling-avatar[^"\s]*)"?(?: @ (\S+))?', readme, flags=re.MULTILINE
    )
    assert installs
    assert all(source for _, source in installs), installs
