"""Whatever a provider answers, the overlay returns a Task or raises an AvatarError."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar import AvatarError, Task, parse_callback

from .fake import always, fake_client

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
states = st.sampled_from(["pending", "running", "success", "failed", "waiting", "queuing"])
states |= st.sampled_from(["generating", "fail", "weird"]) | st.text(max_size=8)


def near_envelope(provider: str) -> st.SearchStrategy[dict[str, object]]:
    """Bodies shaped like each provider's answer, with every field possibly off."""
    id_key, state_key = ("task_id", "status") if provider == "crun" else ("taskId", "state")
    field = json_values | st.text(max_size=10)
    data = st.fixed_dictionaries(
        {},
        optional={
            id_key: st.text(max_size=8) | json_values,
            state_key: states | json_values,
            "result": st.fixed_dictionaries(
                {}, optional={"code": field, "message": field, "media_urls": field}
            )
            | json_values,
            "resultJson": st.builds(json.dumps, json_values) | field,
            "create_at": st.integers() | st.floats() | field,
            "createTime": st.integers() | field,
            "completeTime": st.integers() | field,
            "credits": field,
            "failCode": field,
            "failMsg": field,
        },
    )
    code = st.sampled_from([200, 401, 402, 404, 422, 429, 455, 500, 501, 505]) | json_values
    return st.fixed_dictionaries(
        {"code": code},
        optional={"message": field, "msg": field, "data": data | json_values},
    )


def bodies(provider: str) -> st.SearchStrategy[bytes]:
    as_json = (near_envelope(provider) | json_values).map(lambda value: json.dumps(value).encode())
    return as_json | st.binary(max_size=64) | as_json.map(lambda b: b[: len(b) // 2])


statuses = st.sampled_from([200, 200, 200, 201, 301, 400, 401, 404, 429, 500, 502, 503, 505, 599])


def outcome(call: Callable[[], Task]) -> Task | AvatarError:
    """The call's Task or AvatarError; any other exception fails the test."""
    try:
        return call()
    except AvatarError as error:
        return error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(provider=st.sampled_from(["crun", "apikley"]), data=st.data(), status=statuses)
def test_any_status_answer_gives_a_task_or_an_avatar_error(
    provider: str, data: st.DataObject, status: int
) -> None:
    body = data.draw(bodies(provider))
    response = httpx.Response(status, content=body, headers={"Retry-After": "soon"})
    with fake_client(provider, always(response), max_retries=0) as client:
        result = outcome(lambda: client.get_task("t-1"))
    assert isinstance(result, Task | AvatarError)
    if isinstance(result, Task):
        assert 200 <= status < 300


@settings(max_examples=150, deadline=None)
@given(provider=st.sampled_from(["crun", "apikley"]), data=st.data())
def test_any_callback_gives_a_task_or_an_avatar_error(provider: str, data: st.DataObject) -> None:
    body = data.draw(bodies(provider))
    mapping = data.draw(near_envelope(provider))
    for payload in (body, body.decode("utf-8", "replace"), mapping):
        result = outcome(lambda: parse_callback(provider, payload))  # noqa: B023 - called at once
        assert isinstance(result, Task | AvatarError)
