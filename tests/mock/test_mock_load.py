"""1,000 tasks created and polled to completion concurrently (bounded in count and time)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

import httpx
from kling_avatar.testing import COST_PRO, COST_STD, MockServer

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_CREDIT,
    APIKLEY_RECORD,
    CRUN_BALANCE,
    CRUN_CREATE,
    CRUN_INFO,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)

TASKS = 1000
CONCURRENCY = 32
TIME_LIMIT = 90.0  # seconds for the whole run; it takes a fraction of that
MAX_READS = 200  # per task: a task that never ends fails the test instead of hanging it
START = 10_000.0


async def _one(
    http: httpx.AsyncClient, mock: MockServer, number: int
) -> tuple[str, str, str, float]:
    """Create task `number` (crun's or apikley's) and poll it until it ends."""
    if number % 2:
        body = crun_body()
        if number % 4 == 1:
            body["input"]["mode"] = "std"
        created = await http.post(CRUN_CREATE, json=body, headers=crun_headers(mock))
        task_id = created.json()["data"]["task_id"]
        cost = COST_STD if body["input"]["mode"] == "std" else COST_PRO
        for _ in range(MAX_READS):
            answer = await http.get(
                CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock)
            )
            status = answer.json()["data"]["status"]
            if status in ("success", "failed"):
                return "crun", task_id, status, cost
            await asyncio.sleep(0.01)
        return "crun", task_id, status, cost
    created = await http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
    task_id = created.json()["data"]["taskId"]
    state = "none"
    for _ in range(MAX_READS):
        answer = (
            await http.get(
                APIKLEY_RECORD,
                params={"taskId": task_id},
                headers=apikley_headers(mock),
            )
        ).json()
        if answer["code"] == 200:
            state = answer["data"]["state"]
            if state in ("success", "fail"):
                if state == "success":
                    assert json.loads(answer["data"]["resultJson"])["resultUrls"]
                return "apikley", task_id, state, COST_PRO
        await asyncio.sleep(0.01)
    return "apikley", task_id, state, COST_PRO


async def _run(mock: MockServer) -> list[tuple[str, str, str, float]]:
    """(provider, task id, final state, cost) for every task."""
    # CONCURRENCY clients of one connection each, each lent to one task at a time. (One client
    # with CONCURRENCY connections looks through all of them, for every waiting request, on
    # every request and response: httpcore's pool was most of this test's CPU.)
    one_connection = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with contextlib.AsyncExitStack() as stack:
        free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for _ in range(CONCURRENCY):
            client = httpx.AsyncClient(base_url=mock.base_url, limits=one_connection, timeout=30.0)
            free.put_nowait(await stack.enter_async_context(client))

        async def one(number: int) -> tuple[str, str, str, float]:
            http = await free.get()
            try:
                return await _one(http, mock, number)
            finally:
                free.put_nowait(http)

        return await asyncio.wait_for(
            asyncio.gather(*(one(number) for number in range(TASKS))), TIME_LIMIT
        )


def test_a_thousand_tasks_polled_to_completion_concurrently() -> None:
    with MockServer(step=0.003, credits=START, seed=1) as mock:
        mock.fault("task_fail", times=None, rate=0.1)  # about one task in ten ends failed
        # Client and server share this process's GIL; the default 5 ms switch interval would
        # make each request wait for the other thread's time slice.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0002)
        try:
            results = asyncio.run(_run(mock))
        finally:
            sys.setswitchinterval(interval)
        with httpx.Client(base_url=mock.base_url) as http:
            crun_left = http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["data"]
            apikley_left = http.get(APIKLEY_CREDIT, headers=apikley_headers(mock)).json()["data"]
        assert not mock.errors

    assert len(results) == TASKS
    assert len({task_id for _, task_id, _, _ in results}) == TASKS  # every task its own id
    states = {state for _, _, state, _ in results}
    assert states == {"success", "failed", "fail"}  # all finished, some of each kind
    assert mock.calls("createTask") + mock.calls("kling-ai-avatar-v1-pro") == TASKS

    # Credits add up: each successful task cost its price, failed ones were refunded.
    spent = {"crun": 0.0, "apikley": 0.0}
    for provider, _, state, cost in results:
        if state == "success":
            spent[provider] += cost
    assert crun_left == {"balance": START - spent["crun"]}
    assert apikley_left == START - spent["apikley"]
