"""Waiting: state changes reported, deadlines kept, failures raised, Apikley's late records."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from kling_avatar import (
    AuthenticationError,
    GenerationFailedError,
    NotFoundError,
    Task,
    TaskState,
    WaitTimeoutError,
)
from kling_avatar.testing import MockServer

from .fake import answer, envelope, fake_client, task_data
from .helpers import OPS, Calls, make_async_client, make_client, media_urls

STEP = 0.1  # seconds a mock task spends in each state


@pytest.fixture(scope="module")
def stepping_mock() -> Iterator[MockServer]:
    with MockServer(step=STEP, seed=1, apikley_null_reads=2) as mock:
        yield mock
    assert not mock.errors


def test_on_update_sees_every_state_change_once(stepping_mock: MockServer, provider: str) -> None:
    updates: list[Task] = []
    with make_client(stepping_mock, provider) as client:
        task = client.generate(**media_urls(stepping_mock), on_update=updates.append)
    assert task.state is TaskState.SUCCEEDED and task.video_url
    seen = [u.provider_state for u in updates]
    expected = ["pending", "running", "success"]
    if provider == "apikley":
        expected = ["waiting", "queuing", "generating", "success"]
    assert seen == [s for s in expected if s in seen]  # in order, none twice
    assert seen[-1] == "success" and len(seen) >= 2
    calls = stepping_mock.calls(OPS[provider]["get"])
    assert calls > len(updates)  # polled more often than it reported


def test_apikley_not_yet_visible_task_is_waited_for(stepping_mock: MockServer) -> None:
    with make_client(stepping_mock, "apikley") as client:
        created = client.create_task(**media_urls(stepping_mock))
        with pytest.raises(NotFoundError):  # a plain read does not hide it
            client.get_task(created.id)
        assert client.wait_for_task(created.id).state is TaskState.SUCCEEDED


def test_wait_stops_at_the_deadline(stepping_mock: MockServer, provider: str) -> None:
    with make_client(stepping_mock, provider, poll_interval=0.05) as client:
        created = client.create_task(**media_urls(stepping_mock))
        with pytest.raises(WaitTimeoutError) as caught:
            client.wait_for_task(created.id, timeout=STEP / 2)
    assert caught.value.task_id == created.id and caught.value.provider == provider
    assert isinstance(caught.value, TimeoutError)


def test_async_wait_stops_at_the_deadline(stepping_mock: MockServer, provider: str) -> None:
    async def main() -> None:
        async with make_async_client(stepping_mock, provider) as client:
            created = await client.create_task(**media_urls(stepping_mock))
            with pytest.raises(WaitTimeoutError):
                await client.wait_for_task(created.id, timeout=STEP / 2)

    asyncio.run(main())


def test_a_failed_task_raises_with_the_task(mock: MockServer, provider: str) -> None:
    mock.fault("task_fail", fail_code="500", fail_msg="Internal server error")
    with make_client(mock, provider) as client, pytest.raises(GenerationFailedError) as caught:
        client.generate(**media_urls(mock))
    task = caught.value.task
    assert task is not None and task.state is TaskState.FAILED
    assert task.error_message
    assert caught.value.code == 501 and task.id in str(caught.value)


def test_unknown_task_is_not_found_after_the_grace_period(mock: MockServer, provider: str) -> None:
    # Within the grace period "not found" is waited through (see the stepping mock's null
    # reads above); after it, the wait ends with NotFoundError rather than at its deadline.
    with make_client(mock, provider) as client, pytest.raises(NotFoundError):
        client.wait_for_task("no-such-task", timeout=60, not_found_grace=0.1)


def test_crun_knows_its_tasks_at_once_so_not_found_ends_the_wait(
    mock: MockServer, calls: Calls
) -> None:
    with make_client(mock, "crun") as client, pytest.raises(NotFoundError):
        client.wait_for_task("no-such-task")
    assert calls("getTaskInfo") == 1


def test_transient_errors_while_waiting_are_ridden_out(
    mock: MockServer, calls: Calls, provider: str
) -> None:
    get = OPS[provider]["get"]
    with make_client(mock, provider) as client:
        created = client.create_task(**media_urls(mock))
        mock.fault("envelope", operation=get, code=455, times=2)
        mock.fault("drop", operation=get)
        assert client.wait_for_task(created.id).state is TaskState.SUCCEEDED
    assert calls(get) == 4


def test_a_permanent_error_ends_the_wait_at_once(
    mock: MockServer, calls: Calls, provider: str
) -> None:
    mock.fault("envelope", operation=OPS[provider]["get"], code=401)
    with make_client(mock, provider) as client, pytest.raises(AuthenticationError):
        client.wait_for_task("any", timeout=30)
    assert calls(OPS[provider]["get"]) == 1


def test_retry_after_paces_the_polls(mock: MockServer, calls: Calls, provider: str) -> None:
    get = OPS[provider]["get"]
    mock.fault("http", operation=get, status=429, retry_after=1, times=None)
    with make_client(mock, provider) as client, pytest.raises(WaitTimeoutError) as caught:
        client.wait_for_task("any", timeout=0.3)
    # One poll, then one more at the deadline: not one every 10 ms.
    assert calls(get) == 2
    assert "429" in str(caught.value.__cause__)


def test_a_slow_poll_does_not_outlive_the_deadline(mock: MockServer, provider: str) -> None:
    mock.fault("slow", operation=OPS[provider]["get"], delay=3.0)
    with make_client(mock, provider) as client, pytest.raises(WaitTimeoutError):
        client.wait_for_task("any", timeout=0.3)


def test_an_unknown_state_does_not_end_the_wait() -> None:
    answers = iter(["paused", "paused", "mystery", "success"])

    def handler(request: httpx.Request) -> httpx.Response:
        return answer(envelope(task_data("crun", next(answers))))

    updates: list[Task] = []
    with fake_client("crun", handler) as client:
        task = client.wait_for_task("t-1", on_update=updates.append)
    assert task.state is TaskState.SUCCEEDED
    assert [(u.state, u.provider_state) for u in updates] == [
        (TaskState.UNKNOWN, "paused"),
        (TaskState.UNKNOWN, "mystery"),
        (TaskState.SUCCEEDED, "success"),
    ]
