"""The receiver against a scripted provider on a real socket (issue 21, items 6-8): a callback
that beats the creation, forged callbacks on a slow provider, a provider whose final state
flips; each with a blocking and an async confirming client."""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import attrs
import httpx
import pytest
from hostile.provider import KEY, asked_id, routes, task_data
from hostile.server import HostileServer, Request, Script, envelope
from kling_avatar import (
    AsyncAvatarClient,
    AvatarClient,
    InvalidRequestError,
    Receiver,
    Task,
    TaskNotKnownYet,
    TaskState,
    uvicorn_limits,
)
from kling_avatar._serving import serve

from .helpers import SECRET

TASK = "task-real-0001"


def until(condition: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    """Waits for `condition` (an event another thread makes true); `limit` only stops a
    broken run from hanging."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.005)


class Provider:
    """crun, scripted: `states` says what each known task is; a read of any other id blocks
    until `release` is set, then says there is no such task."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.release = threading.Event()
        self.reads: list[str] = []
        self.server = HostileServer(routes("crun", status=self._status))

    def _status(self, request: Request) -> Script:
        task_id = asked_id("crun", request)
        self.reads.append(task_id)
        state = self.states.get(task_id)
        if state is not None:
            video = f"http://{request.headers['host']}/video.mp4"
            message = "the render failed" if state == "failed" else None
            return [envelope(task_data("crun", task_id, state, urls=[video], message=message))]
        return self._unknown()

    def _unknown(self) -> Iterator[bytes | float]:
        while not self.release.is_set():
            yield 0.01
        yield envelope(None, code=404, message="task not found")

    def reads_of(self, task_id: str) -> int:
        return self.reads.count(task_id)


@attrs.define
class Running:
    receiver: Receiver
    provider: Provider
    handled: list[Task]

    def url(self) -> str:
        return self.receiver.callback_url("crun")


class WithClient:
    """The receiver, with its confirming client made and closed on the serving loop."""

    def __init__(self, receiver: Receiver, make: Callable[[], AvatarClient | AsyncAvatarClient]):
        self.receiver = receiver
        self.make = make

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.receiver(scope, receive, send)
            return
        await receive()
        client = self.make()
        self.receiver.add_client(client)
        await send({"type": "lifespan.startup.complete"})
        await receive()
        if isinstance(client, AsyncAvatarClient):
            await client.close()
        else:
            client.close()
        self.receiver.close()
        await send({"type": "lifespan.shutdown.complete"})


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def running(kind: str, handler: Callable[[Task], object] | None = None) -> Iterator[Running]:
    provider = Provider()
    handled: list[Task] = []

    def record(task: Task) -> object:
        result = handler(task) if handler is not None else None
        handled.append(task)
        return result

    with provider.server:
        options: dict[str, Any] = {
            "api_key": KEY,
            "base_url": provider.server.url,
            "max_retries": 0,
            "timeout": 60.0,
            # Few connections: a client whose every connection a forger holds confirms nothing.
            "max_connections": 8,
        }

        def make() -> AvatarClient | AsyncAvatarClient:
            if kind == "sync":
                return AvatarClient("crun", **options)
            return AsyncAvatarClient("crun", **options)

        receiver = Receiver("http://127.0.0.1:1", secret=SECRET, handler=record)
        try:
            with serve(WithClient(receiver, make), lifespan="on") as url:
                receiver.public_url = url
                yield Running(receiver, provider, handled)
        finally:
            provider.release.set()  # nothing stays blocked past the test


def callback(task_id: str, state: str = "success") -> dict[str, Any]:
    return task_data("crun", task_id, state)


# --- item 6: a callback that beats the creation's answer -----------------------------------


def test_a_callback_for_a_task_not_known_yet_is_answered_retry_and_handed_on_once_known(
    kind: str,
) -> None:
    known: set[str] = set()

    def handler(task: Task) -> None:
        if task.id not in known:
            raise TaskNotKnownYet(f"no record of {task.id} yet")

    with running(kind, handler) as run:
        run.provider.states[TASK] = "success"
        url = run.url()
        early = httpx.post(url, json=callback(TASK), timeout=30)
        # Not acknowledged: the provider must send it again.
        assert early.status_code == 503, early.text
        assert early.headers["retry-after"]
        assert run.handled == []
        known.add(TASK)  # the creation's answer is stored
        retry = httpx.post(url, json=callback(TASK), timeout=30)
        assert retry.status_code == 200 and retry.json()["msg"] == "success", retry.text
        again = httpx.post(url, json=callback(TASK), timeout=30)
        assert again.status_code == 200 and again.json()["msg"] == "duplicate"
        assert [(t.id, t.state) for t in run.handled] == [(TASK, TaskState.SUCCEEDED)]


def test_a_delivery_is_not_marked_seen_while_the_handler_still_has_it(kind: str) -> None:
    """A retry that arrives while the handler runs is not acknowledged as a duplicate: the
    handler may still fail, and then nothing would ever hand the task on."""
    entered, leave = threading.Event(), threading.Event()
    calls: list[str] = []

    def handler(task: Task) -> None:
        calls.append(task.id)
        if len(calls) == 1:
            entered.set()
            assert leave.wait(60)
            raise RuntimeError("the database went away")

    with running(kind, handler) as run, ThreadPoolExecutor(1) as pool:
        run.provider.states[TASK] = "success"
        first_url, second_url = run.url(), run.url()  # the URL binding is not in this answer
        first = pool.submit(httpx.post, first_url, json=callback(TASK), timeout=60)
        assert entered.wait(30)
        during = httpx.post(second_url, json=callback(TASK), timeout=30)
        assert during.status_code == 503, during.text  # "being handed on; retry later"
        leave.set()
        assert first.result().status_code == 500
        after = httpx.post(second_url, json=callback(TASK), timeout=30)
        assert after.status_code == 200 and after.json()["msg"] == "success"
        assert calls == [TASK, TASK] and [t.id for t in run.handled] == [TASK]


# --- item 7: forged callbacks on a slow provider --------------------------------------------


def test_forged_callbacks_on_a_leaked_url_cannot_starve_the_real_one(kind: str) -> None:
    forged = [f"forged-{i:03d}" for i in range(40)]
    with running(kind) as run, ThreadPoolExecutor(len(forged)) as pool:
        run.provider.states[TASK] = "success"
        leaked, real = run.url(), run.url()
        answers = [
            pool.submit(httpx.post, leaked, json=callback(task_id), timeout=60)
            for task_id in forged
        ]
        # Each forged read blocks at the provider until released: the forgers hold what
        # they can.
        until(lambda: len(run.provider.reads) >= 2, "forged reads reach the provider")
        # The real callback, on its own URL, is confirmed and handed on meanwhile.
        answer = httpx.post(real, json=callback(TASK), timeout=30)
        assert answer.status_code == 200 and answer.json()["msg"] == "success", answer.text
        assert [t.id for t in run.handled] == [TASK]
        # All forged ones but the URL's share were refused at once, without a read.
        until(lambda: sum(a.done() for a in answers) >= len(forged) - 2, "the refusals")
        assert not run.provider.release.is_set()
        assert sorted(a.result().status_code for a in answers if a.done()) == [429] * (
            len(forged) - 2
        )
        assert len(run.provider.reads) == 3  # two forged reads in flight, one real
        run.provider.release.set()
        stuck = [a.result().status_code for a in answers if a.result().status_code != 429]
        assert stuck == [400, 400]  # "no such task", once the provider answered


def test_a_url_confirmed_for_one_task_refuses_other_ids_without_a_read(kind: str) -> None:
    with running(kind) as run:
        url = run.url()
        run.provider.states[TASK] = "success"

        def registered(request: Request) -> Script:
            # This provider echoes the URL each task was created with, as crun does.
            data = task_data("crun", asked_id("crun", request), "success")
            data["param"] = {"callback_url": url}
            run.provider.reads.append(asked_id("crun", request))
            return [envelope(data)]

        run.provider.server.route = routes("crun", status=registered)
        assert httpx.post(url, json=callback(TASK), timeout=30).status_code == 200
        reads = len(run.provider.reads)
        other = httpx.post(url, json=callback("forged-xyz"), timeout=30)
        assert other.status_code == 403 and "another task" in other.text
        assert len(run.provider.reads) == reads


# --- item 8: one hand-on per task, whatever the provider says later ------------------------


def test_a_flip_from_failed_to_success_is_handed_on_once_and_logged_as_a_breach(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with running(kind) as run, caplog.at_level(logging.WARNING, "kling_avatar.receiver"):
        url = run.url()
        run.provider.states[TASK] = "failed"
        first = httpx.post(url, json=callback(TASK, "failed"), timeout=30)
        assert first.status_code == 200 and first.json()["msg"] == "success"
        run.provider.states[TASK] = "success"  # the provider changes its mind
        second = httpx.post(url, json=callback(TASK), timeout=30)
        assert second.status_code == 200 and "duplicate" in second.json()["msg"]
        assert [(t.id, t.state) for t in run.handled] == [(TASK, TaskState.FAILED)]
        [breach] = [r for r in caplog.records if "contract breach" in r.getMessage()]
        assert TASK in breach.getMessage() and "failed" in breach.getMessage()
        # Its retries change nothing either.
        third = httpx.post(url, json=callback(TASK), timeout=30)
        assert third.status_code == 200 and len(run.handled) == 1


def test_async_and_sync_handlers_both_see_not_known_yet(kind: str) -> None:
    """The contract holds for an async handler as for a blocking one."""
    known: set[str] = set()
    handled: list[str] = []

    async def handler(task: Task) -> None:
        await asyncio.sleep(0)
        if task.id not in known:
            raise TaskNotKnownYet(task.id)
        handled.append(task.id)

    with running(kind, handler) as run:
        run.provider.states[TASK] = "success"
        url = run.url()
        assert httpx.post(url, json=callback(TASK), timeout=30).status_code == 503
        known.add(TASK)
        assert httpx.post(url, json=callback(TASK), timeout=30).status_code == 200
        assert handled == [TASK]


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None, "8"])
def test_max_confirmations_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(InvalidRequestError, match="max_confirmations"):
        Receiver("http://127.0.0.1:1", secret=SECRET, max_confirmations=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("option", "bad"),
    [
        ("header_timeout", 0),
        ("header_timeout", math.inf),
        ("header_timeout", math.nan),
        ("header_timeout", True),
        ("max_header_bytes", 0),
        ("max_header_bytes", 1.5),
    ],
)
def test_uvicorn_limits_refuse_unusable_bounds(option: str, bad: object) -> None:
    with pytest.raises(InvalidRequestError, match=option):
        uvicorn_limits(**{option: bad})  # type: ignore[arg-type]
