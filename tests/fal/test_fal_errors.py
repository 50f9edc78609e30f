"""fal's answers carry real HTTP statuses and `detail` bodies: each maps into the one error
hierarchy, and the answers that prove nothing was created say so for the router."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kling_avatar import (
    AuthenticationError,
    AvatarClient,
    AvatarError,
    EndpointNotFoundError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    TaskState,
    UnexpectedResponseError,
)
from kling_avatar._router import failover_reason

from .helpers import KEY

BASE = "https://queue.example"
LOCKED = (
    "User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing."
)
FIELD_ERROR = {
    "detail": [
        {
            "loc": ["body", "image_url"],
            "msg": "No face was detected in the image.",
            "type": "face_detection_error",
            "url": "https://docs.fal.ai/errors#face_detection_error",
        }
    ]
}


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> AvatarClient:
    return AvatarClient(
        "fal",
        api_key=KEY,
        base_url=BASE,
        transport=httpx.MockTransport(handler),
        max_retries=0,
    )


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers)


def _submit(status: int, body: Any, headers: dict[str, str] | None = None) -> AvatarError:
    with (
        _client(lambda request: _answer(status, body, headers)) as fal,
        pytest.raises(AvatarError) as caught,
    ):
        fal.create_task(image_url="https://a.example/p.png", audio_url="https://a.example/v.mp3")
    return caught.value


@pytest.mark.parametrize(
    ("status", "body", "headers", "cls", "says", "moves_on"),
    [
        (401, {"detail": "No user found for Key ID and Secret"}, {}, AuthenticationError,
         "No user found", False),
        (403, {"detail": LOCKED}, {}, InsufficientCreditsError, "Exhausted balance", True),
        (403, {"detail": "User is locked. Reason: Admin lock."}, {}, AuthenticationError,
         "Admin lock", True),
        (404, {"detail": "Application not found"}, {}, NotFoundError, "Application", False),
        (404, "<html>nginx</html>", {}, EndpointNotFoundError, "no such endpoint", False),
        (422, FIELD_ERROR, {}, InvalidRequestError, "image_url: No face was detected", False),
        (429, {"detail": "Too many requests"}, {"Retry-After": "7"}, RateLimitError,
         "Too many", True),
        (500, {"detail": "Internal error", "error_type": "internal_server_error"}, {},
         ServerError, "(internal_server_error)", False),
        (503, {"detail": "Runner disconnected"}, {"X-Fal-Error-Type": "runner_disconnected"},
         ServiceUnavailableError, "(runner_disconnected)", False),
        (504, {"detail": "Timed out", "error_type": "request_timeout"},
         {"X-Fal-Request-Timeout-Type": "user"}, ServerError, "start deadline passed", True),
        (504, {"detail": "Timed out", "error_type": "generation_timeout"}, {}, ServerError,
         "generation_timeout", False),
        (418, {"detail": "teapot"}, {}, UnexpectedResponseError, "undocumented HTTP 418", False),
    ],
)  # fmt: skip
def test_each_answer_of_a_submit_is_its_class(
    status: int,
    body: Any,
    headers: dict[str, str],
    cls: type[AvatarError],
    says: str,
    moves_on: bool,
) -> None:
    error = _submit(status, body, headers)
    assert type(error) is cls and error.code == status and error.provider == "fal"
    assert says in error.message
    # Only what proves no request was queued lets the router try another provider.
    assert (failover_reason(error) is not None) is moves_on, failover_reason(error)
    assert KEY not in str(error) and KEY not in repr(error)


def test_a_refusal_names_the_field() -> None:
    error = _submit(422, FIELD_ERROR)
    assert isinstance(error, InvalidRequestError) and error.field == "image_url"


def test_a_retry_after_is_kept_and_the_request_id_read() -> None:
    error = _submit(429, {"detail": "slow down"}, {"Retry-After": "7", "x-fal-request-id": "r-9"})
    assert (error.retry_after, error.request_id) == (7.0, "r-9")


def test_an_error_that_names_a_request_does_not_prove_none_was_queued() -> None:
    error = _submit(429, {"detail": "slow down", "request_id": "r-1"})
    assert error.task_id == "r-1" and failover_reason(error) is None


def test_a_locked_account_and_a_passed_start_deadline_say_why() -> None:
    locked = _submit(403, {"detail": LOCKED})
    late = _submit(504, {"detail": "late"}, {"X-Fal-Request-Timeout-Type": "user"})
    assert failover_reason(locked) == "balance exhausted, account locked (403)"
    assert failover_reason(late) == "start deadline passed, nothing ran (504)"


def _read(status_answer: httpx.Response, result_answer: httpx.Response | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return status_answer
        assert result_answer is not None, "the result was asked for"
        return result_answer

    with _client(handler) as fal:
        return fal.get_task("r-1")


def test_a_completed_request_with_an_error_is_failed_without_a_result_call() -> None:
    task = _read(
        _answer(200, {"status": "COMPLETED", "request_id": "r-1", "error": "Runner disconnected",
                      "error_type": "runner_disconnected", "logs": [], "metrics": {}})
    )  # fmt: skip
    assert task.state is TaskState.FAILED
    assert (task.error_code, task.error_message) == ("runner_disconnected", "Runner disconnected")


def test_a_status_without_its_request_id_is_read_as_the_one_asked_about() -> None:
    # fal-py's own test of a failed COMPLETED has no request_id (specs/fal.yaml, x-deviations).
    task = _read(_answer(200, {"status": "COMPLETED", "error": "x", "error_type": "y"}))
    assert task.id == "r-1" and task.state is TaskState.FAILED


@pytest.mark.parametrize(
    ("status", "body", "headers", "code"),
    [
        (422, FIELD_ERROR, {}, "face_detection_error"),
        (400, {"detail": "downstream failed", "error_type": "downstream_service_error"}, {}, "400"),
        (504, {"detail": "late"}, {"X-Fal-Request-Timeout-Type": "user"}, "504"),
    ],
)
def test_the_models_refusal_in_the_result_is_a_failed_task(
    status: int, body: Any, headers: dict[str, str], code: str
) -> None:
    task = _read(
        _answer(200, {"status": "COMPLETED", "request_id": "r-1"}),
        _answer(status, body, headers),
    )
    assert task.state is TaskState.FAILED and task.error_code == code


@pytest.mark.parametrize(("status", "cls"), [(500, ServerError), (404, NotFoundError)])
def test_a_result_that_fails_otherwise_raises(status: int, cls: type[AvatarError]) -> None:
    with pytest.raises(cls):
        _read(
            _answer(200, {"status": "COMPLETED", "request_id": "r-1"}),
            _answer(status, {"detail": "gone"}),
        )


def test_a_state_nobody_documents_is_unknown_not_a_crash() -> None:
    task = _read(_answer(202, {"status": "PAUSED", "request_id": "r-1"}))
    assert task.state is TaskState.UNKNOWN and task.provider_state == "PAUSED"


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [1, 2],
        {"status": 7},
        {"status": "COMPLETED", "request_id": 9},
        {"status": "COMPLETED", "request_id": ""},
    ],
)
def test_a_status_that_makes_no_sense_is_an_unexpected_answer(body: Any) -> None:
    answer = httpx.Response(200, content=body.encode()) if isinstance(body, str) else None
    with pytest.raises(UnexpectedResponseError):
        _read(answer or _answer(200, body))


@pytest.mark.parametrize(
    "output",
    [{}, {"video": None}, {"video": {"url": "file:///etc/passwd"}}, {"video": {"url": 3}}],
)
def test_a_result_without_a_usable_video_url_is_unexpected(output: Any) -> None:
    with pytest.raises(UnexpectedResponseError):
        _read(_answer(200, {"status": "COMPLETED", "request_id": "r-1"}), _answer(200, output))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"success": True}, True),
        (200, {"status": "OK"}, True),
        (202, {"status": "CANCELLATION_REQUESTED"}, True),
        (400, {"status": "ALREADY_COMPLETED"}, False),
        (400, {"detail": "already done"}, False),
    ],
)
def test_every_cancel_answer_fal_documents_is_read(status: int, body: Any, expected: bool) -> None:
    with _client(lambda request: _answer(status, body)) as fal:
        assert fal.cancel_task("r-1") is expected


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        ({"status": "NOT_FOUND"}, NotFoundError),
        ({"detail": "not found"}, NotFoundError),
        ("<html>nginx</html>", EndpointNotFoundError),
    ],
)
def test_a_cancel_of_an_unknown_request(body: Any, cls: type[AvatarError]) -> None:
    # fal's 404 body is stored nowhere: either shape it uses says "no such request", anything
    # else "nothing answers at that address".
    with _client(lambda request: _answer(404, body)) as fal, pytest.raises(cls):
        fal.cancel_task("r-1")
