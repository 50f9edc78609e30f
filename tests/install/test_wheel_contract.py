"""The contract suite as a user installs it: only the wheel with ``[contract,mock]`` in a fresh
venv, no repository on the path. The installed mock passes ``kling-avatar contract run`` for
every provider; a proxy that breaks the job fails it with the named lifecycle findings; a plain
``st run`` with the hooks module has no false alarm against the mock; a pytest run with the
plugin passes.

The mock's own contract run and the plain ``st run`` are tested here only, the way a user runs
them, rather than once in the repository's environment and again here: the same runs, with the
repository tests' example counts and assertions.
"""

from __future__ import annotations

import json
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from kling_avatar._registry import PROVIDERS

from install.test_wheel import constraints, ok, once_per_run, run, uv, wheel

__all__ = ["constraints", "wheel"]  # the fixtures this module shares with test_wheel

BROKEN_SERVER = Path(__file__).resolve().parents[1] / "contract" / "broken_server.py"


@pytest.fixture(scope="session")
def user(tmp_path_factory: pytest.TempPathFactory, wheel: Path, constraints: Path) -> Path:
    """A folder of the user's own with a venv holding only the wheel and its two extras (one for
    the whole run; each test works in a folder of its own beside it)."""

    def install(place: Path) -> None:
        ok(run([uv(), "venv", "--quiet", str(place / "venv"), "--python", sys.executable], place))
        python = str(place / "venv" / "bin" / "python")
        requirement = f"kling-avatar[contract,mock] @ {wheel.as_uri()}"
        # Compiled as pip compiles what it installs; uv does not by default, and with
        # PYTHONDONTWRITEBYTECODE set each process below would compile schemathesis,
        # Hypothesis and the rest from source again.
        ok(run([uv(), "pip", "install", "--quiet", "--compile-bytecode", "--python", python,
                "-c", str(constraints), requirement], place))  # fmt: skip

    return once_per_run(tmp_path_factory, "contract-user", install)


# `make contract` sends 100 examples per operation; 20 keep each provider's run (every phase) to
# a few seconds on two cores. The seed is the same, so these requests are the first ones
# `make contract` sends too.
EXAMPLES = "20"
# The headers the providers' keys travel in.
KEY_HEADERS = {"x-api-key", "authorization"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_installed_mock_passes_the_contract_run(
    user: Path, provider: str, tmp_path: Path
) -> None:
    """`kling-avatar contract run` as installed, on its own mock: the provider's spec, the job's
    lifecycle, every documented answer seen, and the reports a CI job keeps."""
    kling = str(user / "venv" / "bin" / "kling-avatar")
    command = [kling, "contract", "run", "--provider", provider, "--max-examples", EXAMPLES]
    done = run([*command, "--fail-on-unseen", "--report-dir", "r"], tmp_path)
    # Exit 0 also means no lifecycle finding, no fault-sweep problem and, with
    # --fail-on-unseen, no documented answer left unseen.
    assert done.returncode == 0, done.stdout + done.stderr
    assert "contract suite passed" in done.stdout
    assert f"  {provider} " in done.stdout, done.stdout
    # The mock's job holds up: a success and a failure followed to their end.
    assert "0 findings over 2 tasks followed to their end" in done.stdout, done.stdout
    reports = tmp_path / "r"
    assert (reports / "contract.xml").is_file()
    coverage = json.loads((reports / "contract-coverage.json").read_text())
    assert coverage["seen"] == coverage["documented"] > 0
    assert "| provider | operation |" in (reports / "contract-coverage.md").read_text()
    # Every exchange schemathesis sent is in the HAR file for CI artifacts, keys masked.
    entries = json.loads((reports / "contract.har").read_text(encoding="utf-8"))["log"]["entries"]
    assert len(entries) > 50
    assert {entry["request"]["method"] for entry in entries} >= {"GET", "POST"}
    sent = {
        header["value"]
        for entry in entries
        for header in entry["request"]["headers"]
        if header["name"].lower() in KEY_HEADERS
    }
    assert sent == {"[Filtered]"}, sent
    # The spec it prints is the wheel's, not a clone's.
    spec = ok(run([kling, "contract", "spec", provider], tmp_path)).strip()
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


def test_a_broken_job_fails_the_installed_run_with_its_findings(user: Path, tmp_path: Path) -> None:
    """The installed command fails a broken job and names its findings. One provider is enough
    here: what is the same for all of them is the command's (its exit status and report), and
    what is each provider's own is tested for every one of them twice over: the installed run
    follows each one's job on the mock, and tests/contract/test_contract_lifecycle.py finds each
    one's breaks. fal's job has the most to follow (a queue, its result URL, signed webhooks)."""
    provider = "fal"
    shutil.copy(BROKEN_SERVER, tmp_path / "broken_server.py")
    (tmp_path / "lifecycle_run.py").write_text(LIFECYCLE_RUN, encoding="utf-8")
    python = str(user / "venv" / "bin" / "python")
    done = ok(run([python, "lifecycle_run.py", provider], tmp_path))
    returncode, _, output = done.partition("\n")
    assert returncode == "1", output
    assert "terminal-state-changed" in output and "result-url-dead" in output, output
    assert "contract suite FAILED" in output


ST_RUN = """
import os, subprocess, sys
from kling_avatar.testing import MockServer

bin = os.path.dirname(sys.executable)
provider = sys.argv[1]
spec = subprocess.run([os.path.join(bin, "kling-avatar"), "contract", "spec", provider],
                      capture_output=True, text=True, check=True).stdout.strip()
with MockServer(step=0.0, credits=1e9, seed=0) as mock:
    key = mock.keys[provider]
    header = {"crun": "x-api-key: " + key, "apikley": "Authorization: Bearer " + key,
              "fal": "Authorization: Key " + key}[provider]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEMATHESIS", "CONTRACT"))}
    env.update(SCHEMATHESIS_HOOKS="kling_avatar.contract.hooks", CONTRACT_ALLOW_CREATE="1")
    done = subprocess.run(
        [os.path.join(bin, "st"), "run", spec, "--url", mock.base_url, "-H", header,
         "--max-examples", "10", "--seed", "0", "--generation-database", "none",
         "--report", "junit", "--report-junit-path", provider + ".xml"],
        env=env, capture_output=True, text=True, timeout=600,
    )
print(done.returncode)
print(done.stdout[-3000:])
"""


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_st_run_with_the_installed_hooks_has_no_false_alarm_on_the_mock(
    user: Path, provider: str, tmp_path: Path
) -> None:
    """`st run` as a user of the ecosystem runs it, with the installed hooks module: no
    failure against the mock. Without the hooks the same run has failures, every one a false
    alarm (scripts/st_false_alarms.py prints both side by side); that the hooks still find a
    planted fault is tests/contract/test_contract_hooks.py's."""
    (tmp_path / "st_run.py").write_text(ST_RUN, encoding="utf-8")
    done = ok(run([str(user / "venv" / "bin" / "python"), "st_run.py", provider], tmp_path))
    returncode, _, output = done.partition("\n")
    assert returncode == "0", output
    tree = ET.parse(tmp_path / f"{provider}.xml")  # noqa: S314 (written by the run above)
    cases = list(tree.iter("testcase"))
    assert cases, output
    failed = [
        (case.get("name"), problem.get("message"))
        for case in cases
        for problem in [*case.iter("failure"), *case.iter("error")]
    ]
    assert failed == [], failed


def test_a_pytest_run_with_the_installed_plugin_passes_on_the_mock(
    user: Path, tmp_path: Path
) -> None:
    tests = tmp_path / "service_tests"
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
         "--basetemp", str(tmp_path / "service-tmp"),
         "--kling-contract", "--kling-contract-provider=crun", "--kling-contract-max-examples=3"],
        tests,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
