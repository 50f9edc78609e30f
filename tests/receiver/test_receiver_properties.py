"""Whatever is POSTed to a valid callback URL, with whatever headers, the receiver answers
2xx or 4xx (never 5xx for bad input) and hands on only tasks the provider's API confirms."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from kling_avatar import Receiver, Task
from kling_avatar.testing import MockServer

from .conftest import WEBHOOK_KEY
from .helpers import SECRET, client, media
from .test_callbacks_hardening import callback_bodies, header_shapes, task_objects

REAL: dict[str, Task] = {}  # one finished task per provider, as the API reports it
HANDLED: dict[str, list[Task]] = {"signed": [], "unsigned": []}


@pytest.fixture(scope="module")
def receivers(quick_mock: MockServer) -> Iterator[dict[str, Receiver]]:
    """Signed and unsigned Apikley (the unsigned one reaches confirmation), and crun."""
    clients = [client(quick_mock, "crun"), client(quick_mock, "apikley")]
    for c in clients:
        REAL[c.provider] = c.get_task(c.create_task(**media(quick_mock)).id)
    made = {
        "signed": Receiver(
            "http://127.0.0.1:1",
            secret=SECRET,
            handler=HANDLED["signed"].append,
            clients=clients,
            webhook_key=WEBHOOK_KEY,
        ),
        "unsigned": Receiver(
            "http://127.0.0.1:1", secret=SECRET, handler=HANDLED["unsigned"].append, clients=clients
        ),
    }
    yield made
    for c in clients:
        c.close()


def post(receiver: Receiver, provider: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    token = receiver.callback_url(provider).rsplit("/", 1)[1]
    scope = {
        "type": "http",
        "method": "POST",
        "path": f"/{provider}/{token}",
        "root_path": "",
        "headers": headers,
    }
    sent: list[MutableMapping[str, Any]] = []
    chunks = [body[i : i + 512] for i in range(0, len(body), 512)] or [b""]

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(receiver(scope, receive, send))
    assert json.loads(sent[1]["body"])["code"] == sent[0]["status"]
    return int(sent[0]["status"])


def as_asgi_headers(headers: object) -> list[tuple[bytes, bytes]]:
    """ASGI headers are (bytes, bytes) pairs; keep whatever of the drawn shape can be that."""
    pairs: list[object] = list(headers.items()) if isinstance(headers, dict) else []
    if isinstance(headers, list):
        pairs = headers
    out: list[tuple[bytes, bytes]] = []
    if pairs:
        for pair in pairs:
            if isinstance(pair, tuple) and len(pair) == 2:
                name, value = (
                    p.encode("utf-8", "replace") if isinstance(p, str) else p for p in pair
                )
                if isinstance(name, bytes) and isinstance(value, bytes):
                    out.append((name.lower(), value))
    return out


def real_task_body(provider: str, data: dict[str, object], wrapped: bool) -> bytes:
    """Any body naming a real, finished task (the rest of it whatever was drawn)."""
    task_id = REAL[provider].id if REAL else "none-yet"  # drawn after the fixture ran
    if provider == "crun":
        obj = {**data, "task_id": task_id}
        obj.pop("taskId", None)
        body: object = {"code": 200, "data": obj} if wrapped else obj
    else:
        body = {"code": 200, "data": {**data, "taskId": task_id, "task_id": task_id}}
    return json.dumps(body).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.sampled_from(["signed", "unsigned"]),
    provider=st.sampled_from(["crun", "apikley"]),
    body=st.one_of(
        callback_bodies.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.builds(
            real_task_body, st.sampled_from(["crun", "apikley"]), task_objects, st.booleans()
        ),
    ),
    headers=header_shapes,
)
def test_any_post_is_answered_2xx_or_4xx(
    receivers: dict[str, Receiver], which: str, provider: str, body: bytes, headers: object
) -> None:
    receiver = receivers[which]
    status = post(receiver, provider, body, as_asgi_headers(headers))
    assert 200 <= status < 500, status
    real = any(t.id.encode() in body for t in REAL.values())
    event(f"{which}: {'a real task' if real else 'no real task'}, answered {status}")
    # Only real tasks are handed on, each once per receiver, as the API (not the body) says.
    for handled in HANDLED.values():
        assert len({(t.provider, t.id) for t in handled}) == len(handled)
        for task in handled:
            assert task == REAL[task.provider]
