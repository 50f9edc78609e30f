"""parse_callback / verify_callback_signature against hostile input: typed errors only, one
task id for both, keys and windows that cannot be abused, replays refusable."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from kling_avatar import (
    AvatarError,
    InvalidRequestError,
    InvalidSignatureError,
    MemorySeenStore,
    Task,
    TaskState,
    UnexpectedResponseError,
    parse_callback,
    verify_callback_signature,
)

KEY = "whsec-hardening"
NOW = 1_755_597_100
TASK = "bd3a37c523149e4adf45a3ddb5faf1a8"


def signed(task_id: str = TASK, stamp: int = NOW, key: str = KEY) -> dict[str, str]:
    digest = hmac.new(key.encode(), f"{task_id}.{stamp}".encode(), hashlib.sha256).digest()
    return {
        "X-Webhook-Timestamp": str(stamp),
        "X-Webhook-Signature": base64.b64encode(digest).decode(),
    }


def apikley_body(**data: object) -> dict[str, object]:
    record: dict[str, object] = {"taskId": TASK, "state": "success", "model": "m", "param": "{}"}
    record.update(data)
    return {"code": 200, "msg": "ok", "data": record}


DECODED_NON_OBJECTS: list[object] = [[1], None, 3, 2.5, "text", True, [], [{"taskId": TASK}]]


@pytest.mark.parametrize("payload", DECODED_NON_OBJECTS, ids=repr)
@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_decoded_non_objects_are_typed_errors(provider: str, payload: object) -> None:
    with pytest.raises(UnexpectedResponseError):
        parse_callback(provider, payload)
    with pytest.raises(InvalidSignatureError):
        verify_callback_signature(payload, signed(), KEY, now=NOW)


def test_headers_as_pairs_bytes_or_asgi_scope_headers() -> None:
    good = signed()
    shapes: list[object] = [
        list(good.items()),
        [(k.encode(), v.encode()) for k, v in good.items()],  # ASGI's scope["headers"]
        {k.encode(): v.encode() for k, v in good.items()},
        {k: v.encode() for k, v in good.items()},
        tuple((k.lower(), v) for k, v in good.items()),
    ]
    for headers in shapes:
        assert verify_callback_signature(apikley_body(), headers, KEY, now=NOW) == TASK  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "headers",
    [None, 5, "X-Webhook-Signature: x", b"raw", [1, 2], [("only-one",)], [(1, 2)], {1: 2}],
    ids=repr,
)
def test_unusable_headers_are_signature_errors(headers: object) -> None:
    with pytest.raises(InvalidSignatureError):
        verify_callback_signature(apikley_body(), headers, KEY, now=NOW)  # type: ignore[arg-type]


def test_a_hostile_headers_object_is_a_signature_error() -> None:
    class Exploding:
        def __iter__(self) -> object:
            raise RuntimeError("boom")

    with pytest.raises(InvalidSignatureError, match="unreadable"):
        verify_callback_signature(apikley_body(), Exploding(), KEY, now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["", b""])
def test_an_empty_key_is_refused_even_with_its_own_valid_signature(key: str | bytes) -> None:
    with pytest.raises(InvalidRequestError, match="empty"):
        verify_callback_signature(apikley_body(), signed(key=""), key, now=NOW)


@pytest.mark.parametrize("tolerance", [math.nan, math.inf, -math.inf, -1, "300", None, True])
def test_unusable_tolerances_are_refused(tolerance: object) -> None:
    with pytest.raises(InvalidRequestError, match="tolerance"):
        verify_callback_signature(apikley_body(), signed(), KEY, tolerance=tolerance, now=NOW)  # type: ignore[arg-type]


def test_a_nan_clock_accepts_nothing() -> None:
    with pytest.raises(InvalidRequestError, match="now"):
        verify_callback_signature(apikley_body(), signed(), KEY, now=math.nan)


def test_kie_sample_code_spelling_task_id_is_accepted_by_both() -> None:
    body = {
        "code": 200,
        "msg": "ok",
        "data": {"task_id": TASK, "state": "success", "model": "m", "param": "{}"},
    }
    assert verify_callback_signature(body, signed(), KEY, now=NOW) == TASK
    task = parse_callback("apikley", body)
    assert task.id == TASK and task.state is TaskState.SUCCEEDED


def test_two_different_ids_in_one_body_are_refused_by_both() -> None:
    body = apikley_body(task_id="someone-else")
    with pytest.raises(UnexpectedResponseError, match="two different"):
        parse_callback("apikley", body)
    with pytest.raises(InvalidSignatureError):
        verify_callback_signature(body, signed(), KEY, now=NOW)


def test_crun_verification_reads_the_id_parse_callback_reads() -> None:
    # A bare TaskInfo with a wrapped-looking `data` inside: both read the top-level task_id.
    body = {"task_id": "crun-task", "status": "success", "data": {"taskId": TASK}, "code": 200}
    assert parse_callback("crun", body).id == "crun-task"
    with pytest.raises(InvalidSignatureError, match="does not match"):
        verify_callback_signature(body, signed(TASK), KEY, now=NOW, provider="crun")
    assert (
        verify_callback_signature(body, signed("crun-task"), KEY, now=NOW, provider="crun")
        == "crun-task"
    )


def test_signature_spelled_another_way_in_base64_is_still_one_delivery() -> None:
    seen = MemorySeenStore()
    headers = signed()
    assert verify_callback_signature(apikley_body(), headers, KEY, now=NOW, seen=seen) == TASK
    # 32 bytes in base64 leave two spare bits: flip them and the digest is the same.
    text = headers["X-Webhook-Signature"]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = alphabet.index(text[-2])
    variant = text[:-2] + alphabet[last ^ 1] + "="
    assert base64.b64decode(variant) == base64.b64decode(text)
    for replay in (headers, {**headers, "X-Webhook-Signature": variant}):
        with pytest.raises(InvalidSignatureError, match="already received"):
            verify_callback_signature(apikley_body(), replay, KEY, now=NOW + 1, seen=seen)


def test_without_a_seen_store_a_replay_inside_the_window_verifies() -> None:
    # What the seen-store is for: the scheme itself cannot tell.
    for _ in range(3):
        verify_callback_signature(apikley_body(), signed(), KEY, now=NOW)


# --- properties ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
ids = st.sampled_from([TASK, "", "x"]) | json_values
task_objects = st.fixed_dictionaries(
    {},
    optional={
        "taskId": ids,
        "task_id": ids,
        "state": st.sampled_from(["success", "fail", "generating"]) | json_values,
        "status": st.sampled_from(["success", "failed", "running"]) | json_values,
        "model": json_values,
        "param": json_values,
        "resultJson": json_values,
        "result": json_values,
    },
)
callback_bodies = (
    st.fixed_dictionaries({"code": json_values, "data": task_objects | json_values})
    | task_objects
    | json_values
)
header_text = st.sampled_from(["X-Webhook-Signature", "x-webhook-timestamp", "Other"]) | st.text(
    max_size=20
)
header_value = (
    st.text(max_size=60)
    | st.binary(max_size=60)
    | st.sampled_from([str(NOW), signed()["X-Webhook-Signature"]])
)
header_shapes = (
    st.dictionaries(header_text, header_value, max_size=4)
    | st.lists(st.tuples(header_text | st.binary(max_size=20), header_value), max_size=4)
    | st.lists(json_values, max_size=3)
    | json_values
)


def typed(call: Callable[[], object]) -> object:
    try:
        return call()
    except AvatarError as error:
        return error


@settings(max_examples=300, deadline=None)
@given(
    provider=st.sampled_from(["crun", "apikley"]),
    body=callback_bodies,
    form=st.sampled_from(["decoded", "bytes", "str"]),
)
def test_parse_callback_gives_a_task_or_an_avatar_error(
    provider: str, body: object, form: str
) -> None:
    payload: object = body
    if form != "decoded":
        text = json.dumps(body)
        payload = text.encode() if form == "bytes" else text
    result = typed(lambda: parse_callback(provider, payload))
    assert isinstance(result, Task | AvatarError)


@settings(max_examples=300, deadline=None)
@given(
    provider=st.sampled_from(["crun", "apikley"]),
    body=callback_bodies,
    headers=header_shapes,
    key=st.text(max_size=8) | st.binary(max_size=8),
    tolerance=st.floats() | st.integers(),
)
def test_verification_returns_a_task_id_or_raises_an_avatar_error(
    provider: str, body: object, headers: Any, key: str | bytes, tolerance: float
) -> None:
    seen = MemorySeenStore()
    result = typed(
        lambda: verify_callback_signature(
            body,
            headers,
            key,
            tolerance=tolerance,
            now=NOW,
            provider=provider,
            seen=seen,
        )
    )
    assert isinstance(result, str | AvatarError)
    if isinstance(result, str):  # it vouches only for the id parse_callback reads
        parsed = typed(lambda: parse_callback(provider, body))
        assert not isinstance(parsed, Task) or parsed.id == result


def with_id(data: dict[str, object], task_id: str, both: bool) -> dict[str, object]:
    spelled = {"taskId": task_id, "task_id": task_id} if both else {"task_id": task_id}
    return {**data, **spelled} if both or "taskId" not in data else {**data, "taskId": task_id}


signable_bodies = st.builds(
    lambda data, task_id, both, code: {
        "code": code,
        "msg": "m",
        "data": with_id(data, task_id, both),
    },
    task_objects,
    st.text(min_size=1, max_size=40),
    st.booleans(),
    json_values,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.one_of(signable_bodies, signable_bodies, callback_bodies),
    stamp=st.integers(NOW - 400, NOW + 400),
)
def test_a_genuinely_signed_callback_verifies_once_and_names_the_parsed_task(
    body: object, stamp: int
) -> None:
    """Sign whatever id the body holds (when it holds one): it verifies inside the window, the
    id matches parse_callback's, and the same delivery is refused a second time."""
    from kling_avatar._callbacks import callback_task_id

    found = typed(lambda: callback_task_id("apikley", body))
    if not isinstance(found, str):
        event("no task id in the body")
        return
    event("signed")
    seen = MemorySeenStore()
    headers = signed(found, stamp)
    result = typed(lambda: verify_callback_signature(body, headers, KEY, now=NOW, seen=seen))
    if abs(NOW - stamp) > 300:
        assert isinstance(result, InvalidSignatureError)
        return
    assert result == found
    parsed = typed(lambda: parse_callback("apikley", body))
    assert not isinstance(parsed, Task) or parsed.id == found
    assert isinstance(
        typed(lambda: verify_callback_signature(body, headers, KEY, now=NOW, seen=seen)),
        InvalidSignatureError,
    )
