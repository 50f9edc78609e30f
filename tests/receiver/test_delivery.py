"""The receiver's rules as flows (`_delivery`): they need no event loop and no HTTP, so the
blocking driver alone runs a callback from its body to the handler."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from kling_avatar import AvatarClient, MemorySeenStore, Task, TaskState
from kling_avatar._delivery import DUPLICATE, Answer, Deliveries, Delivery, Refused
from kling_avatar._drive import run_sync
from kling_avatar._steps import Flow
from kling_avatar.testing import MockServer

from .helpers import client, media

TOKEN = "nonce.mac"  # the URL's token is checked before the flows (Tokens)


@pytest.fixture
def crun(quick_mock: MockServer) -> Iterator[AvatarClient]:
    with client(quick_mock, "crun") as c:
        yield c


def finished(c: AvatarClient, mock: MockServer) -> Task:
    task = c.get_task(c.create_task(**media(mock)).id)
    assert task.state is TaskState.SUCCEEDED
    return task


def deliveries(c: AvatarClient, handled: list[Task], woken: list[Task]) -> Deliveries:
    made = Deliveries(
        handler=handled.append,
        seen=MemorySeenStore(),
        webhook_key=None,
        tolerance=300,
        delivery_ttl=3600,
        wake=woken.append,
        in_threads=_never,
    )
    made.clients[c.provider] = c
    return made


async def _never(read: Flow[Task]) -> Task:
    raise AssertionError("the blocking driver runs a blocking client's read itself")


def deliver(rules: Deliveries, body: object) -> Answer:
    admitted = run_sync(rules.admit("crun", TOKEN, json.dumps(body).encode(), []))
    if isinstance(admitted, Answer):
        return admitted
    assert admitted == Delivery("crun", admitted.task_id, TOKEN)
    return run_sync(rules.hand_on(run_sync(rules.confirm(admitted))))


def test_a_callback_runs_from_body_to_handler_on_the_blocking_driver(
    crun: AvatarClient, quick_mock: MockServer
) -> None:
    task = finished(crun, quick_mock)
    handled: list[Task] = []
    woken: list[Task] = []
    rules = deliveries(crun, handled, woken)
    body = {"task_id": task.id, "status": "success"}
    assert deliver(rules, body) == Answer(200, "success")
    assert handled == woken == [task] and rules.handed_on == 1
    reads = quick_mock.calls("getTaskInfo")
    assert deliver(rules, body) == DUPLICATE  # a replay: no read, not handed on again
    assert quick_mock.calls("getTaskInfo") == reads and handled == [task]


def test_a_failing_handler_frees_the_task_for_the_providers_retry(
    crun: AvatarClient, quick_mock: MockServer
) -> None:
    task = finished(crun, quick_mock)
    calls: list[str] = []

    def flaky(given: Task) -> None:
        calls.append(given.id)
        if len(calls) == 1:
            raise RuntimeError("the database went away")

    rules = deliveries(crun, [], [])
    rules.handler = flaky
    body = {"task_id": task.id, "status": "success"}
    with pytest.raises(Refused) as refused:
        deliver(rules, body)
    assert refused.value.answer.status == 500
    # Not "being handed on" (503): the failed delivery let go of the task.
    assert deliver(rules, body) == Answer(200, "success")
    assert calls == [task.id, task.id]


def test_a_callback_without_a_client_for_its_provider_asks_for_a_retry(
    crun: AvatarClient, quick_mock: MockServer
) -> None:
    task = finished(crun, quick_mock)
    rules = deliveries(crun, [], [])
    rules.clients.clear()
    with pytest.raises(Refused) as refused:
        deliver(rules, {"task_id": task.id, "status": "success"})
    assert refused.value.answer.status == 503
