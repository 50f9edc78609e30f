"""The mock's fal answers conform to specs/fal.yaml, every operation through its success and
its errors; and the facts the adapter holds as data are the spec's (endpoints, prices, the
webhook's signature)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import httpx
from kling_avatar._providers import adapter_class
from kling_avatar._providers.fal import ENDPOINTS, Fal
from kling_avatar._signatures import PublishedKeySigning
from kling_avatar.testing import MockServer
from kling_avatar.testing._specs import routes, templated_route

from specs import load_spec, operations, resolve, validation_errors

from .helpers import KEY

SPEC = load_spec("fal")
ROUTES = {(route.method, route.path): route for route in routes().values()}
INPUT = {"image_url": "https://a.example/p.png", "audio_url": "https://a.example/v.mp3"}
FAL_OPERATIONS = {route.operation_id for route in routes().values() if route.provider == "fal"}


def _drive(mock: MockServer, http: httpx.Client, hook: str) -> None:
    """Every fal operation, through its good and bad answers."""
    key, wrong = {"Authorization": f"Key {KEY}"}, {"Authorization": "Key wrong:key"}
    submits = [op for op, (method, _, _) in operations(SPEC).items() if method == "post"]
    for op in submits:
        _, path, _ = operations(SPEC)[op]
        if op == "initiateUpload":
            continue
        mock.step = 10.0
        created = http.post(path, json=INPUT, headers=key, params={"fal_webhook": hook}).json()
        rid = created["request_id"]
        prefix = path.rpartition("/requests")[0] if "/requests" in path else path
        for _ in range(4):  # queued, in progress, completed
            for base in (prefix, "/fal-ai/kling-video"):
                http.get(f"{base}/requests/{rid}/status", params={"logs": 1}, headers=key)
                http.get(f"{base}/requests/{rid}", headers=key)
            mock.advance(10.0)
        for base in (prefix, "/fal-ai/kling-video"):
            http.put(f"{base}/requests/{rid}/cancel", headers=key)  # already completed: 400
            http.get(f"{base}/requests/unknown/status", headers=key)  # 404
            http.get(f"{base}/requests/{rid}/status", headers=wrong)  # 401
        for base in (prefix, "/fal-ai/kling-video"):
            queued = http.post(path, json=INPUT, headers=key).json()["request_id"]
            http.put(f"{base}/requests/{queued}/cancel", headers=key)  # 202
            http.get(f"{base}/requests/{queued}/status", headers=key)  # COMPLETED, cancelled
        mock.fault("task_fail", op, fail_code="face_detection_error", fail_msg="no face")
        failed = http.post(path, json=INPUT, headers=key, params={"fal_webhook": hook})
        failed = failed.json()["request_id"]
        mock.advance(30.0)
        http.get(f"/fal-ai/kling-video/requests/{failed}/status", headers=key)
        http.get(f"/fal-ai/kling-video/requests/{failed}", headers=key)  # the model's 422
        http.post(path, json={"image_url": "x"}, headers=key)  # refused: 422
        mock.set_credits(0.0, "fal")
        http.post(path, json=INPUT, headers=key)  # locked: 403
        mock.set_credits(100.0, "fal")
    http.post("/storage/upload/initiate", json={"content_type": "image/png", "file_name": "a.png"},
              params={"storage_type": "fal-cdn-v3"}, headers=key)  # fmt: skip
    # (a body the spec refuses is answered 422, which the spec lists for the submits only)
    http.post("/storage/upload/initiate", json={}, headers=wrong)
    http.get("/.well-known/jwks.json")  # no key: it is public
    for route in routes().values():  # the faults that answer JSON, on every operation
        if route.provider != "fal":
            continue
        for kind, params in (
            ("http", {"status": 429, "retry_after": 3}),
            ("http", {"status": 500}),
            ("http", {"status": 503}),
        ):
            mock.fault(kind, operation=route.operation_id, **params)
            path = route.path.replace("{request_id}", "r-1")
            http.request(route.method, path, headers=key)


def test_every_fal_answer_conforms_to_the_spec() -> None:
    from mock.helpers import Receiver

    seen: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        seen.append(response)

    with (
        Receiver() as receiver,
        MockServer(step=10.0, seed=0, keys={"fal": KEY}) as mock,
        httpx.Client(base_url=mock.base_url, event_hooks={"response": [keep]}) as http,
    ):
        _drive(mock, http, f"{receiver.url}/hook")
        mock.wait_idle()
        assert not mock.errors
        webhooks = [body for _, body in receiver.posts]

    checked: dict[str, set[int]] = defaultdict(set)
    problems: list[str] = []
    for response in seen:
        method, path = response.request.method, response.request.url.path
        route = ROUTES.get((method, path)) or templated_route(method, path)
        assert route is not None and route.provider == "fal", path
        _, _, operation = operations(SPEC)[route.operation_id]
        status = str(response.status_code)
        if status not in operation["responses"]:
            problems.append(f"{route.operation_id}: HTTP {status} is not in the spec")
            continue
        declared = resolve(SPEC, operation["responses"][status])
        schema = declared["content"]["application/json"]["schema"]
        for error in validation_errors(SPEC, schema, response.json()):
            problems.append(f"{route.operation_id} {status} {response.text[:120]}: {error}")
        checked[route.operation_id].add(response.status_code)
    assert not problems, "\n".join(problems)
    assert set(checked) == FAL_OPERATIONS
    # Every operation answered its success and errors; the public key set has no key to refuse.
    thin = {
        op: sorted(codes)
        for op, codes in checked.items()
        if len(codes) < 3 or not codes & {200, 202}
    }
    assert thin == {}
    # The webhooks, one OK and one ERROR per endpoint, are the spec's callback.
    _, _, submit = operations(SPEC)["submitAvatarV2Pro"]
    (expression,) = submit["callbacks"]["webhook"]
    callback = submit["callbacks"]["webhook"][expression]["post"]
    schema = resolve(SPEC, callback["requestBody"])["content"]["application/json"]["schema"]
    assert {body["status"] for body in webhooks} == {"OK", "ERROR"}
    for body in webhooks:
        assert validation_errors(SPEC, schema, body) == [], json.dumps(body)


def test_the_endpoints_and_their_prices_are_the_specs() -> None:
    priced: dict[str, tuple[str, str, float]] = {}
    for method, path, operation in operations(SPEC).values():
        facts: Any = operation.get("x-kling-avatar")
        if method == "post" and facts:
            priced[path.lstrip("/")] = (
                facts["version"],
                facts["mode"],
                operation["x-price"]["usd-per-second"],
            )
    assert {endpoint: price for endpoint, (_, _, price) in ENDPOINTS.items()} == {
        endpoint: price for endpoint, (_, _, price) in priced.items()
    }
    # std and pro of v2 by default; v1 only by `models=`.
    assert {mode: priced[endpoint][:2] for mode, endpoint in Fal.default_models.items()} == {
        "std": ("v2", "std"),
        "pro": ("v2", "pro"),
    }
    assert Fal(KEY).known_models() == frozenset(priced)


def test_the_webhook_signature_is_the_specs() -> None:
    _, _, submit = operations(SPEC)["submitAvatarV2Pro"]
    (expression,) = submit["callbacks"]["webhook"]
    facts = submit["callbacks"]["webhook"][expression]["post"]["x-fal-webhook-signature"]
    signing = adapter_class("fal").signs_callbacks
    assert isinstance(signing, PublishedKeySigning) and signing.covers_body
    assert facts["algorithm"] == "ED25519"
    assert facts["signature-header"] == signing.signature_header
    assert facts["keys-cache-seconds-max"] == signing.keys_max_age
    for header in signing.signed_headers:
        assert header in facts["message"]
    assert facts["message"].index("Request-Id") < facts["message"].index("User-Id")
    assert facts["message"].index("User-Id") < facts["message"].index("Timestamp")
