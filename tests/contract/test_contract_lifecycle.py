"""The lifecycle checks find a broken job whose every answer matches its spec, and pass the mock.

`broken_server.py` puts a proxy in front of the mock that breaks the lifecycle only: a finished
task reads as running again, result URLs are dead, callbacks leave the `callbacks` schema.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kling_avatar._registry import Provider
from kling_avatar.contract import PROVIDERS, DriveSettings, drive, run_suite
from kling_avatar.contract.lifecycle import SHAPES, succeeded, task_of
from kling_avatar.testing import MockServer

from contract.broken_server import LifecycleFaults, auth_header, broken_app, serve

BROKEN = LifecycleFaults(regress=True, dead_results=True, bad_callback=True)
# The mocks' tasks (step 0) end at their first read, and the breaks do not depend on time: the
# reads after it (checking that the state stays) need no pause between them.
POLL = 0.0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_broken_lifecycle_fails_the_suite_with_named_findings(
    provider: Provider, tmp_path: Path
) -> None:
    with (
        MockServer(step=0.0, credits=100.0, seed=0) as mock,
        serve(broken_app(mock.base_url, lifecycle=BROKEN)) as url,
    ):
        settings = DriveSettings(
            media=(f"{url}/media/x", f"{url}/media/y"),
            fail_one=lambda op: mock.fault("task_fail", op),
            poll=POLL,
        )
        suite = run_suite(
            [provider],
            url,
            {str(name): key for name, key in mock.keys.items()},
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


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_break_is_found_alone_and_only_it(provider: Provider) -> None:
    expected = {
        LifecycleFaults(regress=True): {"terminal-state-changed"},
        LifecycleFaults(dead_results=True): {"result-url-dead"},
        LifecycleFaults(bad_callback=True): {"callback-off-schema"},
    }
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        for faults, names in expected.items():
            with serve(broken_app(mock.base_url, lifecycle=faults)) as url:
                result = drive(
                    provider,
                    url,
                    mock.keys[provider],
                    DriveSettings(media=(f"{url}/media/x", f"{url}/media/y"), poll=POLL),
                    count=1,
                )
            assert {f.name for f in result.findings} == names, (faults, result.findings)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_mock_keeps_its_lifecycle(provider: Provider) -> None:
    shape = SHAPES[provider]
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        before = mock.credits(provider)
        result = drive(
            provider,
            mock.base_url,
            mock.keys[provider],
            DriveSettings(
                media=(f"{mock.base_url}/media/x", f"{mock.base_url}/media/y"),
                fail_one=lambda op: mock.fault("task_fail", op),
                poll=POLL,
            ),
        )
        after = mock.credits(provider)

    assert result.findings == ()
    # One success and one failure were followed, each to a callback.
    assert len(result.runs) == 2
    assert all(run.callbacks for run in result.runs)
    finals = [task_of(shape, run.reads[-1]) for run in result.runs]
    assert [succeeded(shape, task or {}) for task in finals] == [True, False]
    # The success's video answered as one.
    assert result.runs[0].probes and result.runs[0].probes[0].status in (200, 206)
    assert before - after > 0  # the success was charged (and held to its cost where reported)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_task_another_account_can_read_is_a_finding(provider: Provider) -> None:
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        key, other = mock.keys[provider], mock.other_keys[provider]
        settings = DriveSettings(
            media=(f"{mock.base_url}/media/x", f"{mock.base_url}/media/y"),
            other_keys={provider: other},
            poll=POLL,
        )
        # The mock keeps each account's tasks to itself: no finding.
        assert drive(provider, mock.base_url, key, settings, count=1).findings == ()
        # A proxy that reads every task with the owner's key hands them to any account.
        with serve(
            broken_app(
                mock.base_url, lifecycle=LifecycleFaults(reads_as=auth_header(provider, key))
            )
        ) as url:
            leaky = drive(provider, url, key, settings, count=1)
    assert [f.name for f in leaky.findings] == ["task-readable-by-another-account"]
    assert leaky.findings[0].task_id == leaky.runs[0].task_id
