"""The contract suite as a user installs it: only the wheel with ``[contract,mock]`` in a fresh
venv, no repository on the path. The installed mock passes ``kling-avatar contract run`` for
every provider; a proxy that breaks the job fails it with the named lifecycle findings; a plain
``st run`` with the hooks module passes against the mock; a pytest run with the plugin passes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from kling_avatar._registry import PROVIDERS

from install.test_wheel import constraints, ok, run, uv, wheel

__all__ = ["constraints", "wheel"]  # the fixtures this module shares with test_wheel

BROKEN_SERVER = Path(__file__).resolve().parents[1] / "contract" / "broken_server.py"


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory, wheel: Path, constraints: Path) -> Path:
    """A folder of the user's own with a venv holding only the wheel and its two extras."""
    place = tmp_path_factory.mktemp("contract-user")
    ok(run([uv(), "venv", "--quiet", str(place / "venv"), "--python", sys.executable], place))
    python = str(place / "venv" / "bin" / "python")
    requirement = f"kling-avatar[contract,mock] @ {wheel.as_uri()}"
    # Compiled as pip compiles what it installs; uv does not by default, and with
    # PYTHONDONTWRITEBYTECODE set each process below would compile schemathesis, Hypothesis and
    # the rest from source again.
    ok(run([uv(), "pip", "install", "--quiet", "--compile-bytecode", "--python", python,
            "-c", str(constraints), requirement], place))  # fmt: skip
    return place


def test_the_installed_mock_passes_the_contract_run(user: Path) -> None:
    kling = str(user / "venv" / "bin" / "kling-avatar")
    done = run([kling, "contract", "run", "--max-examples", "5", "--report-dir", "r"], user)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "contract suite passed" in done.stdout
    # Every provider's runs, each passed.
    for provider in PROVIDERS:
        assert f"  {provider} " in done.stdout, (provider, done.stdout)
    for report in ("contract.xml", "contract.har", "contract-coverage.md"):
        assert (user / "r" / report).is_file(), report
    # The spec it prints is the wheel's, not a clone's.
    spec = ok(run([kling, "contract", "spec", "crun"], user)).strip()
    assert Path(spec).is_relative_to(user / "venv"), spec


LIFECYCLE_RUN = """
import os, subprocess, sys
from broken_server import LifecycleFaults, broken_app, serve
from kling_avatar.testing import MockServer

provider = sys.argv[1]
with MockServer(step=0.0, credits=1e6, seed=0) as mock, serve(
    broken_app(mock.base_url, lifecycle=LifecycleFaults(regress=True, dead_results=True))
) as url:
    env = dict(
        os.environ,
        CRUN_API_KEY=mock.keys["crun"],
        APIKLEY_API_KEY=mock.keys["apikley"],
        FAL_KEY=mock.keys["fal"],
        CONTRACT_IMAGE_URL=url + "/media/x",
        CONTRACT_AUDIO_URL=url + "/media/y",
        CONTRACT_LIFECYCLE_TIMEOUT="60",
        # A task on the local mock is done at once: its re-reads need not wait 2 s, 4 s.
        CONTRACT_LIFECYCLE_POLL="0.05",
    )
    done = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "kling-avatar"), "contract", "run",
         "--provider", provider, "--base-url", url, "--allow-create", "--max-examples", "3",
         "--report-dir", "broken-" + provider],
        env=env, capture_output=True, text=True, timeout=600,
    )
print(done.returncode)
print(done.stdout)
print(done.stderr)
"""


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_broken_job_fails_the_installed_run_with_its_findings(user: Path, provider: str) -> None:
    shutil.copy(BROKEN_SERVER, user / "broken_server.py")
    (user / "lifecycle_run.py").write_text(LIFECYCLE_RUN, encoding="utf-8")
    done = ok(run([str(user / "venv" / "bin" / "python"), "lifecycle_run.py", provider], user))
    returncode, _, output = done.partition("\n")
    assert returncode == "1", output
    assert "terminal-state-changed" in output and "result-url-dead" in output, output
    assert "contract suite FAILED" in output


ST_RUN = """
import os, subprocess, sys
from kling_avatar.testing import MockServer

bin = os.path.dirname(sys.executable)
spec = subprocess.run([os.path.join(bin, "kling-avatar"), "contract", "spec", sys.argv[1]],
                      capture_output=True, text=True, check=True).stdout.strip()
with MockServer(step=0.0, credits=1e9, seed=0) as mock:
    key = mock.keys[sys.argv[1]]
    header = {"crun": "x-api-key: " + key, "apikley": "Authorization: Bearer " + key,
              "fal": "Authorization: Key " + key}[sys.argv[1]]
    env = dict(os.environ, SCHEMATHESIS_HOOKS="kling_avatar.contract.hooks",
               CONTRACT_ALLOW_CREATE="1")
    done = subprocess.run(
        [os.path.join(bin, "st"), "run", spec, "--url", mock.base_url, "-H", header,
         "--max-examples", "5", "--seed", "0", "--generation-database", "none"],
        env=env, capture_output=True, text=True, timeout=600,
    )
print(done.returncode)
print(done.stdout[-3000:])
"""


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_st_run_with_the_installed_hooks_passes_on_the_mock(
    user: Path, provider: str
) -> None:
    (user / "st_run.py").write_text(ST_RUN, encoding="utf-8")
    done = ok(run([str(user / "venv" / "bin" / "python"), "st_run.py", provider], user))
    returncode, _, output = done.partition("\n")
    assert returncode == "0", output


def test_a_pytest_run_with_the_installed_plugin_passes_on_the_mock(user: Path) -> None:
    tests = user / "service_tests"
    tests.mkdir(exist_ok=True)
    (tests / "test_service.py").write_text(
        # The fixture, without schemathesis's runs (the option's test below has them): the
        # lifecycle and coverage parts against a fresh mock.
        "def test_contract(kling_contract):\n"
        "    assert kling_contract('apikley', schema=False).lifecycle_tasks == 2\n",
        encoding="utf-8",
    )
    # pytest comes with schemathesis, which the contract extra installs.
    # Its own temporary folder: pytest's default one is shared by every pytest run of the user,
    # and at the end of each pytest deletes all but the newest three runs' folders there.
    done = run(
        [str(user / "venv" / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--basetemp", str(user / "service-tmp"),
         "--kling-contract", "--kling-contract-provider=crun", "--kling-contract-max-examples=3"],
        tests,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
