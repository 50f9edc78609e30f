"""How answers become a Task or a typed error: both providers, both ways of signalling errors."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from kling_avatar import (
    AuthenticationError,
    AvatarClient,
    AvatarError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    Task,
    TaskState,
    UnexpectedResponseError,
)
from kling_avatar._providers.crun import RESULT_OBJECTS
from kling_avatar_generated.apikley.models import TaskRecord
from kling_avatar_generated.crun.models import TaskInfo

from specs import load_spec

from .fake import always, answer, envelope, fake_client, task_data
from .helpers import CODES, HTTP_STATUSES


def get(provider: str, response: httpx.Response, task_id: str = "t-1") -> Task:
    with fake_client(provider, always(response), max_retries=0) as client:
        return client.get_task(task_id)


def test_crun_doc_example_maps_to_a_running_task_with_aware_times() -> None:
    # The example on crun's Get Task Info page, verbatim but for the prompt.
    data = {
        "task_id": "d6956973-2f17-43d4-8514-af6cc3a2f55d",
        "provider": "Google",
        "model_version": "nano-banana",
        "status": "running",
        "param": {"model": "google/nano-banana", "callback_url": None, "input": {}},
        "create_at": 1768900378,
        "result": None,
        "duration_s": None,
        "complete_at": None,
        "source": "api",
    }
    task = get("crun", answer(envelope(data)), str(data["task_id"]))
    assert task.id == "d6956973-2f17-43d4-8514-af6cc3a2f55d"
    assert task.state is TaskState.RUNNING
    assert task.created_at == datetime(2026, 1, 20, 9, 12, 58, tzinfo=UTC)
    assert task.completed_at is None and task.video_url is None
    assert isinstance(task.raw, TaskInfo) and task.raw.provider == "Google"


def test_crun_finished_task_has_videos_and_credits() -> None:
    result = {
        "code": 200,
        "message": "ok",
        "media_urls": ["https://cdn/a.mp4", "https://cdn/b.mp4"],
    }
    data = task_data("crun", "success", result=result, credits=2.5, complete_at=1768900400)
    task = get("crun", answer(envelope(data)))
    assert task.state is TaskState.SUCCEEDED
    assert task.video_urls == ["https://cdn/a.mp4", "https://cdn/b.mp4"]
    assert task.video_url == "https://cdn/a.mp4"
    assert task.credits_used == 2.5
    assert task.completed_at == datetime(2026, 1, 20, 9, 13, 20, tzinfo=UTC)
    assert task.error_code is None


def test_crun_failed_task_carries_the_result_code_and_message() -> None:
    result = {"code": 501, "message": "Generation failed", "media_urls": []}
    task = get("crun", answer(envelope(task_data("crun", "failed", result=result))))
    assert task.state is TaskState.FAILED
    assert (task.error_code, task.error_message) == ("501", "Generation failed")


def test_apikley_doc_example_reads_result_json_and_millisecond_times() -> None:
    # The example on Apikley's Get Task Details page, verbatim.
    data = {
        "taskId": "task_12345678",
        "model": "grok-imagine/text-to-image",
        "state": "success",
        "param": '{"model":"grok-imagine/text-to-image","input":{}}',
        "resultJson": '{"resultUrls":["https://example.com/generated-content.jpg"]}',
        "failCode": "",
        "failMsg": "",
        "completeTime": 1698765432000,
        "createTime": 1698765400000,
        "updateTime": 1698765432000,
    }
    task = get("apikley", answer(envelope(data)), str(data["taskId"]))
    assert task.state is TaskState.SUCCEEDED
    assert task.video_urls == ["https://example.com/generated-content.jpg"]
    assert task.created_at == datetime(2023, 10, 31, 15, 16, 40, tzinfo=UTC)
    assert task.completed_at == datetime(2023, 10, 31, 15, 17, 12, tzinfo=UTC)
    assert task.error_code is None and task.error_message is None
    assert isinstance(task.raw, TaskRecord)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("waiting", TaskState.PENDING),
        ("queuing", TaskState.PENDING),
        ("generating", TaskState.RUNNING),
        ("fail", TaskState.FAILED),
    ],
)
def test_apikley_states_fold_into_four(state: str, expected: TaskState) -> None:
    task = get(
        "apikley", answer({"code": 200, "msg": "success", "data": task_data("apikley", state)})
    )
    assert task.state is expected and task.provider_state == state


def test_apikley_failed_task_carries_fail_code_and_message() -> None:
    data = task_data("apikley", "fail", failCode="500", failMsg="Internal server error")
    task = get("apikley", answer(envelope(data)))
    assert (task.error_code, task.error_message) == ("500", "Internal server error")


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_unknown_state_is_reported_not_fatal(provider: str) -> None:
    task = get(provider, answer(envelope(task_data(provider, "paused"))))
    assert task.state is TaskState.UNKNOWN and task.provider_state == "paused"
    assert task.done is False


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_unknown_fields_are_kept_in_raw(provider: str) -> None:
    task = get(provider, answer(envelope(task_data(provider, "success", shiny_new={"a": 1}))))
    assert isinstance(task.raw, TaskInfo | TaskRecord)
    assert task.raw.additional_properties["shiny_new"] == {"a": 1}


@pytest.mark.parametrize("provider", ["crun", "apikley"])
@pytest.mark.parametrize(("code", "cls"), CODES.items())
def test_body_code_maps_to_its_class(provider: str, code: int, cls: type[AvatarError]) -> None:
    with pytest.raises(cls) as caught:
        get(provider, answer({"code": code, "msg": f"told by body {code}", "data": None}))
    assert type(caught.value) is cls
    assert (caught.value.provider, caught.value.code) == (provider, code)
    assert caught.value.message == f"told by body {code}"


@pytest.mark.parametrize("provider", ["crun", "apikley"])
@pytest.mark.parametrize(("code", "cls"), HTTP_STATUSES.items())
def test_http_status_maps_to_the_same_class(
    provider: str, code: int, cls: type[AvatarError]
) -> None:
    # A gateway's HTML page: the status alone decides.
    with pytest.raises(cls) as caught:
        get(provider, answer("<html>nope</html>", status=code))
    assert type(caught.value) is cls
    assert (caught.value.provider, caught.value.code) == (provider, code)


@pytest.mark.parametrize("status", [502, 504, 599])
def test_other_5xx_statuses_are_server_errors(status: int) -> None:
    with pytest.raises(ServerError):
        get("crun", answer(envelope(None, 500), status=status))


def test_503_is_service_unavailable_with_retry_after() -> None:
    with pytest.raises(ServiceUnavailableError) as caught:
        get("crun", answer(envelope(None, 500), status=503, **{"Retry-After": "7"}))
    assert caught.value.retry_after == 7.0


def test_rate_limit_carries_retry_after_and_request_id() -> None:
    response = answer(
        envelope(None, 429, "slow down"),
        status=429,
        **{"Retry-After": "3", "X-Request-Id": "req-9"},
    )
    with pytest.raises(RateLimitError) as caught:
        get("apikley", response)
    assert caught.value.retry_after == 3.0
    assert caught.value.request_id == "req-9"
    assert "req-9" in str(caught.value) and "slow down" in str(caught.value)


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_undocumented_body_code_is_unexpected_with_code_and_message(provider: str) -> None:
    with pytest.raises(UnexpectedResponseError) as caught:
        get(provider, answer({"code": 418, "msg": "teapot", "data": None}))
    assert (caught.value.provider, caught.value.code) == (provider, 418)
    assert "teapot" in caught.value.message


@pytest.mark.parametrize("provider", ["crun", "apikley"])
@pytest.mark.parametrize(
    "body",
    [
        "<!doctype html><title>502 Bad Gateway</title>",
        '{"code": 200, "message": "success", "data": {"task_',
        "[1, 2, 3]",
        '{"message": "no code"}',
        '{"code": "200", "data": {}}',
        '{"code": 200, "message": "success", "data": {"status": "success"}}',
        '{"code": 200, "message": "success", "data": null}',
        '{"code": 200, "data": {"task_id": 5, "taskId": 5, "status": "success", "state": "fail"}}',
    ],
    ids=[
        "html",
        "truncated",
        "array",
        "no-code",
        "string-code",
        "missing-id",
        "null-data",
        "mistyped-id",
    ],
)
def test_off_spec_bodies_are_unexpected_responses(provider: str, body: str) -> None:
    with pytest.raises(UnexpectedResponseError) as caught:
        get(provider, answer(body))
    assert caught.value.provider == provider


def test_mistyped_fields_are_unexpected_not_crashes() -> None:
    bad = [
        task_data("crun", "success", result={"media_urls": "not-a-list"}),
        task_data("crun", "success", result=[1]),
        task_data("crun", "success", create_at="yesterday"),
        task_data("crun", "success", create_at=10**30),
        task_data("crun", "success", credits=True),
    ]
    for data in bad:
        with pytest.raises(UnexpectedResponseError):
            get("crun", answer(envelope(data)))
    for data in (
        task_data("apikley", "success", resultJson="{not json"),
        task_data("apikley", "success", resultJson='{"resultUrls": [1]}'),
        task_data("apikley", "success", createTime=-(10**20)),
    ):
        with pytest.raises(UnexpectedResponseError):
            get("apikley", answer(envelope(data)))


def test_crun_result_objects_are_checked_as_the_spec_types_them() -> None:
    # A finished task's result is read without the generated model, which reads no result whose
    # object-typed fields are something else: those fields are the ones checked.
    fields = load_spec("crun")["components"]["schemas"]["TaskResult"]["properties"]
    assert set(RESULT_OBJECTS) == {
        name for name, field in fields.items() if field["type"] == "object"
    }
    for name in RESULT_OBJECTS:
        data = task_data("crun", "success", result={"media_urls": [], name: None})
        with pytest.raises(UnexpectedResponseError, match=f"data.result.{name} is not an object"):
            get("crun", answer(envelope(data)))


def test_apikley_record_info_null_is_not_found() -> None:
    with pytest.raises(NotFoundError) as caught:
        get("apikley", answer({"code": 422, "msg": "recordInfo is null", "data": None}))
    assert caught.value.code == 422 and "recordInfo is null" in caught.value.message


def test_apikley_message_field_is_read_as_well_as_msg() -> None:
    with pytest.raises(AuthenticationError, match="bad token"):
        get("apikley", answer({"code": 401, "message": "bad token", "data": None}))


@pytest.mark.parametrize("presigned", ["not a url", "ftp://files.example/x", None])
def test_a_bad_presigned_url_is_unexpected(presigned: object) -> None:
    body = envelope({"presigned_url": presigned, "file_url": "https://files.example/x.png"})
    with (
        fake_client("crun", always(answer(body))) as client,
        pytest.raises(UnexpectedResponseError, match="presigned_url"),
    ):
        client.upload_file(b"\x89PNG\r\n\x1a\n....")


def test_an_id_holding_the_key_still_reads_as_the_task_asked_about() -> None:
    # The key is blanked in every provider string, the task id too; the answer is still the
    # one asked about, and the key is not in what the caller gets.
    body = {"code": 200, "message": "success", "data": task_data("crun", "running")}
    body["data"]["task_id"] = "t-k-1"  # type: ignore[index]
    with AvatarClient(
        "crun",
        api_key="k",
        base_url="https://api.example",
        transport=httpx.MockTransport(always(answer(body))),
    ) as client:
        task = client.get_task("t-k-1")
    assert task.state is TaskState.RUNNING and "k" not in task.id
