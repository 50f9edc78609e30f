"""Whatever a provider answers, the overlay returns a Task or raises an AvatarError."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TypeVar, cast

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar import AvatarClient, AvatarError, Task, UnexpectedResponseError, parse_callback
from kling_avatar._providers import adapter_class
from kling_avatar_generated.apikley.models import TaskRecord
from kling_avatar_generated.apikley.models import TaskState as ApikleyState
from kling_avatar_generated.crun.models import TaskInfo, TaskResult, TaskStatus
from kling_avatar_generated.crun.types import Unset

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


# Built once per provider and operation, not per example: hypothesis validates a new strategy
# (walks the whole recursive tree) before its first draw, more CPU than the draw itself.
@functools.cache
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
                    {},
                    optional={
                        "code": field,
                        "message": field,
                        "media_urls": st.lists(url),
                        "media_info": field,
                        "usage": field,
                    },
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


@functools.cache
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


@functools.cache
def callback_mappings(provider: str) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({"code": json_values, "data": data_for(provider, "get_task")})


@settings(max_examples=150, deadline=None)
@given(provider=st.sampled_from(["crun", "apikley"]), data=st.data())
def test_any_callback_gives_a_task_or_an_avatar_error(provider: str, data: st.DataObject) -> None:
    body = data.draw(bodies(provider, "get_task"))
    mapping = data.draw(callback_mappings(provider))
    for payload in (body, body.decode("utf-8", "replace"), mapping):
        result = outcome(lambda: parse_callback(provider, payload))  # noqa: B023 - called at once
        assert isinstance(result, Task | AvatarError)


VALID_TASKS: dict[str, dict[str, object]] = {
    "crun": {
        "task_id": "t-1",
        "status": "failed",
        "create_at": 1768900378,
        "complete_at": 1768900478,
        "credits": 2,
        "param": {"callback_url": "https://x.example/cb"},
        "result": {
            "code": 501,
            "message": "no",
            "media_urls": ["https://cdn.example/t.mp4"],
            "media_info": {},
            "usage": {},
        },
    },
    "apikley": {
        "taskId": "t-1",
        "state": "fail",
        "param": "{}",
        "resultJson": '{"resultUrls": ["https://cdn.example/t.mp4"]}',
        "failCode": "500",
        "failMsg": "no",
        "createTime": 1698765400000,
        "completeTime": 1698765432000,
    },
}


def field_paths(task: dict[str, object]) -> list[tuple[str, ...]]:
    """The task's fields and its result's."""
    result = cast(dict[str, object], task.get("result", {}))
    return [(key,) for key in task] + [("result", key) for key in result]


# Which of a valid task's fields to spoil (1 to 3 of them), and what to put in one's place.
SPOILED_PATHS = {
    provider: st.lists(st.sampled_from(field_paths(task)), min_size=1, max_size=3, unique=True)
    for provider, task in VALID_TASKS.items()
}
SPOILERS = json_values | st.sampled_from([*TaskStatus, *ApikleyState, "weird"])


@st.composite
def spoiled_tasks(draw: st.DrawFn, provider: str) -> dict[str, object]:
    """A task object the spec takes, with a few of its fields (its result's too) removed or
    replaced by any JSON or any state's name."""
    value: dict[str, object] = json.loads(json.dumps(VALID_TASKS[provider]))
    for path in draw(SPOILED_PATHS[provider]):
        target = value if len(path) == 1 else value.get(path[0])
        if isinstance(target, dict):
            if draw(st.booleans()):
                target.pop(path[-1], None)
            else:
                target[path[-1]] = draw(SPOILERS)
    return value


@functools.cache
def task_objects(provider: str) -> st.SearchStrategy[object]:
    """A spoiled valid task, or any `get_task` answer's data that is an object."""
    answers = data_for(provider, "get_task").filter(lambda v: isinstance(v, dict))
    return spoiled_tasks(provider) | answers


def generated_model(provider: str, value: dict[str, object]) -> TaskInfo | TaskRecord | None:
    """The provider's generated model of a task object, or None where it refuses it (for crun
    also a `result` it cannot read as a TaskResult: it keeps the object as it came)."""
    try:
        if provider == "apikley":
            return TaskRecord.from_dict(value)
        model = TaskInfo.from_dict(value)
    except (KeyError, ValueError, TypeError, AttributeError):
        return None
    readable = model.result is None or isinstance(model.result, TaskResult | Unset)
    return model if readable else None


@settings(max_examples=300, deadline=None)
@given(provider=st.sampled_from(["crun", "apikley"]), data=st.data())
def test_a_task_object_is_refused_where_its_generated_model_refuses_it(
    provider: str, data: st.DataObject
) -> None:
    # Each poll reads the task from its JSON object, not through the generated model; the model
    # stays the spec's word: what it refuses is refused, and a task read has it as `raw`.
    value = cast(dict[str, object], data.draw(task_objects(provider)))
    key, states = (
        ("status", set(TaskStatus)) if provider == "crun" else ("state", set(ApikleyState))
    )
    if isinstance(value.get(key), str) and value[key] not in states:
        return  # a state the spec does not list: reported as unknown, the object as `raw`
    result = outcome(lambda: adapter_class(provider)("k").task(value))
    model = generated_model(provider, value)
    if model is None:
        assert isinstance(result, UnexpectedResponseError)
    if isinstance(result, Task):
        assert result.raw == model and result.raw is result.raw
