"""A Redis that answers garbage (issue 21, item 9): every store value is checked.

The rate-limit store and the seen-store read their answers from a raw-socket Redis on 127.0.0.1
(`FakeRedis`) that answers whatever a test says: a simple string where a number belongs, an
array, NaN, infinity, a huge or negative number, an error, a closed connection. Each is a typed
error (`RateLimiterError`, `AvatarError`), never ValueError/TypeError/OverflowError; no wait
is longer than a window or outlives the call's deadline; and no creation goes through on an
answer other than exactly 0. Hypothesis feeds arbitrary RESP values to every store read, and
arbitrary answers of a store of the caller's own to the router's rule.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar import (
    AvatarError,
    AvatarRouter,
    MemoryRateLimitStore,
    RateLimit,
    RateLimiterError,
    RedisRateLimitStore,
    RedisSeenStore,
)
from kling_avatar.testing import MockServer

from .fake_redis import FakeRedis, RespError, resp
from .helpers import CREATE, Counts, media_urls

Router = Callable[..., Any]
LIMIT = RateLimit(20, 10.0)  # Apikley's default: a window of 10 s, 10,000,000 microseconds

# What a broken or hostile Redis answers to the rate limiter's script (None: it hangs up).
GARBAGE: dict[str, bytes | None] = {
    "+OK": b"+OK\r\n",
    "an array": resp([0, 1]),
    "a nested array": resp([[0]]),
    "NaN (bulk)": resp(b"nan"),
    "NaN (double)": resp(math.nan),
    "inf (bulk)": resp(b"inf"),
    "inf (double)": resp(math.inf),
    "a huge number": resp(10**30),
    "a huge bulk number": resp(b"9" * 400),
    "more than a window": resp(10_000_001),
    ":-5": resp(-5),
    "null": resp(None),
    "a boolean": resp(True),
    "not a number at all": b":abc\r\n",
    "bytes that are no text": resp(b"\xff\xfe\x00"),
    "an error": resp(RespError("ERR no")),
    "not RESP": b"?what\r\n",
    "a hang-up": None,
}


@pytest.fixture(params=list(GARBAGE.values()), ids=list(GARBAGE))
def garbage_redis(request: pytest.FixtureRequest) -> Iterator[FakeRedis]:
    reply: bytes | None = request.param
    with FakeRedis(lambda command: reply) as fake:
        yield fake


def acquire(kind: str, store: RedisRateLimitStore) -> float:
    if kind == "sync":
        return store.acquire("k", LIMIT, "t")

    async def run() -> float:
        try:
            return await store.acquire_async("k", LIMIT, "t")
        finally:
            await store.aclose()

    return asyncio.run(run())


def test_a_garbage_answer_to_acquire_is_a_rate_limiter_error(
    garbage_redis: FakeRedis, kind: str
) -> None:
    store = RedisRateLimitStore(garbage_redis.url, timeout=2.0)
    with pytest.raises(RateLimiterError, match="the rate-limit store"):
        acquire(kind, store)
    store.close()


def test_a_garbage_answer_to_release_is_a_rate_limiter_error(
    garbage_redis: FakeRedis, kind: str
) -> None:
    store = RedisRateLimitStore(garbage_redis.url, timeout=2.0)
    with pytest.raises(RateLimiterError):
        if kind == "sync":
            store.release("k", LIMIT, "t")
        else:

            async def run() -> None:
                try:
                    await store.release_async("k", LIMIT, "t")
                finally:
                    await store.aclose()

            asyncio.run(run())
    store.close()


def test_a_garbage_answer_creates_nothing_and_says_so(
    garbage_redis: FakeRedis, router_for: Router, mock: MockServer, counts: Counts
) -> None:
    # ":-5" let the creation through; NaN slept for ever (sync: ValueError); "+OK" was a
    # ValueError, an array a TypeError, a huge number an OverflowError or a skip.
    store = RedisRateLimitStore(garbage_redis.url, timeout=2.0)
    router = router_for(["apikley"], rate_limit_store=store, deadline=2.0)
    with pytest.raises(RateLimiterError, match="the rate-limit store"):
        router.create_task(**media_urls(mock))
    assert counts.calls(CREATE["apikley"]) == 0 and counts.tasks() == 0
    store.close()


class Answers(MemoryRateLimitStore):
    """A store of the caller's own that answers `acquire` with `value`."""

    def __init__(self, value: object) -> None:
        super().__init__()
        self.value = value

    def acquire(self, key: str, limit: RateLimit, token: str) -> float:
        return self.value  # type: ignore[return-value]  # the point: it is not a float

    async def acquire_async(self, key: str, limit: RateLimit, token: str) -> float:
        return self.value  # type: ignore[return-value]


OWN_GARBAGE = {
    "NaN": math.nan,
    "-inf": -math.inf,
    "-5": -5,
    "a year": 3.2e7,
    "a string": "0",
    "None": None,
    "a list": [0],
    "True": True,
    "10**400": 10**400,
}


@pytest.mark.parametrize("value", OWN_GARBAGE.values(), ids=OWN_GARBAGE.keys())
def test_a_store_of_the_callers_own_is_checked_too(
    router_for: Router, mock: MockServer, counts: Counts, value: object
) -> None:
    router = router_for(["apikley"], rate_limit_store=Answers(value), deadline=2.0)
    with pytest.raises(RateLimiterError):
        router.create_task(**media_urls(mock))
    assert counts.tasks() == 0


# --- hypothesis: arbitrary RESP values to every store read ------------------------------

scalars = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.integers(min_value=0, max_value=10_000_000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.binary(max_size=24)
    | st.text(max_size=24)
    | st.sampled_from([b"nan", b"inf", b"-inf", b"1e400", b"0", b"-5", "OK", b"OK"])
    | st.builds(RespError, st.text(max_size=24))
    | st.none()
    | st.booleans()
)
resp_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=12)


class Scripted:
    """One fake Redis for a whole hypothesis run; each example sets what it answers."""

    def __init__(self) -> None:
        self.value: object = None

    def __call__(self, command: list[bytes]) -> bytes:
        return resp(self.value)


@pytest.fixture(scope="module")
def scripted() -> Iterator[tuple[Scripted, FakeRedis]]:
    script = Scripted()
    with FakeRedis(script) as fake:
        yield script, fake


PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(value=resp_values)
def test_every_rate_limit_store_read_is_a_wait_in_bounds_or_a_typed_error(
    scripted: tuple[Scripted, FakeRedis], kind: str, value: object
) -> None:
    script, fake = scripted
    script.value = value
    store = RedisRateLimitStore(fake.url, timeout=2.0)
    try:
        wait = acquire(kind, store)
    except RateLimiterError:
        return
    finally:
        store.close()
    # Only what the script can answer gets through: a whole number of microseconds in a window.
    assert type(value) is int and 0 <= value <= 10_000_000
    assert wait == value / 1e6


@PROPERTY
@given(value=resp_values)
def test_every_seen_store_read_is_its_answer_or_a_typed_error(
    scripted: tuple[Scripted, FakeRedis], value: object
) -> None:
    script, fake = scripted
    script.value = value
    store = RedisSeenStore(fake.url, timeout=2.0)
    try:
        for read in (lambda: store.add("k", 60), lambda: "k" in store, lambda: store.discard("k")):
            try:
                outcome = read()
            except AvatarError:
                continue
            assert outcome is None or isinstance(outcome, bool)
            if isinstance(outcome, bool):
                # True only from what Redis means by it: SET's OK, EXISTS's 1.
                assert value in ("OK", b"OK", 1, None, 0) and type(value) is not bool
    finally:
        store.close()


class FakeClock:
    """The router's clock: its pauses move it on and must end within the call's deadline."""

    def __init__(self, deadline: float) -> None:
        self.now = 1000.0
        self.end = self.now + deadline

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert math.isfinite(seconds) and seconds >= 0
        assert self.now + seconds <= self.end
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


class ScriptedStore(MemoryRateLimitStore):
    """A store of the caller's own that answers what the test says, then 0."""

    def __init__(self, answers: list[object]) -> None:
        super().__init__()
        self.pending = list(answers)
        self.last: object = None

    def acquire(self, key: str, limit: RateLimit, token: str) -> Any:
        self.last = self.pending.pop(0) if self.pending else 0
        return self.last

    def release(self, key: str, limit: RateLimit, token: str) -> None:
        return None


@settings(max_examples=200, deadline=None)
@given(answers=st.lists(resp_values | st.floats(min_value=0, max_value=20), max_size=8))
def test_no_creation_without_a_slot_and_no_wait_past_the_deadline(answers: list[object]) -> None:
    """The router's rule over a store of the caller's own, on a fake clock: whatever the
    store answers, the router sleeps only within the deadline, sends the creation only after
    an answer of exactly 0, and otherwise ends in a typed error."""
    store = ScriptedStore(answers)
    sent: list[object] = []

    def provider(request: httpx.Request) -> httpx.Response:
        # The creation is sent: only on a slot actually given.
        assert type(store.last) in (int, float) and store.last == 0
        sent.append(store.last)
        return httpx.Response(200, json={"code": 200, "msg": "ok", "data": {"taskId": "t-1"}})

    deadline = 2.0
    router = AvatarRouter(
        ["apikley"],
        api_keys={"apikley": "k" * 32},
        rate_limit_store=store,
        transport=httpx.MockTransport(provider),
    ).use_clock(FakeClock(deadline))
    try:
        task = router.create_task(
            image_url="https://example.com/a.png",
            audio_url="https://example.com/a.mp3",
            deadline=deadline,
        )
        assert task.id == "t-1" and sent == [0]
    except AvatarError:
        assert sent == []  # RateLimiterError, or no slot before the deadline: nothing created
    finally:
        router.close()


def test_a_redis_that_never_answers_is_a_rate_limiter_error_after_its_timeout(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    with FakeRedis(lambda command: b"") as silent:  # reads the command, says nothing
        store = RedisRateLimitStore(silent.url, timeout=0.3)
        router = router_for(["apikley"], rate_limit_store=store)
        with pytest.raises(RateLimiterError, match="TimeoutError"):
            router.create_task(**media_urls(mock))
        store.close()
    assert counts.tasks() == 0
