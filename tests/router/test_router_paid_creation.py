"""A paid creation is never hidden, and an answer that names a task is never failed over on.

Issue 21, items 1 and 2, sync and async (`router_for`), counting what the mock created:
- whatever fails after a creation (freeing the rate-limit slot in a Redis that went away, a store
  of the caller's own, the caller's `on_route` / `on_update` raising), the caller gets the task,
  or a `TaskCreatedError` carrying it; never an error that says no task was created;
- an error answer (HTTP 429/402/455/505 with a body that says success, HTTP 200 with a body
  code 402/429) that names a task id is "may exist": the error carries the id, and no second
  task is created at the next provider.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile.provider import KEY, routes
from hostile.server import HostileServer, answer
from kling_avatar import (
    AsyncAvatarRouter,
    AvatarError,
    MemoryRateLimitStore,
    RateLimit,
    RateLimiterError,
    RedisRateLimitStore,
    RouteEvent,
    Task,
    TaskCreatedError,
    TaskState,
)
from kling_avatar.testing import MockServer
from redis_server import redis_server

from .fake_redis import FakeRedis
from .helpers import CREATE, Counts, media_urls, router_options

Router = Callable[..., Any]


class Broken(Exception):
    """What the caller's own code raised."""


class ReleaseFails(MemoryRateLimitStore):
    """A store of the caller's own whose `release` fails: after the creation, or after it."""

    def release(self, key: str, limit: RateLimit, token: str) -> None:
        raise Broken("the store's release broke")

    async def release_async(self, key: str, limit: RateLimit, token: str) -> None:
        raise Broken("the store's release broke")


@pytest.fixture
def redis_gone_after_acquire() -> Iterator[RedisRateLimitStore]:
    """A Redis that gives the slot (EVALSHA answers 0), then is gone for good: every later
    command has its connection closed, as when the server stops mid-call."""
    calls: list[int] = []

    def reply(command: list[bytes]) -> bytes | None:
        calls.append(1)
        return b":0\r\n" if len(calls) == 1 else None

    with FakeRedis(reply) as fake:
        store = RedisRateLimitStore(fake.url, timeout=2.0)
        yield store
        store.close()


def apikley_only(router_for: Router, **options: Any) -> Any:
    # Apikley has a rate limit by default: every creation takes and frees a slot.
    return router_for(["apikley"], **options)


# --- item 1: nothing after a creation hides it ------------------------------------------


def test_redis_gone_before_the_slot_is_freed_still_returns_the_task(
    router_for: Router,
    mock: MockServer,
    counts: Counts,
    redis_gone_after_acquire: RedisRateLimitStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = apikley_only(router_for, rate_limit_store=redis_gone_after_acquire)
    task = router.create_task(**media_urls(mock))
    assert isinstance(task, Task) and task.provider == "apikley"
    assert counts.tasks() == 1 and counts.calls(CREATE["apikley"]) == 1
    assert "could not free the apikley rate-limit slot" in caplog.text


def test_redis_gone_before_the_slot_is_freed_still_generates(
    router_for: Router,
    mock: MockServer,
    counts: Counts,
    redis_gone_after_acquire: RedisRateLimitStore,
) -> None:
    router = apikley_only(router_for, rate_limit_store=redis_gone_after_acquire)
    task = router.generate(**media_urls(mock))
    assert (task.provider, task.state) == ("apikley", TaskState.SUCCEEDED)
    assert counts.tasks() == 1


def test_a_store_whose_release_raises_anything_still_returns_the_task(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    router = apikley_only(router_for, rate_limit_store=ReleaseFails())
    task = router.create_task(**media_urls(mock))
    assert task.provider == "apikley" and counts.tasks() == 1


def test_a_failed_release_never_replaces_the_may_exist_of_an_ambiguous_answer(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    # The creation's answer is lost after the provider carried it out: the task exists. The
    # slot's release then fails; the caller must still hear "may exist", never "not created".
    mock.fault("drop", CREATE["apikley"], after=True)
    router = router_for(["apikley", "crun"], rate_limit_store=ReleaseFails(), max_retries=0)
    with pytest.raises(AvatarError) as raised:
        router.create_task(**media_urls(mock))
    assert not isinstance(raised.value, RateLimiterError)
    assert "may have been created at apikley" in raised.value.message
    assert counts.tasks() == 1 and counts.calls(CREATE["crun"]) == 0


def test_an_on_route_that_raises_after_the_creation_gets_the_task(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    def on_route(event: RouteEvent) -> None:
        if event.kind == "created":
            raise Broken("the caller's on_route broke")

    router = router_for(on_route=on_route)
    with pytest.raises(TaskCreatedError) as raised:
        router.create_task(**media_urls(mock))
    error = raised.value
    assert isinstance(error.__cause__, Broken)
    assert error.task.provider == "apikley" and error.task_id == error.task.id
    assert error.task_id in str(error) and "do not create it again" in str(error)
    assert counts.tasks() == 1 and counts.tasks("apikley") == 1


def test_an_on_update_that_raises_during_the_wait_gets_the_task(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    def on_update(task: Task) -> None:
        raise Broken("the caller's on_update broke")

    with pytest.raises(TaskCreatedError) as raised:
        router_for().generate(**media_urls(mock), on_update=on_update)
    assert isinstance(raised.value.__cause__, Broken)
    assert raised.value.task.provider == "apikley"
    assert counts.tasks() == 1


def test_an_on_route_that_raises_on_a_rerun_gets_the_failed_task(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("task_fail", CREATE["apikley"])

    def on_route(event: RouteEvent) -> None:
        if event.kind == "rerun":
            raise Broken("the caller's on_route broke")

    router = router_for(on_route=on_route, rerun_failed=True)
    with pytest.raises(TaskCreatedError) as raised:
        router.generate(**media_urls(mock))
    assert raised.value.task.provider == "apikley"
    assert counts.tasks() == 1  # the rerun was not made: the caller's callback stopped it


@pytest.mark.parametrize("stage", ["created", "update"])
def test_a_coroutine_callback_that_raises_after_the_creation_gets_the_task(
    mock: MockServer, stage: str
) -> None:
    counts = Counts(mock)

    async def on_route(event: RouteEvent) -> None:
        if stage == "created" and event.kind == "created":
            raise Broken("the caller's async on_route broke")

    async def on_update(task: Task) -> None:
        if stage == "update":
            raise Broken("the caller's async on_update broke")

    async def run() -> None:
        async with AsyncAvatarRouter(["apikley"], **router_options(mock)) as router:
            await router.generate(**media_urls(mock), on_route=on_route, on_update=on_update)

    with pytest.raises(TaskCreatedError) as raised:
        asyncio.run(run())
    assert isinstance(raised.value.__cause__, Broken)
    assert counts.tasks() == 1


def test_a_callback_raising_before_any_creation_is_the_callers_own_error(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    # Nothing was created: the caller's exception is not dressed up as a created task.
    mock.fault("envelope", CREATE["apikley"], code=402)

    def on_route(event: RouteEvent) -> None:
        if event.kind == "skipped":
            raise Broken("the caller's on_route broke")

    with pytest.raises(Broken):
        router_for(on_route=on_route).create_task(**media_urls(mock))
    assert counts.tasks() == 0


# --- item 2: an answer that names a task is never failed over on -------------------------

TASK_ID = "hostile-task-0042"
NAMED: dict[str, tuple[int, dict[str, Any]]] = {
    f"HTTP {status}, body code 200": (
        status,
        {"code": 200, "msg": "success", "data": {"taskId": TASK_ID}},
    )
    for status in (429, 402, 455, 505)
}
NAMED |= {
    f"HTTP 200, body code {code}": (
        200,
        {"code": code, "msg": "refused", "data": {"taskId": TASK_ID}},
    )
    for code in (402, 429, 455, 505)
}
NAMED["HTTP 429, task id at the top level"] = (429, {"code": 429, "taskId": TASK_ID})


@pytest.fixture(params=list(NAMED.values()), ids=list(NAMED))
def naming_apikley(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    """An Apikley whose creation answers an error that names a task, on a real socket."""
    status, body = request.param
    with HostileServer(routes("apikley", create=lambda r: [answer(body, status)])) as server:
        yield server


def test_an_error_answer_naming_a_task_is_not_failed_over_on(
    router_for: Router, mock: MockServer, counts: Counts, naming_apikley: HostileServer
) -> None:
    events: list[RouteEvent] = []
    router = router_for(
        api_keys={"apikley": KEY, "crun": mock.crun_key},
        base_urls={"apikley": naming_apikley.url, "crun": mock.base_url},
        on_route=events.append,
    )
    with pytest.raises(AvatarError) as raised:
        router.create_task(**media_urls(mock))
    error = raised.value
    assert error.task_id == TASK_ID and error.provider == "apikley"
    assert "may have been created at apikley" in error.message and TASK_ID in error.message
    assert counts.calls(CREATE["crun"]) == 0 and counts.tasks() == 0
    assert events == []  # not "skipped": the router did not move on


class StopsRedisFirst(RedisRateLimitStore):
    """A real Redis, stopped after the slot was taken and the task created, before the slot
    is freed: the release then meets a server that is gone."""

    def __init__(self, url: str, server: subprocess.Popen[bytes]) -> None:
        super().__init__(url, timeout=2.0)
        self.server = server

    def _stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=10)

    def release(self, key: str, limit: RateLimit, token: str) -> None:
        self._stop()
        super().release(key, limit, token)

    async def release_async(self, key: str, limit: RateLimit, token: str) -> None:
        self._stop()
        await super().release_async(key, limit, token)


def test_a_real_redis_stopped_before_the_slot_is_freed_still_returns_the_task(
    router_for: Router, mock: MockServer, counts: Counts, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as (url, server):
        store = StopsRedisFirst(url, server)
        router = apikley_only(router_for, rate_limit_store=store)
        task = router.create_task(**media_urls(mock))
        store.close()
    assert server.poll() is not None  # it was stopped mid-call
    assert task.provider == "apikley" and counts.tasks() == 1
