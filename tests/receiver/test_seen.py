"""The seen-stores: claim once, expire, stay bounded; Redis shared by two receiver processes."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kling_avatar import (
    AvatarError,
    InvalidRequestError,
    MemorySeenStore,
    Receiver,
    RedisSeenStore,
    SeenStore,
)
from kling_avatar.testing import MockServer

from .helpers import SECRET, client, media


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[SeenStore]:
    if request.param == "memory":
        yield MemorySeenStore()
        return
    url = request.getfixturevalue("redis_url")
    redis_store = RedisSeenStore(url, prefix=f"test:{request.node.name}:{time.time_ns()}:")
    yield redis_store
    redis_store.close()


def test_a_key_is_claimed_once_until_discarded(store: SeenStore) -> None:
    assert isinstance(store, SeenStore)
    assert "k" not in store
    assert store.add("k", 60) is True
    assert store.add("k", 60) is False
    assert "k" in store
    store.discard("k")
    assert "k" not in store and store.add("k", 60) is True


def test_keys_expire(store: SeenStore) -> None:
    assert store.add("short", 0.05)
    time.sleep(0.2)
    assert "short" not in store and store.add("short", 60)


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), float("inf"), "60"])
def test_unusable_ttls_are_refused(store: SeenStore, ttl: object) -> None:
    with pytest.raises(InvalidRequestError):
        store.add("k", ttl)  # type: ignore[arg-type]


def test_the_memory_store_is_bounded_and_drops_expired_entries_first() -> None:
    clock = FakeClock()
    store = MemorySeenStore(max_entries=3, clock=clock)
    store.add("old", 1)
    store.add("a", 100)
    store.add("b", 100)
    clock.now += 10  # "old" has expired
    store.add("c", 100)
    assert len(store) == 3 and "a" in store and "old" not in store
    store.add("d", 100)  # full of live entries: the oldest goes
    assert len(store) == 3 and "a" not in store and "d" in store


def test_redis_failures_are_avatar_errors() -> None:
    port = _free_port()  # nothing listens there
    store = RedisSeenStore(f"redis://127.0.0.1:{port}/0", timeout=0.5)
    with pytest.raises(AvatarError, match="Redis"):
        store.add("k", 60)
    assert "127.0.0.1" not in repr(store)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    here = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here.parent), str(here.parents[1])])}
    return subprocess.Popen(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "receiver.receiver_process", *args], env=env
    )


def _wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        except httpx.HTTPError:
            assert process.poll() is None, "the receiver process died"
            assert time.monotonic() < deadline, "the receiver process did not start"
            time.sleep(0.05)


def test_two_processes_sharing_redis_hand_a_task_on_once(
    quick_mock: MockServer, redis_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "handled.txt"
    ports = [_free_port(), _free_port()]
    processes = [
        _start([str(p), quick_mock.base_url, quick_mock.crun_key, redis_url, SECRET, str(out)])
        for p in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_listening(port, process)
        with client(quick_mock, "crun") as c:
            created = c.create_task(**media(quick_mock))
            c.get_task(created.id)  # finished now
        body = {"task_id": created.id, "status": "success"}
        # Any receiver sharing the secret mints URLs that both processes accept.
        token = Receiver("http://x.example", secret=SECRET).callback_url("crun").rsplit("/", 1)[1]
        urls = [f"http://127.0.0.1:{port}/crun/{token}" for port in ports] * 4

        async def deliver(to: list[str]) -> list[int]:
            async with httpx.AsyncClient(timeout=20) as http:
                answers = await asyncio.gather(*(http.post(url, json=body) for url in to))
            return [a.status_code for a in answers]

        answers = asyncio.run(deliver(urls))
        # One that came while the other process had the task in its handler was asked to come
        # back (503); the provider's retry, once every first answer is in, is a duplicate.
        assert set(answers) <= {200, 503} and 200 in answers, answers
        retries = [url for url, status in zip(urls, answers, strict=True) if status == 503]
        assert asyncio.run(deliver(retries)) == [200] * len(retries)
        lines = out.read_text().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].split()[1:] == ["crun", created.id, "succeeded"]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
