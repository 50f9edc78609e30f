"""The mock in process (InProcessMock): a client's transport into the mock's app, with no
socket and no thread, and the mock's clock shared with the client (MockClock)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import threading
from collections.abc import Iterator
from typing import Any

import kling_avatar
import pytest
from kling_avatar import (
    APIConnectionError,
    APITimeoutError,
    AsyncAvatarClient,
    AvatarClient,
    Provider,
    TaskState,
    as_provider,
)
from kling_avatar.testing import COST_PRO, InProcessMock, MockClock
from kling_avatar.testing._lookup import provider_mocks
from readme import examples

from .helpers import Receiver

IMAGE, AUDIO = "https://example.com/face.png", "https://example.com/hi.mp3"


class _NoNetwork(socket.socket):
    """A socket of any internet family is refused (an event loop's own AF_UNIX pair is not)."""

    def __init__(self, family: Any = -1, *args: Any, **kwargs: Any) -> None:
        if family in (socket.AF_INET, socket.AF_INET6, -1):
            raise AssertionError("a network socket was opened")
        super().__init__(family, *args, **kwargs)


def _refused(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("a network socket or a thread was asked for")


@contextlib.contextmanager
def no_socket(monkeypatch: pytest.MonkeyPatch, *, no_thread: bool = False) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setattr(socket, "socket", _NoNetwork)
        patch.setattr(socket, "create_connection", _refused)
        patch.setattr(socket, "getaddrinfo", _refused)
        if no_thread:
            patch.setattr(threading.Thread, "start", _refused)
        yield


def no_socket_and_no_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> contextlib.AbstractContextManager[None]:
    return no_socket(monkeypatch, no_thread=True)


def key(mock: InProcessMock, provider: Provider) -> str:
    return mock.crun_key if provider == "crun" else mock.apikley_key


@pytest.fixture(params=["crun", "apikley"])
def provider(request: pytest.FixtureRequest) -> Provider:
    return as_provider(str(request.param))


def test_the_sync_client_runs_a_task_with_no_socket_and_no_thread(
    monkeypatch: pytest.MonkeyPatch, provider: Provider, tmp_path: Any
) -> None:
    with InProcessMock(step=30.0, seed=0) as mock, no_socket_and_no_thread(monkeypatch):
        transport = mock.transport()
        with AvatarClient(provider, api_key=key(mock, provider), transport=transport) as client:
            task = client.create_task(image_url=IMAGE, audio_url=AUDIO)
            assert client.get_task(task.id).state is TaskState.PENDING
            mock.advance(200.0)  # past every state: the task is done
            done = client.get_task(task.id)
            path = client.download(done, tmp_path)
            credits = client.get_credits()

    assert done.state is TaskState.SUCCEEDED
    assert credits == 100.0 - COST_PRO
    assert path.read_bytes()[4:8] == b"ftyp"  # the mock's MP4, served through the transport
    assert mock.calls("createTask" if provider == "crun" else "kling-ai-avatar-v1-pro") == 1
    assert not mock.errors


def test_the_async_client_runs_a_task_with_no_socket_and_no_thread(
    monkeypatch: pytest.MonkeyPatch, provider: Provider
) -> None:
    async def run(mock: InProcessMock) -> Any:
        async with AsyncAvatarClient(
            provider, api_key=key(mock, provider), transport=mock.async_transport()
        ) as client:
            url = await client.upload_file(b"RIFF\x00\x00\x00\x00WAVE", content_type="audio/wav")
            task = await client.create_task(image_url=IMAGE, audio_url=url)
            first = await client.get_task(task.id)
            mock.advance(200.0)
            return url, first, await client.get_task(task.id)

    with InProcessMock(step=30.0, seed=0) as mock, no_socket_and_no_thread(monkeypatch):
        url, first, done = asyncio.run(run(mock))

    assert url.startswith(mock.base_url)
    assert first.state is TaskState.PENDING and done.state is TaskState.SUCCEEDED
    assert not mock.errors


def test_the_plugin_fixture_is_the_in_process_mock(
    kling_mock: InProcessMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with no_socket_and_no_thread(monkeypatch):
        client = AvatarClient("crun", api_key=kling_mock.crun_key, transport=kling_mock.transport())
        with client:
            task = client.generate(
                image_url=IMAGE, audio_url=AUDIO
            )  # step=0: finished at its first read
    assert task.state is TaskState.SUCCEEDED


def test_a_dropped_answer_and_a_slow_one_fail_as_on_a_socket(provider: Provider) -> None:
    with InProcessMock(seed=0) as mock:
        client = AvatarClient(
            provider,
            api_key=key(mock, provider),
            transport=mock.transport(),
            timeout=0.2,
            max_retries=0,
        )
        with client:
            mock.fault("drop", operation=None)
            with pytest.raises(APIConnectionError):
                client.get_credits()
            mock.fault("slow", operation=None, delay=30.0)
            with pytest.raises(APITimeoutError):
                client.get_credits()
            assert client.get_credits() == 100.0


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_wait_of_600_seconds_of_task_time_walks_every_state_on_the_mocks_clock(
    provider: Provider, asynchronous: bool
) -> None:
    with InProcessMock(step=200.0, seed=0) as mock:
        clock = MockClock(mock)
        seen: list[str] = []

        def on_update(task: Any) -> None:
            seen.append(task.provider_state)

        if asynchronous:

            async def run() -> Any:
                client = AsyncAvatarClient(
                    provider, api_key=key(mock, provider), transport=mock.async_transport()
                )
                async with clock.attach(client):
                    task = await client.create_task(image_url=IMAGE, audio_url=AUDIO)
                    return await client.wait_for_task(task.id, timeout=900, on_update=on_update)

            done = asyncio.run(run())
        else:
            client = AvatarClient(provider, api_key=key(mock, provider), transport=mock.transport())
            with clock.attach(client) as c:
                task = c.create_task(image_url=IMAGE, audio_url=AUDIO)
                done = c.wait_for_task(task.id, timeout=900, on_update=on_update)

    states = {"crun": ["pending", "running"], "apikley": ["waiting", "queuing", "generating"]}
    assert done.state is TaskState.SUCCEEDED
    assert seen == [*states[provider], "success"]  # every state, in order, each once
    run_time = 200.0 * len(states[provider])
    assert run_time <= clock.slept <= run_time * 1.05 + 3.0  # the schedule's lateness bound


@pytest.mark.parametrize(
    ("section", "index"),
    [
        (section, index)
        for section in ("Using the client", "One call over several providers", "Local mock server")
        for index, code in enumerate(examples(section))
        if section != "Local mock server" or "InProcessMock" in code
    ],
)
def test_readme_examples_run_on_the_in_process_mock(
    section: str, index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every README example that uses the mock, its clients given the in-process transport
    (the in-process mock's own example as it is)."""
    code = examples(section)[index]
    mock = InProcessMock(seed=0)
    clock = MockClock(mock)
    if section == "One call over several providers":
        mock.set_credits(0.0, "apikley")
    for provider, kind in provider_mocks().items():
        monkeypatch.setenv(kind.key_variable, mock.keys[provider])
        monkeypatch.delenv(kind.base_url_variable, raising=False)
    classes = {
        "AvatarClient": mock.transport,
        "AsyncAvatarClient": mock.async_transport,
        "AvatarRouter": mock.transport,
        "AsyncAvatarRouter": mock.async_transport,
    }
    for name, transport in classes.items():
        if section == "Local mock server":
            break  # its example makes its own InProcessMock and clients
        original = getattr(kling_avatar, name)

        def factory(*args: Any, _original: Any = original, _t: Any = transport, **kw: Any) -> Any:
            return clock.attach(_original(*args, transport=_t(), **kw))

        monkeypatch.setattr(kling_avatar, name, factory)
    monkeypatch.chdir(__import__("readme").ROOT)  # the examples name examples/media/...
    printed = io.StringIO()

    # Threads are allowed here: the async client reads a local file (a Path in the examples) in
    # a worker thread by design; the mock itself starts none (the tests above).
    with no_socket(monkeypatch), contextlib.redirect_stdout(printed):
        exec(compile(code, f"README example {index}", "exec"), {})  # noqa: S102
    mock.close()

    assert not mock.errors
    if section == "Local mock server":
        first, second = printed.getvalue().splitlines()
        assert first == "succeeded" and second.startswith("succeeded")
        assert float(second.split()[1]) >= 400  # the whole run, on the mock's clock
    elif "client." in code or "router." in code:  # the examples that call a provider
        assert sum(mock.state.calls.values()) > 0
    if section == "One call over several providers":
        assert "apikley skipped insufficient credits (402)" in printed.getvalue()
        assert "crun created" in printed.getvalue()


def test_the_sync_side_sends_a_finished_tasks_callback_before_advance_returns(
    provider: Provider,
) -> None:
    # A callback is the one thing the in-process mock sends over HTTP (to loopback only).
    with Receiver(fail_first=1) as receiver, InProcessMock(step=10.0, seed=0) as mock:
        transport = mock.transport()
        with AvatarClient(provider, api_key=key(mock, provider), transport=transport) as client:
            task = client.create_task(
                image_url=IMAGE, audio_url=AUDIO, callback_url=f"{receiver.url}/hook"
            )
            assert mock.callbacks == []
            mock.advance(60.0)
            # Read at once: nothing is left to wait for. The retry waits on the mock's clock.
            first = mock.callbacks
            assert [d.status for d in first] == [500] and first[0].retry_in is not None
            mock.advance(first[0].retry_in)
            deliveries = mock.callbacks
            assert client.get_task(task.id).state is TaskState.SUCCEEDED

    assert [d.status for d in deliveries] == [500, 200]  # refused once, then retried
    assert len(receiver.posts) == 2
    body = receiver.posts[-1][1]
    assert (body.get("task_id") or body["data"]["taskId"]) == task.id
    assert not mock.errors


def test_the_async_side_sends_callbacks_on_the_callers_loop(provider: Provider) -> None:
    async def run(mock: InProcessMock, url: str) -> str:
        async with AsyncAvatarClient(
            provider, api_key=key(mock, provider), transport=mock.async_transport()
        ) as client:
            task = await client.create_task(image_url=IMAGE, audio_url=AUDIO, callback_url=url)
            mock.advance(60.0)
            async with asyncio.timeout(10):
                await mock.idle()  # the task settles on this loop, its callback is sent
            return task.id

    with Receiver() as receiver, InProcessMock(step=10.0, seed=0) as mock:
        task_id = asyncio.run(run(mock, f"{receiver.url}/hook"))

    assert [d.status for d in mock.callbacks] == [200]
    body = receiver.posts[-1][1]
    assert (body.get("task_id") or body["data"]["taskId"]) == task_id


def test_the_sync_transport_inside_a_running_loop_says_to_use_the_async_one() -> None:
    async def run(mock: InProcessMock) -> None:
        with AvatarClient("crun", api_key=mock.crun_key, transport=mock.transport()) as client:
            client.get_credits()

    with InProcessMock() as mock, pytest.raises(RuntimeError, match="async_transport"):
        asyncio.run(run(mock))
