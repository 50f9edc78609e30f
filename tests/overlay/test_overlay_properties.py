"""Whatever a provider answers, the overlay returns a Task or raises an AvatarError."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar import AvatarClient, AvatarError, Task, parse_callback

from .fake import always, fake_client

T = TypeVar("T")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
states = st.sampled_from(["pending", "running", "success", "failed", "waiting", "queuing"])
states |= st.sampled_from(["generating", "fail", "weird"]) | st.text(max_size=8)


Operation = Callable[[AvatarClient], object]
OPERATIONS: dict[str, tuple[Operation, type]] = {
    "get_task": (lambda c: c.get_task("t-1"), Task),
    "create_task": (
        lambda c: c.create_task(image_url="https://a/b.png", audio_url="https://a/b.mp3"),
        Task,
    ),
    "get_credits": (lambda c: c.get_credits(), float),
    "upload_file": (lambda c: c.upload_file(b"ID3 an mp3"), str),
}


def data_for(provider: str, operation: str) -> st.SearchStrategy[object]:
    """The `data` an operation reads, with every field possibly missing, mistyped or odd."""
    id_key, state_key = ("task_id", "status") if provider == "crun" else ("taskId", "state")
    field = json_values | st.text(max_size=10)
    url = st.sampled_from(["https://files.example/x", "ftp://x", "not a url"]) | field
    number = st.integers() | st.floats() | field
    shapes = {
        "get_task": st.fixed_dictionaries(
            {id_key: st.text(max_size=8) | field, state_key: states | field},
            optional={
                "result": st.fixed_dictionaries(
                    {}, optional={"code": field, "message": field, "media_urls": st.lists(url)}
                )
                | field,
                "resultJson": st.builds(json.dumps, st.fixed_dictionaries({"resultUrls": field}))
                | field,
                "create_at": number,
                "complete_at": number,
                "createTime": number,
                "completeTime": number,
                "credits": number,
                "failCode": field,
                "failMsg": field,
            },
        ),
        "create_task": st.fixed_dictionaries({id_key: field}),
        "get_credits": st.fixed_dictionaries({"balance": number}) if provider == "crun" else number,
        "upload_file": st.fixed_dictionaries({"presigned_url": url, "file_url": url})
        if provider == "crun"
        else st.fixed_dictionaries({"downloadUrl": url}),
    }
    return shapes[operation] | json_values


def bodies(provider: str, operation: str) -> st.SearchStrategy[bytes]:
    """Mostly near-envelopes (where a parser is likeliest to slip), then any JSON, any bytes, and
    JSON cut in half."""
    code = (
        st.just(200) | st.sampled_from([401, 402, 404, 422, 429, 455, 500, 501, 505]) | json_values
    )
    message = st.text(max_size=10) | json_values
    envelope = st.fixed_dictionaries(
        {"code": code, "data": data_for(provider, operation)},
        optional={"message": message, "msg": message},
    ).map(lambda value: json.dumps(value).encode())
    kinds = {
        "envelope": envelope,
        "json": json_values.map(lambda value: json.dumps(value).encode()),
        "bytes": st.binary(max_size=64),
        "cut": envelope.map(lambda b: b[: len(b) // 2]),
    }
    weighted = ["envelope"] * 5 + ["json", "bytes", "cut"]
    return st.sampled_from(weighted).flatmap(lambda kind: kinds[kind])


statuses = st.sampled_from([200] * 8 + [201, 301, 400, 401, 404, 429, 500, 502, 503, 505, 599])


def outcome(call: Callable[[], T]) -> T | AvatarError:
    """The call's result or AvatarError; any other exception fails the test."""
    try:
        return call()
    except AvatarError as error:
        return error


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("provider", ["crun", "apikley"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), status=statuses)
def test_any_answer_gives_a_result_or_an_avatar_error(
    provider: str, operation: str, data: st.DataObject, status: int
) -> None:
    call, expected = OPERATIONS[operation]
    body = data.draw(bodies(provider, operation))
    response = httpx.Response(status, content=body, headers={"Retry-After": "soon"})
    with fake_client(provider, always(response), max_retries=0) as client:
        result = outcome(lambda: call(client))
    assert isinstance(result, expected | AvatarError)
    if not isinstance(result, AvatarError):
        assert 200 <= status < 300


@settings(max_examples=150, deadline=None)
@given(provider=st.sampled_from(["crun", "apikley"]), data=st.data())
def test_any_callback_gives_a_task_or_an_avatar_error(provider: str, data: st.DataObject) -> None:
    body = data.draw(bodies(provider, "get_task"))
    mapping = data.draw(
        st.fixed_dictionaries({"code": json_values, "data": data_for(provider, "get_task")})
    )
    for payload in (body, body.decode("utf-8", "replace"), mapping):
        result = outcome(lambda: parse_callback(provider, payload))  # noqa: B023 - called at once
        assert isinstance(result, Task | AvatarError)
