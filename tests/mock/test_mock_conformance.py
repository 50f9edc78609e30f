"""Every answer the mock sends conforms to the spec, for every operation.

One scenario drives each operation through its success answer and its error answers (bad key,
bad input, unknown ids, no credits, each envelope and HTTP fault); an httpx hook collects every
JSON answer and each is validated against the response schema the spec gives for its
operation and status. The callbacks' payloads are validated against the specs' callbacks.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from typing import Any

import httpx
import pytest
from kling_avatar.testing import MockServer
from kling_avatar.testing._providers.apikley import UPLOAD_OPERATIONS
from kling_avatar.testing._specs import routes, templated_route

from specs import load_spec, operations, resolve, validation_errors

from .helpers import (
    APIKLEY_BASE64,
    APIKLEY_CREATE,
    APIKLEY_CREDIT,
    APIKLEY_DOWNLOAD,
    APIKLEY_RECORD,
    APIKLEY_STREAM,
    APIKLEY_URL,
    CRUN_BALANCE,
    CRUN_CREATE,
    CRUN_ESTIMATE,
    CRUN_INFO,
    CRUN_UPLOAD_URL,
    Receiver,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)

ROUTES = {(route.method, route.path): route for route in routes().values()}
# The providers whose answers are an envelope with a `code`, driven here; fal's answers are
# checked in tests/fal/.
ENVELOPED = ("crun", "apikley")


def _drive(mock: MockServer, http: httpx.Client, receiver: Receiver) -> None:
    """Every operation, through its good and bad answers."""
    c, a = crun_headers(mock), apikley_headers(mock)
    bad_c, bad_a = {"x-api-key": "wrong"}, {"Authorization": "Bearer wrong"}

    # crun
    body = crun_body(callback_url=f"{receiver.url}/crun")
    task_id = http.post(CRUN_CREATE, json=body, headers=c).json()["data"]["task_id"]
    for _ in range(4):
        http.get(CRUN_INFO, params={"task_id": task_id}, headers=c)
        mock.advance(10.0)
    mock.fault("task_fail")
    failed = http.post(CRUN_CREATE, json=crun_body(), headers=c).json()["data"]["task_id"]
    mock.advance(30.0)
    http.get(CRUN_INFO, params={"task_id": failed}, headers=c)
    http.get(CRUN_INFO, params={"task_id": "unknown"}, headers=c)
    http.get(CRUN_INFO, headers=c)
    http.post(CRUN_CREATE, json={"model": "x"}, headers=c)
    http.post(CRUN_ESTIMATE, json=crun_body(), headers=c)
    http.post(CRUN_ESTIMATE, json={}, headers=c)
    http.get(CRUN_BALANCE, headers=c)
    http.get(CRUN_BALANCE, headers=bad_c)
    http.get(CRUN_UPLOAD_URL, params={"content_type": "image/png", "ext": ".png"}, headers=c)
    http.get(CRUN_UPLOAD_URL, params={"content_type": "image/png", "ext": "png"}, headers=c)
    http.get("/api/v1/client/job/Models", params={"modality": "video"}, headers=c)
    http.get("/api/v1/client/job/Models/kling/avatar", headers=c)
    http.get("/api/v1/client/job/Models/kling/none", headers=c)

    # Apikley
    body = apikley_body(callBackUrl=f"{receiver.url}/apikley")
    task_id = http.post(APIKLEY_CREATE, json=body, headers=a).json()["data"]["taskId"]
    for _ in range(5):
        http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=a)
        mock.advance(10.0)
    mock.fault("task_fail", fail_code="500")
    failed = http.post(APIKLEY_CREATE, json=apikley_body(), headers=a).json()["data"]["taskId"]
    mock.advance(30.0)
    record = http.get(APIKLEY_RECORD, params={"taskId": failed}, headers=a)
    assert record.json()["data"]["state"] == "fail"
    http.get(APIKLEY_RECORD, params={"taskId": "unknown"}, headers=a)
    http.post(APIKLEY_CREATE, json={"model": "kling/ai-avatar-v1-pro"}, headers=a)
    http.get(APIKLEY_CREDIT, headers=a)
    http.get(APIKLEY_CREDIT, headers=bad_a)
    stored = http.post(
        APIKLEY_STREAM,
        files={"file": ("a.png", b"\x89PNG", "image/png")},
        data={"uploadPath": "t"},
        headers=a,
    ).json()["data"]["downloadUrl"]
    http.post(APIKLEY_STREAM, data={"uploadPath": "t"}, headers=a)
    http.post(
        APIKLEY_BASE64,
        json={"base64Data": base64.b64encode(b"x").decode(), "uploadPath": "t"},
        headers=a,
    )
    http.post(APIKLEY_BASE64, json={"base64Data": "!", "uploadPath": "t"}, headers=a)
    http.post(APIKLEY_URL, json={"fileUrl": stored, "uploadPath": "t"}, headers=a)
    http.post(APIKLEY_URL, json={"fileUrl": f"{receiver.url}/none", "uploadPath": "t"}, headers=a)
    http.post(APIKLEY_DOWNLOAD, json={"url": stored}, headers=a)
    http.post(APIKLEY_DOWNLOAD, json={"url": "https://example.com/x"}, headers=a)

    # No credits, then the faults that answer JSON, on every operation.
    mock.set_credits(0.0)
    http.post(CRUN_CREATE, json=crun_body(), headers=c)
    http.post(APIKLEY_CREATE, json=apikley_body(), headers=a)
    mock.set_credits(100.0)
    for route in routes().values():
        if route.provider not in ENVELOPED:
            continue
        headers = c if route.provider == "crun" else a
        # The file-upload API has codes of its own (200/400/401/405/500), not the Market's.
        codes = (401, 500) if route.operation_id in UPLOAD_OPERATIONS else (455, 505)
        for kind, params in (
            ("envelope", {"code": codes[0]}),
            ("envelope", {"code": codes[1]}),
            ("http", {"status": 429, "retry_after": 3}),
            ("http", {"status": 500}),
            ("http", {"status": 503, "retry_after": "Wed, 21 Oct 2026 07:28:00 GMT"}),
        ):
            mock.fault(kind, operation=route.operation_id, **params)
            http.request(route.method, route.path, headers=headers)


def test_every_answer_conforms_to_the_spec() -> None:
    seen: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    with (
        Receiver() as receiver,
        MockServer(step=10.0, seed=0) as mock,
        httpx.Client(base_url=mock.base_url, event_hooks={"response": [keep]}) as http,
    ):
        _drive(mock, http, receiver)
        mock.wait_idle()
        assert not mock.errors

    checked: dict[str, set[int]] = defaultdict(set)
    problems: list[str] = []
    for response in seen:
        method, path = response.request.method, response.request.url.path
        route = ROUTES.get((method, path)) or templated_route(method, path)
        if route is None:
            continue  # media and presigned PUTs are not spec operations
        spec = load_spec(route.provider)
        _, _, operation = operations(spec)[route.operation_id]
        status = str(response.status_code)
        if status not in operation["responses"]:
            problems.append(f"{route.operation_id}: HTTP {status} is not in the spec")
            continue
        declared = resolve(spec, operation["responses"][status])
        assert response.headers["content-type"].startswith("application/json")
        schema = declared["content"]["application/json"]["schema"]
        for error in validation_errors(spec, schema, response.json()):
            problems.append(f"{route.operation_id} {status} {response.text[:120]}: {error}")
        if "Retry-After" in declared.get("headers", {}):
            assert "retry-after" in response.headers
        checked[route.operation_id].add(response.json()["code"])

    assert not problems, "\n".join(problems)
    assert set(checked) == {
        route.operation_id for route in routes().values() if route.provider in ENVELOPED
    }
    # Each operation was seen answering success and at least three kinds of error.
    assert all(200 in codes and len(codes) >= 4 for codes in checked.values()), checked


@pytest.mark.parametrize(
    ("provider", "path"),
    [("crun", "/api/v1/client/job/CreateTask"), ("apikley", "/api/v1/jobs/createTask")],
)
def test_callbacks_conform_to_the_specs_callbacks(provider: str, path: str) -> None:
    spec = load_spec(provider)
    callback = spec["paths"][path]["post"]["callbacks"]["taskCompleted"]
    (expression,) = callback
    schema = resolve(spec, callback[expression]["post"]["requestBody"])["content"][
        "application/json"
    ]["schema"]
    with Receiver() as receiver, MockServer() as mock, httpx.Client(base_url=mock.base_url) as http:
        mock.fault("task_fail")
        for _ in range(2):  # one failed, one successful
            if provider == "crun":
                http.post(
                    path, json=crun_body(callback_url=receiver.url), headers=crun_headers(mock)
                )
            else:
                http.post(
                    path, json=apikley_body(callBackUrl=receiver.url), headers=apikley_headers(mock)
                )
        deliveries = mock.wait_callbacks(2)
    bodies: list[Any] = [delivery.body for delivery in deliveries]
    # Both were delivered, whichever first: the two tasks may end in the same instant.
    received = [body for _, body in receiver.posts]
    assert sorted(map(json.dumps, received)) == sorted(map(json.dumps, bodies))
    for body in bodies:
        assert validation_errors(spec, schema, body) == [], json.dumps(body)
