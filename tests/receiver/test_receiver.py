"""The receiver over real HTTP: who it refuses, what it hands on, and how often."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from kling_avatar import Receiver, Task, TaskState
from kling_avatar._serving import serve
from kling_avatar.testing import MockServer

from .conftest import WEBHOOK_KEY
from .helpers import SECRET, client, media, served_receiver


def deliveries_for(mock: MockServer, task_id: str, count: int = 1) -> list[Any]:
    deadline = time.monotonic() + 10
    while True:
        found = [d for d in mock.callbacks if task_id in json.dumps(d.body)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.01)


def test_a_finished_task_is_handed_on_once_and_a_replay_is_a_duplicate(
    quick_mock: MockServer, provider: str
) -> None:
    with served_receiver(quick_mock) as served, client(quick_mock, provider) as c:
        url = served.receiver.callback_url(provider)
        created = c.create_task(**media(quick_mock), callback_url=url)
        [task] = served.wait_handled(1)
        assert (task.id, task.state, task.provider) == (created.id, TaskState.SUCCEEDED, provider)
        [delivery] = deliveries_for(quick_mock, created.id)
        assert delivery.status == 200
        reads = quick_mock.calls("getTaskInfo") + quick_mock.calls("getTaskDetails")
        for _ in range(3):  # the provider retrying, or an attacker replaying
            replay = httpx.post(url, json=delivery.body, headers=delivery.headers)
            assert replay.status_code == 200 and replay.json()["msg"] == "duplicate"
        assert len(served.handled) == 1
        # ...and a replay costs no read of the provider's API.
        assert quick_mock.calls("getTaskInfo") + quick_mock.calls("getTaskDetails") == reads


def test_urls_it_did_not_mint_are_refused(quick_mock: MockServer) -> None:
    with served_receiver(quick_mock) as served:
        good = served.receiver.callback_url("crun")
        nonce_mac = good.rsplit("/", 1)[1]
        nonce, mac = nonce_mac.split(".")
        other = Receiver("http://127.0.0.1:1", secret="another-secret-0123456789").callback_url(
            "crun"
        )
        body = {"task_id": "t", "status": "success"}
        altered = mac[:-1] + ("y" if mac.endswith("x") else "x")
        cases = {
            f"{served.url}/crun/{nonce}.{altered}": 403,  # the mac altered
            f"{served.url}/crun/{nonce}x.{mac}": 403,  # the nonce altered
            f"{served.url}/apikley/{nonce_mac}": 403,  # crun's token used for Apikley
            served.url + "/crun/" + other.rsplit("/", 1)[1]: 403,  # another secret's
            f"{served.url}/crun/{nonce}": 403,
            f"{served.url}/crun/": 404,
            f"{served.url}/kie/{nonce_mac}": 404,
            f"{served.url}/crun/{nonce_mac}/more": 404,
        }
        for url, status in cases.items():
            assert httpx.post(url, json=body).status_code == status, url
        assert httpx.get(good).status_code == 405
        assert served.handled == []


def test_apikley_signatures_are_checked(quick_mock: MockServer) -> None:
    with served_receiver(quick_mock) as served, client(quick_mock, "apikley") as c:
        url = served.receiver.callback_url("apikley")
        created = c.create_task(**media(quick_mock), callback_url=url)
        [delivery] = deliveries_for(quick_mock, created.id)
        assert delivery.status == 200 and [t.id for t in served.handled] == [created.id]
        served.receiver.seen.discard(f"delivery:apikley:{created.id}:succeeded")
        stale = str(int(delivery.headers["X-Webhook-Timestamp"]) - 3600)
        forged_body = {**delivery.body, "data": {**delivery.body["data"], "taskId": "other"}}
        for body, headers in [
            (delivery.body, {}),  # unsigned
            (delivery.body, {**delivery.headers, "X-Webhook-Signature": "AAAA"}),
            (delivery.body, {**delivery.headers, "X-Webhook-Timestamp": stale}),
            (forged_body, delivery.headers),  # the signature vouches for another task
        ]:
            answer = httpx.post(url, json=body, headers=headers)
            assert answer.status_code == 401, answer.text
        assert len(served.handled) == 1
        # Signed right (and forgotten as seen above): handed on again.
        assert httpx.post(url, json=delivery.body, headers=delivery.headers).status_code == 200
        assert [t.id for t in served.handled] == [created.id] * 2


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1]", b"null", b"{}", b'{"code": 200, "data": {"state": "success"}}', b"\xff"],
)
def test_malformed_bodies_are_400(quick_mock: MockServer, provider: str, body: bytes) -> None:
    with served_receiver(quick_mock) as served:
        answer = httpx.post(served.receiver.callback_url(provider), content=body)
        assert answer.status_code in (400, 401) if provider == "apikley" else (400,)
        assert answer.status_code == 400 or b"taskId" not in body
    assert served.handled == []


def test_a_body_over_the_cap_is_413_and_not_read_to_the_end(quick_mock: MockServer) -> None:
    with served_receiver(quick_mock, max_body=1024) as served:
        url = served.receiver.callback_url("crun")
        assert httpx.post(url, content=b"x" * 2048).status_code == 413  # Content-Length
        sent = 0

        def endless() -> Iterator[bytes]:  # chunked: no Content-Length to judge by
            nonlocal sent
            for _ in range(10_000):
                sent += 1
                yield b"y" * 1024

        try:
            status = httpx.post(url, content=endless()).status_code
        except httpx.HTTPError:  # the server may close the socket while we still send
            status = 413
        assert status == 413


def test_the_body_is_read_as_a_stream_and_reading_stops_at_the_cap() -> None:
    receiver = Receiver("http://127.0.0.1:1", secret=SECRET, max_body=4096)
    token = receiver.callback_url("crun").rsplit("/", 1)[1]
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": f"/crun/{token}",
        "headers": [],
    }
    pulled = 0
    answers: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:  # an endless body, 1 KiB at a time
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"z" * 1024, "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        answers.append(message)

    asyncio.run(receiver(scope, receive, send))
    assert answers[0]["status"] == 413
    assert pulled == 5  # 4 KiB fit; the fifth chunk crosses the cap and nothing more is read

    for length, status in [(b"9" * 5000, 413), (b"4097", 413), (b"-1", 400), (b"\xd9\xa3", 400)]:
        answers.clear()
        pulled = 0
        scope["headers"] = [(b"content-length", length)]
        asyncio.run(receiver(scope, receive, send))
        assert (answers[0]["status"], pulled) == (status, 0)


def test_the_body_is_not_trusted_a_forged_success_triggers_a_reread(
    slow_mock: MockServer, provider: str
) -> None:
    with served_receiver(slow_mock) as served, client(slow_mock, provider) as c:
        url = served.receiver.callback_url(provider)
        created = c.create_task(**media(slow_mock), callback_url=url)
        running = c.get_task(created.id)
        assert not running.done
        forged: dict[str, Any]
        if provider == "crun":
            forged = {"task_id": created.id, "status": "success", "result": {"media_urls": []}}
            headers: dict[str, str] = {}
        else:  # a signed callback's body is not signed: forge it, keep a valid signature
            forged = {"code": 200, "data": {"taskId": created.id, "state": "success"}}
            from kling_avatar.testing._providers.apikley import sign

            stamp = str(int(time.time()))
            headers = {
                "X-Webhook-Timestamp": stamp,
                "X-Webhook-Signature": sign(WEBHOOK_KEY, created.id, stamp),
            }
        reads = slow_mock.calls("getTaskInfo") + slow_mock.calls("getTaskDetails")
        answer = httpx.post(url, json=forged, headers=headers)
        assert answer.status_code == 202, answer.text
        assert slow_mock.calls("getTaskInfo") + slow_mock.calls("getTaskDetails") == reads + 1
        assert served.handled == []
        ghost = {**forged}
        if provider == "crun":
            ghost["task_id"] = "00000000-0000-4000-8000-000000000000"
            # The URL was confirmed for the created task: another id is refused without a read.
            reads = slow_mock.calls("getTaskInfo")
            assert httpx.post(url, json=ghost).status_code == 403
            assert slow_mock.calls("getTaskInfo") == reads
        slow_mock.advance(3 * 3600)  # now it really finishes, and calls back
        [task] = served.wait_handled(1)
        assert task.id == created.id and task.state is TaskState.SUCCEEDED


def test_a_failing_handler_is_500_and_the_providers_retry_is_handed_on(
    quick_mock: MockServer, provider: str
) -> None:
    calls: list[str] = []

    def flaky(task: Task) -> None:
        calls.append(task.id)
        if len(calls) == 1:
            raise RuntimeError("database down")

    with served_receiver(quick_mock, handler=flaky) as served, client(quick_mock, provider) as c:
        created = c.create_task(
            **media(quick_mock), callback_url=served.receiver.callback_url(provider)
        )
        deliveries = deliveries_for(quick_mock, created.id, count=2)
        assert [d.status for d in deliveries] == [500, 200]
        assert calls == [created.id, created.id]
        assert [t.id for t in served.handled] == [created.id]


def test_the_provider_down_during_confirmation_is_503(quick_mock: MockServer) -> None:
    with served_receiver(quick_mock) as served, client(quick_mock, "crun") as c:
        created = c.create_task(**media(quick_mock))
        c.get_task(created.id)
        quick_mock.fault("envelope", operation="getTaskInfo", code=500, times=3)
        url = served.receiver.callback_url("crun")
        body = {"task_id": created.id, "status": "success"}
        assert httpx.post(url, json=body).status_code == 503
        assert httpx.post(url, json=body).status_code == 200  # the retry, once it is back
        assert [t.id for t in served.handled] == [created.id]
        quick_mock.clear_faults()


def test_mounted_under_fastapi(quick_mock: MockServer) -> None:
    from fastapi import FastAPI

    def mount(receiver: Receiver) -> FastAPI:
        app = FastAPI()
        app.mount("/callbacks", receiver)
        return app

    with (
        served_receiver(quick_mock, mount=mount, path="/callbacks") as served,
        client(quick_mock, "apikley") as c,
    ):
        url = served.receiver.callback_url("apikley")
        assert url.startswith(served.url.rsplit("/callbacks", 1)[0] + "/callbacks/apikley/")
        created = c.create_task(**media(quick_mock), callback_url=url)
        assert [t.id for t in served.wait_handled(1)] == [created.id]


def test_concurrent_identical_deliveries_are_handed_on_once(quick_mock: MockServer) -> None:
    with served_receiver(quick_mock) as served, client(quick_mock, "crun") as c:
        created = c.create_task(**media(quick_mock))
        c.get_task(created.id)
        url = served.receiver.callback_url("crun")
        body = {"task_id": created.id, "status": "success"}
        reads = quick_mock.calls("getTaskInfo")

        async def storm() -> list[int]:
            async with httpx.AsyncClient() as http:
                answers = await asyncio.gather(*(http.post(url, json=body) for _ in range(20)))
            return [a.status_code for a in answers]

        assert asyncio.run(storm()) == [200] * 20
        assert [t.id for t in served.handled] == [created.id]
        # Deliveries that overlap share one confirmation; later ones are seen duplicates.
        assert quick_mock.calls("getTaskInfo") - reads == 1


def test_the_receivers_repr_shows_no_secret() -> None:
    receiver = Receiver("https://svc.example/cb", secret=SECRET, webhook_key=WEBHOOK_KEY)
    assert SECRET not in repr(receiver) and WEBHOOK_KEY not in repr(receiver)


def test_an_async_handler_is_awaited_on_the_serving_loop(quick_mock: MockServer) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def handler(task: Task) -> None:
        await asyncio.sleep(0)
        loops.append(asyncio.get_running_loop())

    receiver = Receiver("http://127.0.0.1:1", secret=SECRET, handler=handler)
    with client(quick_mock, "crun") as c, serve(receiver) as url:
        receiver.add_client(c)
        receiver.public_url = url
        created = c.create_task(**media(quick_mock), callback_url=receiver.callback_url("crun"))
        deliveries_for(quick_mock, created.id)
    assert len(loops) == 1 and receiver.handed_on == 1


def test_a_url_speaks_only_for_the_task_created_with_it(
    quick_mock: MockServer, provider: str
) -> None:
    with served_receiver(quick_mock, webhook_key=None) as served, client(quick_mock, provider) as c:
        mine = served.receiver.callback_url(provider)
        leaked = served.receiver.callback_url(provider)  # minted for another task
        created = c.create_task(**media(quick_mock), callback_url=mine)
        [delivery] = deliveries_for(quick_mock, created.id)
        assert delivery.url == mine and delivery.status == 200
        served.receiver.seen.discard(f"delivery:{provider}:{created.id}:succeeded")
        answer = httpx.post(leaked, json=delivery.body)
        assert answer.status_code == 403 and "another task" in answer.text
        assert httpx.post(mine, json=delivery.body).status_code == 200
        assert [t.id for t in served.handled] == [created.id] * 2  # once, then once more
