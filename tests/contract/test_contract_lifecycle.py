"""The lifecycle checks find a broken job whose every answer matches its spec, and pass the mock.

`broken_server.py` puts a proxy in front of the mock that breaks the lifecycle only: a finished
task reads as running again, result URLs are dead, callbacks leave the `callbacks` schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from kling_avatar.contract import DriveSettings, drive, run_suite
from kling_avatar.testing import MockServer

from contract.broken_server import LifecycleFaults, broken_app, serve

BROKEN = LifecycleFaults(regress=True, dead_results=True, bad_callback=True)


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_broken_lifecycle_fails_the_suite_with_named_findings(
    provider: str, tmp_path: Path
) -> None:
    with (
        MockServer(step=0.0, credits=100.0, seed=0) as mock,
        serve(broken_app(mock.base_url, lifecycle=BROKEN)) as url,
    ):
        settings = DriveSettings(
            media=(f"{url}/media/x", f"{url}/media/y"),
            fail_one=lambda op: mock.fault("task_fail", op),
        )
        suite = run_suite(
            [provider],
            url,
            {"crun": mock.crun_key, "apikley": mock.apikley_key},
            allow_create=True,
            report_dir=tmp_path,
            schema=False,  # each answer is spec-valid; the job is what is broken
            lifecycle=settings,
        )

    assert not suite.ok
    names = {finding.name for finding in suite.lifecycle}
    assert {"terminal-state-changed", "result-url-dead", "callback-off-schema"} <= names, names
    # Each finding names its task and carries the answers that show it.
    for finding in suite.lifecycle:
        assert finding.provider == provider
        assert finding.task_id and finding.evidence, finding
    assert "contract-lifecycle" in (tmp_path / "contract.xml").read_text()


def test_each_break_is_found_alone_and_only_it() -> None:
    expected = {
        LifecycleFaults(regress=True): {"terminal-state-changed"},
        LifecycleFaults(dead_results=True): {"result-url-dead"},
        LifecycleFaults(bad_callback=True): {"callback-off-schema"},
    }
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        for faults, names in expected.items():
            with serve(broken_app(mock.base_url, lifecycle=faults)) as url:
                result = drive(
                    "crun",
                    url,
                    mock.crun_key,
                    DriveSettings(media=(f"{url}/media/x", f"{url}/media/y")),
                    count=1,
                )
            assert {f.name for f in result.findings} == names, (faults, result.findings)


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_the_mock_keeps_its_lifecycle(provider: Literal["crun", "apikley"]) -> None:
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        key = mock.crun_key if provider == "crun" else mock.apikley_key
        before = mock.credits(provider)
        result = drive(
            provider,
            mock.base_url,
            key,
            DriveSettings(
                media=(f"{mock.base_url}/media/x", f"{mock.base_url}/media/y"),
                fail_one=lambda op: mock.fault("task_fail", op),
            ),
        )
        after = mock.credits(provider)

    assert result.findings == ()
    # One success and one failure were followed, each to a callback.
    assert len(result.runs) == 2
    assert all(run.callbacks for run in result.runs)
    states = [
        run.reads[-1].body["data"]["status" if provider == "crun" else "state"]
        for run in result.runs
    ]
    assert states[0] == "success" and states[1] != "success"
    assert before - after > 0  # the success was charged, and the check held it to its cost


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_task_another_account_can_read_is_a_finding(
    provider: Literal["crun", "apikley"],
) -> None:
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        key, other = (
            (mock.crun_key, mock.other_crun_key)
            if provider == "crun"
            else (mock.apikley_key, mock.other_apikley_key)
        )
        header = "x-api-key" if provider == "crun" else "authorization"
        value = key if provider == "crun" else f"Bearer {key}"
        settings = DriveSettings(
            media=(f"{mock.base_url}/media/x", f"{mock.base_url}/media/y"),
            other_keys={provider: other},
        )
        # The mock keeps each account's tasks to itself: no finding.
        assert drive(provider, mock.base_url, key, settings, count=1).findings == ()
        # A proxy that reads every task with the owner's key hands them to any account.
        with serve(
            broken_app(mock.base_url, lifecycle=LifecycleFaults(reads_as=(header, value)))
        ) as url:
            leaky = drive(provider, url, key, settings, count=1)
    assert [f.name for f in leaky.findings] == ["task-readable-by-another-account"]
    assert leaky.findings[0].task_id == leaky.runs[0].task_id
