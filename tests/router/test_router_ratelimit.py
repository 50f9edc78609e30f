"""The client-side rate limiter: in memory and in a real Redis, across processes, and a burst
against the mock's enforced limit that waits instead of collecting 429s."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kling_avatar import (
    AsyncAvatarRouter,
    AvatarRouter,
    MemoryRateLimitStore,
    RateLimit,
    RateLimiterError,
    RedisRateLimitStore,
)
from kling_avatar._ratelimit import account_key
from kling_avatar.testing import MockServer

from .helpers import CREATE, media_urls, router_options


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_memory_store_admits_a_window_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    store = MemoryRateLimitStore(clock)
    limit = RateLimit(2, 10.0)
    assert store.acquire("k", limit, "a") == 0.0
    store.release("k", limit, "a")  # answered at once
    clock.now += 3.0
    assert store.acquire("k", limit, "b") == 0.0
    store.release("k", limit, "b")
    assert store.acquire("k", limit, "c") == pytest.approx(7.0)  # until "a" is 10 s old
    assert store.acquire("other", limit, "c") == 0.0  # another account has its own window
    clock.now += 7.0
    assert store.acquire("k", limit, "c") == 0.0


def test_memory_store_counts_a_slot_from_its_answer() -> None:
    # The provider counted the request somewhere between sending and answering; a slot is
    # freed a window after the answer, never earlier.
    clock = FakeClock()
    store = MemoryRateLimitStore(clock)
    limit = RateLimit(1, 10.0)
    store.acquire("k", limit, "a")
    clock.now += 4.0  # a slow creation
    store.release("k", limit, "a")
    clock.now += 7.0
    assert store.acquire("k", limit, "b") == pytest.approx(3.0)


def test_memory_store_lets_nobody_through_on_a_creation_still_in_flight() -> None:
    # Without an answer, the provider may count the request at any moment: the slot frees up
    # no sooner than a window after the answer, however old the sending is.
    clock = FakeClock()
    store = MemoryRateLimitStore(clock)
    limit = RateLimit(1, 10.0)
    store.acquire("k", limit, "a")
    clock.now += 30.0  # a request still in flight after three windows
    assert store.acquire("k", limit, "b") == pytest.approx(10.0)
    store.release("k", limit, "a")
    clock.now += 9.9
    assert store.acquire("k", limit, "b") > 0
    clock.now += 0.1
    assert store.acquire("k", limit, "b") == 0.0


@pytest.mark.parametrize(
    "value", [(0, 10.0), (20, 0), (20, -1.0), (True, 10.0), (20, float("nan"))]
)
def test_nonsense_limits_are_refused(value: tuple[Any, Any]) -> None:
    with pytest.raises(ValueError):
        RateLimit(*value)


def test_the_account_key_holds_no_api_key() -> None:
    key = account_key("apikley", "SECRET-123")
    assert "SECRET" not in key and key.startswith("kling-avatar:ratelimit:apikley:")
    assert key != account_key("apikley", "SECRET-124")


@pytest.fixture
def redis_store(redis_url: str) -> Iterator[RedisRateLimitStore]:
    store = RedisRateLimitStore(redis_url)
    yield store
    store.close()


def test_redis_store_admits_a_window_then_says_how_long_to_wait(
    redis_store: RedisRateLimitStore,
) -> None:
    key, limit = f"test:{uuid.uuid4().hex}", RateLimit(3, 60.0)
    assert [redis_store.acquire(key, limit, f"t{i}") for i in range(3)] == [0.0, 0.0, 0.0]
    wait = redis_store.acquire(key, limit, "t3")
    assert 55.0 < wait <= 60.0
    redis_store.release(key, limit, "t0")  # moved to now: the wait can only grow
    assert redis_store.acquire(key, limit, "t3") >= wait - 1.0


def test_redis_store_frees_a_slot_after_the_window(redis_store: RedisRateLimitStore) -> None:
    key, limit = f"test:{uuid.uuid4().hex}", RateLimit(1, 0.2)
    assert redis_store.acquire(key, limit, "a") == 0.0
    redis_store.release(key, limit, "a")
    wait = redis_store.acquire(key, limit, "b")
    assert 0.0 < wait <= 0.2
    time.sleep(wait + 0.01)
    assert redis_store.acquire(key, limit, "b") == 0.0


def test_redis_store_lets_nobody_through_on_a_creation_still_in_flight(
    redis_store: RedisRateLimitStore,
) -> None:
    key, limit = f"test:{uuid.uuid4().hex}", RateLimit(1, 0.2)
    assert redis_store.acquire(key, limit, "a") == 0.0
    time.sleep(0.3)  # "a" is older than a window, but its answer has not come back
    assert redis_store.acquire(key, limit, "b") > 0.1
    redis_store.release(key, limit, "a")
    assert redis_store.acquire(key, limit, "b") > 0.1  # a window from the answer
    time.sleep(0.21)
    assert redis_store.acquire(key, limit, "b") == 0.0


def test_redis_store_async(redis_url: str) -> None:
    key, limit = f"test:{uuid.uuid4().hex}", RateLimit(2, 60.0)

    async def main() -> list[float]:
        store = RedisRateLimitStore(redis_url)
        try:
            return [await store.acquire_async(key, limit, f"t{i}") for i in range(3)]
        finally:
            await store.aclose()

    first, second, third = asyncio.run(main())
    assert first == second == 0.0 and third > 50.0


# Each process takes what it can of one shared window and prints how many it got.
_TAKE_SLOTS = """
import sys, uuid
from kling_avatar import RateLimit, RedisRateLimitStore
store = RedisRateLimitStore(sys.argv[1])
limit = RateLimit(5, 60.0)
print(sum(store.acquire(sys.argv[2], limit, uuid.uuid4().hex) == 0.0 for _ in range(8)))
"""


def test_redis_store_shares_one_window_across_processes(redis_url: str) -> None:
    key = f"test:{uuid.uuid4().hex}"
    command = [sys.executable, "-c", _TAKE_SLOTS, redis_url, key]
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(2)
    ]
    admitted = [int(worker.communicate(timeout=60)[0]) for worker in workers]
    assert sum(admitted) == 5  # 16 attempts from two processes, one window of 5


def test_an_unreachable_redis_is_a_typed_error_and_creates_nothing(mock: MockServer) -> None:
    store = RedisRateLimitStore("redis://127.0.0.1:1/0", timeout=0.5)
    options = router_options(mock, rate_limit_store=store)
    before = mock.calls(CREATE["apikley"])
    with AvatarRouter(["apikley"], **options) as router, pytest.raises(RateLimiterError):
        router.create_task(**media_urls(mock))
    assert mock.calls(CREATE["apikley"]) == before
    assert "redis://" not in repr(store)


@pytest.fixture(scope="module")
def limited_mock() -> Iterator[MockServer]:
    with MockServer(step=0.0, seed=2, rate_limits={"apikley": (3, 0.5)}) as mock:
        yield mock
    assert not mock.errors


def test_a_burst_waits_for_the_limit_instead_of_collecting_429s(limited_mock: MockServer) -> None:
    mock = limited_mock
    before = mock.calls(CREATE["apikley"])
    options = router_options(mock, rate_limits={"apikley": RateLimit(3, 0.5)})

    async def burst() -> list[Any]:
        async with AsyncAvatarRouter(["apikley"], **options) as router:
            calls = [router.create_task(**media_urls(mock)) for _ in range(8)]
            return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(burst())
    assert [type(r).__name__ for r in results] == ["Task"] * 8
    # Every creation that reached the mock was admitted: not one 429 was answered.
    assert mock.calls(CREATE["apikley"]) - before == 8


def test_without_the_limiter_the_same_burst_meets_429s_and_moves_on(
    limited_mock: MockServer,
) -> None:
    mock = limited_mock
    options = router_options(mock, rate_limits={"apikley": None})
    with AvatarRouter(["apikley", "crun"], **options) as router:
        providers = [router.create_task(**media_urls(mock)).provider for _ in range(6)]
    # The mock refused creations over its 3 per 0.5 s at apikley (429: no task); they went to
    # crun instead, and apikley cooled down.
    assert providers.count("apikley") <= 3 and providers.count("crun") >= 3


# One process of a pair sharing an account: four creations through a router whose limiter
# lives in Redis; prints how many were created.
_CREATE_FOUR = """
import os, sys
from kling_avatar import AvatarRouter, RateLimit, RedisRateLimitStore
base = sys.argv[2]
store = RedisRateLimitStore(sys.argv[1])
with AvatarRouter(
    ["apikley"], base_urls={"apikley": base}, rate_limit_store=store,
    rate_limits={"apikley": RateLimit(3, 0.5)}, retry_delay=0.01,
) as router:
    media = {"image_url": base + "/media/portrait.png", "audio_url": base + "/media/voice.wav"}
    print(sum(router.create_task(**media).provider == "apikley" for _ in range(4)))
"""


def test_two_processes_sharing_redis_keep_to_one_limit(
    limited_mock: MockServer, redis_url: str
) -> None:
    mock = limited_mock
    before = mock.calls(CREATE["apikley"])
    command = [sys.executable, "-c", _CREATE_FOUR, redis_url, mock.base_url]
    env = {"APIKLEY_API_KEY": mock.apikley_key, "PATH": "/usr/bin:/bin"}
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)  # noqa: S603
        for _ in range(2)
    ]
    created = [int(worker.communicate(timeout=90)[0]) for worker in workers]
    assert created == [4, 4]
    # Every creation reached the mock once and was admitted: no 429 was answered.
    assert mock.calls(CREATE["apikley"]) - before == 8
