"""Task-completion callbacks: each provider's payload, retries, kie.ai's signature."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar.testing import MockServer

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_RECORD,
    CRUN_CREATE,
    CRUN_INFO,
    Receiver,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)


def test_crun_posts_the_bare_task_info_when_the_task_ends() -> None:
    with (
        Receiver() as receiver,
        MockServer(step=30.0) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        body = crun_body(callback_url=f"{receiver.url}/hook")
        task_id = http.post(CRUN_CREATE, json=body, headers=crun_headers(mock)).json()["data"][
            "task_id"
        ]
        mock.advance(60.0)  # nobody polls: the task ends on the clock
        [delivery] = mock.wait_callbacks(1)
        assert delivery.url == f"{receiver.url}/hook"
        assert delivery.status == 200 and delivery.attempt == 1
        [(headers, payload)] = receiver.posts
        assert "X-Webhook-Signature" not in headers  # crun documents no signature
        info = http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock))
        assert payload == info.json()["data"] == delivery.body
        assert payload["status"] == "success"


def test_apikley_posts_code_msg_data_and_signs_it_the_kie_way() -> None:
    key = "whsec-test"
    with (
        Receiver() as receiver,
        MockServer(webhook_key=key) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        body = apikley_body(callBackUrl=f"{receiver.url}/hook")
        created = http.post(APIKLEY_CREATE, json=body, headers=apikley_headers(mock))
        task_id = created.json()["data"]["taskId"]
        mock.wait_callbacks(1)
        [(headers, payload)] = receiver.posts
        assert payload["code"] == 200 and payload["msg"]
        data = payload["data"]
        assert data["taskId"] == task_id and data["state"] == "success"
        assert json.loads(data["resultJson"])["resultUrls"]
        assert json.loads(data["param"]) == body
        assert set(data) >= {
            "model",
            "failCode",
            "failMsg",
            "costTime",
            "completeTime",
            "createTime",
        }

        timestamp = headers["X-Webhook-Timestamp"]
        assert abs(int(timestamp) - time.time()) < 300  # Unix seconds
        expected = base64.b64encode(
            hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
        ).decode()
        assert headers["X-Webhook-Signature"] == expected
        record = http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock))
        assert record.json()["data"]["state"] == "success"


def test_apikley_failed_task_posts_code_501_with_the_fail_code() -> None:
    with Receiver() as receiver, MockServer() as mock, httpx.Client(base_url=mock.base_url) as http:
        mock.fault("task_fail", fail_code="500", fail_msg="Internal server error")
        body = apikley_body(callBackUrl=f"{receiver.url}/hook")
        http.post(APIKLEY_CREATE, json=body, headers=apikley_headers(mock))
        [delivery] = mock.wait_callbacks(1)
        assert delivery.body["code"] == 501
        assert delivery.body["data"]["state"] == "fail"
        assert delivery.body["data"]["failCode"] == "500"
        assert "X-Webhook-Signature" not in delivery.headers  # no key configured


def test_refused_callbacks_are_retried_until_accepted() -> None:
    with (
        Receiver(fail_first=2) as receiver,
        MockServer(callback_backoff=0.05) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        http.post(
            CRUN_CREATE, json=crun_body(callback_url=receiver.url), headers=crun_headers(mock)
        )
        deliveries = mock.wait_callbacks(3)
        assert [(d.attempt, d.status) for d in deliveries] == [(1, 500), (2, 500), (3, 200)]
        assert len(receiver.posts) == 3
        assert all(d.body == deliveries[0].body for d in deliveries)


def test_retries_are_bounded_when_nobody_listens() -> None:
    with Receiver() as receiver:
        dead_url = receiver.url  # closed below: connections are refused
    with (
        MockServer(callback_attempts=2, callback_backoff=0.05) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        http.post(CRUN_CREATE, json=crun_body(callback_url=dead_url), headers=crun_headers(mock))
        deliveries = mock.wait_callbacks(2)
        assert [(d.attempt, d.status) for d in deliveries] == [(1, None), (2, None)]
        mock.wait_idle()  # every delivery has given up
        assert len(mock.callbacks) == 2


def test_no_callback_without_a_callback_url(mock: MockServer, http: httpx.Client) -> None:
    task_id = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()["data"][
        "task_id"
    ]
    http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock))
    assert mock.callbacks == []


def test_a_callback_to_another_host_is_refused_without_leaving_the_machine() -> None:
    """A callback URL naming a remote host is recorded as undelivered; nothing is sent."""
    with (
        MockServer(callback_attempts=2, callback_backoff=0.05) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        body = crun_body(callback_url="http://192.0.2.10/hook")  # TEST-NET-1: never routed
        http.post(CRUN_CREATE, json=body, headers=crun_headers(mock))
        deliveries = mock.wait_callbacks(2)
        assert [(d.url, d.status) for d in deliveries] == [("http://192.0.2.10/hook", None)] * 2


def test_the_outgoing_transport_only_passes_loopback_hosts_on() -> None:
    import asyncio

    from kling_avatar.testing._outgoing import LoopbackOnlyTransport

    seen: list[str] = []

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(204)

    async def send(url: str) -> int | str:
        transport = LoopbackOnlyTransport(httpx.MockTransport(record))
        async with httpx.AsyncClient(transport=transport) as client:
            try:
                return (await client.get(url)).status_code
            except httpx.ConnectError as exc:
                return str(exc)

    results = {
        url: asyncio.run(send(url))
        for url in (
            "http://127.0.0.1:9/a",
            "http://localhost/b",
            "http://[::1]/c",
            "http://10.1.2.3/d",
            "https://example.com/e",
        )
    }
    assert seen == ["http://127.0.0.1:9/a", "http://localhost/b", "http://[::1]/c"]
    assert results["http://10.1.2.3/d"] == "the mock only contacts loopback hosts, not '10.1.2.3'"
    assert "only contacts loopback" in str(results["https://example.com/e"])


_TERMINAL = {"crun": {"success", "failed"}, "apikley": {"success", "fail"}}


def _described_state(provider: str, body: dict[str, Any]) -> str:
    if provider == "fal":  # a webhook says OK or ERROR
        return "success" if body["status"] == "OK" else "failed"
    return str(body["status"] if provider == "crun" else body["data"]["state"])


def test_a_task_settled_by_its_timer_is_terminal_even_before_the_clock_says_so() -> None:
    """The timer that ends a task can fire a hair early; its callback still says it ended."""
    from kling_avatar._registry import PROVIDERS
    from kling_avatar.testing._lookup import provider_mock
    from kling_avatar.testing._state import MockState, Task

    state = MockState(
        step=30.0, credits=10.0, seed=0, webhook_key=None, keys=dict.fromkeys(PROVIDERS, "k")
    )
    for provider in PROVIDERS:
        lifecycle = provider_mock(provider).lifecycle
        task = Task(
            provider=provider,
            lifecycle=lifecycle,
            id=f"t-{provider}",
            model="m",
            param={},
            callback_url=None,
            cost=1.0,
            created_wall=state.wall(),
            created_mono=state.monotonic(),
            step=state.step,
        )
        state.add_task(task)
        assert state.phase(task) == lifecycle.states[0]  # the clock: still in its first state
        state.settle(task)  # what the timer does
        body = lifecycle.callback(state, task)
        assert _described_state(provider, body) == "success"
        assert state.phase(task) == lifecycle.success  # and a status read agrees


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    step=st.one_of(st.sampled_from([0.0, 0.001, 0.1]), st.floats(0.0, 0.15)),
    advance=st.one_of(st.none(), st.floats(0.0, 1.0)),
    fail_rate=st.sampled_from([0.0, 0.3]),
)
def test_every_completion_callback_describes_a_finished_task(
    step: float, advance: float | None, fail_rate: float
) -> None:
    """40 concurrent tasks per provider, any step, the clock moved or not: every callback
    body is terminal, and matches what a status read says afterwards."""
    per_provider = 40
    with (
        Receiver() as receiver,
        MockServer(step=step, seed=1, credits=1e6, callback_backoff=0.05) as mock,
    ):
        if fail_rate:
            mock.fault("task_fail", times=None, rate=fail_rate)

        async def create_all() -> None:
            async with httpx.AsyncClient(base_url=mock.base_url, timeout=30) as client:
                crun = crun_body(callback_url=f"{receiver.url}/crun")
                apikley = apikley_body(callBackUrl=f"{receiver.url}/apikley")
                await asyncio.gather(
                    *(
                        client.post(CRUN_CREATE, json=crun, headers=crun_headers(mock))
                        for _ in range(per_provider)
                    ),
                    *(
                        client.post(APIKLEY_CREATE, json=apikley, headers=apikley_headers(mock))
                        for _ in range(per_provider)
                    ),
                )

        asyncio.run(create_all())
        if advance is not None:
            mock.advance(advance)
        mock.wait_callbacks(2 * per_provider, timeout=60)
        mock.wait_idle(timeout=60)  # every delivery made, retried ones included
        deliveries = mock.callbacks
        delivered = {str(d.body) for d in deliveries if d.status == 200}
        assert len(delivered) == 2 * per_provider  # one accepted callback per task
        with httpx.Client(base_url=mock.base_url) as http:
            for delivery in deliveries:
                provider = "crun" if delivery.url.endswith("/crun") else "apikley"
                described = _described_state(provider, delivery.body)
                assert described in _TERMINAL[provider], delivery.body
                if provider == "crun":
                    task_id = delivery.body["task_id"]
                    assert delivery.body["result"] is not None
                    read = http.get(
                        CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock)
                    ).json()["data"]
                    assert read["status"] == described
                else:
                    task_id = delivery.body["data"]["taskId"]
                    assert delivery.body["code"] == (200 if described == "success" else 501)
                    read = http.get(
                        APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock)
                    ).json()["data"]
                    assert read["state"] == described
        assert len(receiver.posts) == len([d for d in deliveries if d.status is not None])
