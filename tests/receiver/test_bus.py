"""The wake bus: a callback confirmed in one process wakes the waiter in another; what comes off
the bus is hostile input (bounded, checked, sealed with the receiver's secret)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, cast

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st
from kling_avatar import (
    AvatarError,
    InvalidRequestError,
    Receiver,
    RedisWakeBus,
    Task,
    TaskState,
    WakeBus,
)
from kling_avatar import _bus as kling_bus
from kling_avatar._bus import MAX_MESSAGE
from kling_avatar._wakes import _mac, bus_key, open_wake, seal_wake
from kling_avatar.testing import MockServer

from .helpers import SECRET, client, media
from .test_seen import _free_port, _start, _wait_listening

SLOW_POLL = 600.0  # the fallback poll: longer than any of these tests may take
KEY = bus_key(SECRET.encode())
DONE = Task(
    id="task-1",
    provider="crun",
    state=TaskState.SUCCEEDED,
    provider_state="success",
    video_urls=["https://cdn.example/v.mp4?X-Amz-Signature=abc"],
    created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    completed_at=datetime(2026, 1, 2, 3, 5, 5, tzinfo=UTC),
    credits_used=5.0,
)


def status_reads(mock: MockServer) -> int:
    return mock.calls("getTaskInfo") + mock.calls("getTaskDetails")


@pytest.fixture
def stream(request: pytest.FixtureRequest) -> str:
    """A stream of this test's own on the session's Redis."""
    return f"test:wakes:{request.node.name}:{time.time_ns()}"


@pytest.fixture
def bus(redis_url: str, stream: str) -> Iterator[RedisWakeBus]:
    wake_bus = RedisWakeBus(redis_url, stream=stream)
    yield wake_bus
    wake_bus.close()


# --- the message ------------------------------------------------------------------------


def announce(receiver: Receiver, task: Task) -> None:
    """What `receiver` does with a task it confirmed: on its bus, for the other processes."""
    assert receiver.wakes is not None
    asyncio.run(receiver.wakes.publish(task))


def test_a_sealed_task_opens_as_the_same_task() -> None:
    message = seal_wake(KEY, DONE)
    assert message is not None and len(message) < 1024
    assert open_wake(KEY, message) == DONE


def _forged(payload: object, key: bytes = KEY) -> bytes:
    """A message sealed with `key` around any payload (what a bug in a secret holder could
    send): the checks after the seal's."""
    body = json.dumps(payload).encode()
    return _mac(key, body) + b"." + body


def _task_body(**changes: object) -> dict[str, object]:
    sealed = seal_wake(KEY, DONE)
    assert sealed is not None
    body: dict[str, object] = json.loads(sealed.partition(b".")[2])["task"]
    body.update(changes)
    return {"v": 1, "task": body}


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(seal_wake(bus_key(b"another-secret-0123456789"), DONE), id="another secret"),
        pytest.param((seal_wake(KEY, DONE) or b"").replace(b"task-1", b"task-2"), id="altered"),
        pytest.param(b"A" * 43 + b"." + b"{}", id="unsigned"),
        pytest.param(b"", id="empty"),
        pytest.param(b"no dot at all", id="no mac"),
        pytest.param(b"x" * (MAX_MESSAGE + 1), id="too long"),
        pytest.param("not bytes", id="str"),
        pytest.param(_forged({"v": 2, "task": {}}), id="unknown version"),
        pytest.param(_forged([1, 2]), id="not an object"),
        pytest.param(_forged(_task_body(state="running")), id="not finished"),
        pytest.param(_forged(_task_body(state=["succeeded"])), id="state not text"),
        pytest.param(_forged(_task_body(provider="kie")), id="unknown provider"),
        pytest.param(_forged(_task_body(id="")), id="empty id"),
        pytest.param(_forged(_task_body(id="t" * 201)), id="long id"),
        pytest.param(_forged(_task_body(id=7)), id="id not text"),
        pytest.param(_forged(_task_body(video_urls="http://x")), id="urls not a list"),
        pytest.param(_forged(_task_body(video_urls=["u"] * 17)), id="too many urls"),
        pytest.param(_forged(_task_body(error_message="e" * 5000)), id="long text"),
        pytest.param(_forged(_task_body(created_at="2026-01-02T03:04:05")), id="naive time"),
        pytest.param(_forged(_task_body(created_at="yesterday")), id="not a time"),
        pytest.param(_forged(_task_body(credits_used=True)), id="credits bool"),
        pytest.param(_forged(_task_body(credits_used=float("inf"))), id="credits inf"),
    ],
)
def test_anything_but_a_genuine_message_opens_as_nothing(message: object) -> None:
    assert open_wake(KEY, message) is None


def test_a_task_too_long_to_announce_is_not_sent() -> None:
    huge = Task(id="t", provider="crun", state=TaskState.FAILED, error_message="e" * 4000,
                video_urls=["u" * 4000] * 4)  # fmt: skip
    assert seal_wake(KEY, huge) is None


# --- waking through a bus ---------------------------------------------------------------


class LocalBus:
    """A wake bus inside one process (what the Protocol asks, nothing more)."""

    blocking: ClassVar[bool] = False

    def __init__(self) -> None:
        self.listeners: list[Callable[[bytes], None]] = []

    def publish(self, message: bytes) -> None:
        for deliver in list(self.listeners):
            deliver(message)

    def subscribe(self, deliver: Callable[[bytes], None]) -> LocalBus:
        self.listeners.append(deliver)
        return self

    def close(self) -> None:
        self.listeners.clear()


def test_a_waiter_is_woken_only_for_the_provider_and_task_it_waits_on() -> None:
    shared = LocalBus()
    assert isinstance(shared, WakeBus)
    here = Receiver("http://127.0.0.1:1", secret=SECRET, bus=shared)
    there = Receiver("http://127.0.0.1:2", secret=SECRET, bus=shared)
    with (
        here.watch("crun", "task-1") as mine,
        here.watch("apikley", "task-1") as same_id,
        here.watch("crun", "task-2") as other,
    ):
        announce(there, DONE)
        assert mine.wait(0) == DONE
        assert same_id.wait(0) is None and other.wait(0) is None
    assert here.wakes is not None and here.wakes.woken == 1


def test_a_forged_message_on_the_bus_wakes_nobody() -> None:
    shared = LocalBus()
    here = Receiver("http://127.0.0.1:1", secret=SECRET, bus=shared)
    stranger = Receiver("http://127.0.0.1:2", secret="another-secret-0123456789", bus=shared)
    with here.watch("crun", "task-1") as watch:
        announce(stranger, DONE)  # sealed, but with another secret
        shared.publish(b"A" * 43 + b"." + json.dumps(_task_body()).encode())
        assert watch.wait(0) is None
    assert here.wakes is not None and here.wakes.refused == 2


def test_a_bus_that_fails_costs_the_delivery_nothing(quick_mock: MockServer) -> None:
    """Redis down: the callback is still confirmed and handed on; only the wake elsewhere is
    lost (those waiters poll)."""
    from .helpers import served_receiver

    down = RedisWakeBus(f"redis://127.0.0.1:{_free_port()}/0", timeout=0.5)
    with served_receiver(quick_mock, bus=down) as served, client(quick_mock, "crun") as c:
        created = c.create_task(
            **media(quick_mock), callback_url=served.receiver.callback_url("crun")
        )
        assert [t.id for t in served.wait_handled(1)] == [created.id]
        assert served.receiver.wakes is not None and served.receiver.wakes.published == 0


def test_redis_wake_bus_refuses_bad_settings_and_hides_its_url() -> None:
    with pytest.raises(InvalidRequestError):
        RedisWakeBus()
    with pytest.raises(InvalidRequestError):
        RedisWakeBus("redis://127.0.0.1:1/0", stream="")
    with pytest.raises(InvalidRequestError):
        RedisWakeBus("redis://127.0.0.1:1/0", max_len=0)
    bus = RedisWakeBus("redis://:hunter2@127.0.0.1:1/0", timeout=0.2)
    assert "hunter2" not in repr(bus)
    with pytest.raises(AvatarError, match="Redis wake bus failed"):
        bus.publish(b"x")
    with pytest.raises(InvalidRequestError):
        bus.publish(b"x" * (MAX_MESSAGE + 1))


# --- a real Redis -----------------------------------------------------------------------


def test_over_redis_forged_and_malformed_entries_are_skipped_and_genuine_ones_wake(
    bus: RedisWakeBus, redis_url: str, stream: str
) -> None:
    here = Receiver("http://127.0.0.1:1", secret=SECRET, bus=bus)
    raw = redis.Redis.from_url(redis_url)
    try:
        with here.watch("crun", "task-1") as watch:
            # Written by anyone who reaches Redis: wrong fields, oversized, forged.
            raw.xadd(stream, {b"other": b"1"})
            raw.xadd(stream, {b"m": b"x" * (MAX_MESSAGE + 1)})
            raw.xadd(stream, {b"m": b"A" * 43 + b"." + json.dumps(_task_body()).encode()})
            sealed = seal_wake(KEY, DONE)
            assert sealed is not None
            raw.xadd(stream, {b"m": sealed})
            assert watch.wait(10) == DONE  # woken by the genuine one, after the others
        assert here.wakes is not None and here.wakes.refused == 1
    finally:
        here.close()
        raw.close()


def test_the_listener_survives_a_dropped_connection(
    bus: RedisWakeBus, redis_url: str, stream: str
) -> None:
    here = Receiver("http://127.0.0.1:1", secret=SECRET, bus=bus)
    there = Receiver(
        "http://127.0.0.1:2", secret=SECRET, bus=RedisWakeBus(redis_url, stream=stream)
    )
    raw = redis.Redis.from_url(redis_url)
    try:
        with here.watch("crun", "task-1") as watch:
            raw.client_kill_filter(_type="normal", skipme=True)  # every listener's connection
            announce(there, DONE)
            assert watch.wait(10) == DONE
    finally:
        here.close()
        there.close()
        raw.close()


def test_close_stops_listening(bus: RedisWakeBus) -> None:
    here = Receiver("http://127.0.0.1:1", secret=SECRET, bus=bus)
    here.watch("crun", "task-1").close()
    listeners = [t for t in threading.enumerate() if t.name.startswith("kling-wake-bus")]
    assert listeners
    here.close()
    for thread in listeners:
        thread.join(timeout=3)
    assert not any(t.is_alive() for t in listeners)


def _blocked_on(raw: redis.Redis, command: str) -> bool:
    return any(
        "b" in str(client.get("flags")) and client.get("cmd") == command
        for client in raw.client_list()
    )


def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def _closed_in_a_thread(receiver: Receiver) -> threading.Event:
    closed = threading.Event()

    def close() -> None:
        receiver.close()
        closed.set()

    threading.Thread(target=close, daemon=True).start()
    return closed


class _Answers:
    """A reading connection whose CLIENT ID answer is whatever the test says."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    def client_id(self) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@given(
    answer=st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=20)
    | st.lists(st.integers(), max_size=3)
    | st.sampled_from([redis.ResponseError("NOPERM"), redis.ConnectionError(), ValueError()])
)
def test_any_client_id_answer_is_an_id_or_none(answer: object) -> None:
    """What the server answers to CLIENT ID is a positive integer to unblock later, or nothing
    (`close` then waits the read out); never an exception out of the listener's loop."""
    found = kling_bus._client_id(cast(redis.Redis, _Answers(answer)))
    positive = type(answer) is int and answer > 0
    assert found == (answer if positive else None)


def test_close_ends_a_blocked_read_instead_of_waiting_it_out(
    redis_url: str, stream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that would wait a minute for news: `close` ends it (CLIENT UNBLOCK) and returns,
    and the listener's connection is gone from the server."""
    monkeypatch.setattr(kling_bus, "_BLOCK", 60.0)
    here = Receiver("http://127.0.0.1:1", secret=SECRET, bus=RedisWakeBus(redis_url, stream=stream))
    raw = redis.Redis.from_url(redis_url)
    try:
        here.watch("crun", "task-1").close()
        _until(lambda: _blocked_on(raw, "xread"), "the listener never blocked reading")
        # Far below the read's minute: a close that waited it out fails here.
        assert _closed_in_a_thread(here).wait(10), "close waited the read out"
        assert not _blocked_on(raw, "xread")
        assert not [t for t in threading.enumerate() if t.name.startswith("kling-wake-bus")]
    finally:
        here.close()
        raw.close()


def test_without_the_client_command_the_bus_still_wakes_and_closes(
    redis_url: str, stream: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ACL that refuses CLIENT (ID and UNBLOCK), as some managed servers do: wakes still
    arrive, and `close` returns once the read ends by itself."""
    monkeypatch.setattr(kling_bus, "_BLOCK", 0.2)
    raw = redis.Redis.from_url(redis_url)
    user = f"noclient{time.time_ns()}"
    raw.acl_setuser(
        user, enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-client"]
    )
    url = redis_url.replace("redis://", f"redis://{user}:pw@", 1)
    here = Receiver("http://127.0.0.1:1", secret=SECRET, bus=RedisWakeBus(url, stream=stream))
    there = Receiver("http://127.0.0.1:2", secret=SECRET, bus=RedisWakeBus(url, stream=stream))
    try:
        with pytest.raises(redis.exceptions.NoPermissionError):
            redis.Redis.from_url(url).client_id()
        with here.watch("crun", "task-1") as watch:
            announce(there, DONE)
            assert watch.wait(10) == DONE
        _until(lambda: _blocked_on(raw, "xread"), "the listener never blocked reading")
        assert _closed_in_a_thread(here).wait(10), "close never returned"
    finally:
        here.close()
        there.close()
        raw.acl_deluser(user)
        raw.close()


def test_a_waiter_here_is_woken_by_a_callback_received_by_another_process(
    slow_mock: MockServer, redis_url: str, tmp_path: Path
) -> None:
    """Process B (its own interpreter, uvicorn) takes the callback and confirms it; the waiter
    in this process, whose fallback poll is 10 minutes away, returns within a second."""
    out = tmp_path / "handled.txt"
    port = _free_port()
    other = _start(
        [str(port), slow_mock.base_url, slow_mock.crun_key, redis_url, SECRET, str(out), "bus"]
    )
    here = Receiver(
        f"http://127.0.0.1:{port}",  # the URLs minted here lead to the other process
        secret=SECRET,
        bus=RedisWakeBus(redis_url),
        poll_interval=SLOW_POLL,
    )
    try:
        _wait_listening(port, other)
        with client(slow_mock, "crun") as c:
            reads = status_reads(slow_mock)
            finished_at: list[float] = []

            def finish_once_seen_running(task: Task) -> None:
                if not task.done:
                    finished_at.append(time.monotonic())
                    slow_mock.advance(4 * 3600)  # the mock calls the other process back

            task = c.generate(
                **media(slow_mock),
                receiver=here,
                timeout=SLOW_POLL,
                on_update=finish_once_seen_running,
            )
            woken_at = time.monotonic()
        assert task.state is TaskState.SUCCEEDED and task.video_url
        assert woken_at - finished_at[0] < 1.0
        # The wait's first read and the other process's confirmation: no poll here.
        assert status_reads(slow_mock) - reads == 2
        # The other process hands the task on after it has announced it.
        deadline = time.monotonic() + 10
        while not (out.exists() and out.read_text().endswith("\n")):
            assert time.monotonic() < deadline, "the other process handed nothing on"
            time.sleep(0.01)
        handled = out.read_text().split()
        assert handled[1:] == ["crun", task.id, "succeeded"] and handled[0] == str(other.pid)
    finally:
        here.close()
        other.terminate()
        other.wait(timeout=10)
