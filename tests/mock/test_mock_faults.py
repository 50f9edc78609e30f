"""Faults on demand: one operation, the first N calls, reproducible with a seed."""

from __future__ import annotations

import json

import httpx
import pytest
from kling_avatar.testing import COST_PRO, MockServer
from kling_avatar.testing._faults import parse_fault

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_CREDIT,
    APIKLEY_RECORD,
    CRUN_BALANCE,
    CRUN_CREATE,
    CRUN_INFO,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)


def _crun_task(mock: MockServer, http: httpx.Client) -> str:
    answer = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()
    task_id: str = answer["data"]["task_id"]
    return task_id


@pytest.mark.parametrize("code", [429, 455, 500, 501, 505])
def test_envelope_fault_hits_the_next_n_calls_of_one_operation(
    mock: MockServer, http: httpx.Client, code: int
) -> None:
    task_id = _crun_task(mock, http)
    mock.fault("envelope", operation="getTaskInfo", code=code, times=2)

    def read() -> httpx.Response:
        return http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock))

    for _ in range(2):
        answer = read()
        assert answer.status_code == 200
        assert answer.json()["code"] == code and answer.json()["data"] is None
    assert http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["code"] == 200  # other op
    assert read().json()["code"] == 200
    assert mock.calls("getTaskInfo") == 3


def test_envelope_fault_speaks_each_providers_envelope(
    mock: MockServer, http: httpx.Client
) -> None:
    mock.fault("envelope", code=455, times=2)
    assert set(http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()) == {
        "code",
        "message",
        "data",
    }
    assert set(http.get(APIKLEY_CREDIT, headers=apikley_headers(mock)).json()) == {
        "code",
        "msg",
        "data",
    }


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [(2, "2"), ("Wed, 21 Oct 2026 07:28:00 GMT", "Wed, 21 Oct 2026 07:28:00 GMT"), (None, None)],
)
def test_http_429_with_retry_after(
    mock: MockServer, http: httpx.Client, retry_after: object, header: str | None
) -> None:
    mock.fault("http", operation="createTask", status=429, retry_after=retry_after)
    refused = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock))
    assert refused.status_code == 429
    assert refused.headers.get("retry-after") == header
    assert refused.json()["code"] == 429
    assert mock.credits("crun") == 100.0  # the refused creation made no task
    assert http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).status_code == 200


def test_http_503_hits_any_operation_when_none_is_named(
    mock: MockServer, http: httpx.Client
) -> None:
    mock.fault("http", status=503, retry_after=1, times=2)
    first = http.get(APIKLEY_CREDIT, headers=apikley_headers(mock))
    second = http.get(CRUN_BALANCE, headers=crun_headers(mock))
    assert (first.status_code, second.status_code) == (503, 503)
    assert first.headers["retry-after"] == "1"
    assert http.get(CRUN_BALANCE, headers=crun_headers(mock)).status_code == 200


def test_slow_answer_outlasts_a_short_client_timeout(mock: MockServer, http: httpx.Client) -> None:
    mock.fault("slow", operation="getBalance", delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        http.get(CRUN_BALANCE, headers=crun_headers(mock), timeout=0.1)
    assert http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["code"] == 200


def test_drop_closes_the_connection_without_an_answer(mock: MockServer, http: httpx.Client) -> None:
    mock.fault("drop", operation="getCredits")
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(APIKLEY_CREDIT, headers=apikley_headers(mock))
    assert http.get(APIKLEY_CREDIT, headers=apikley_headers(mock)).json()["code"] == 200


def test_drop_after_carries_the_request_out_and_loses_the_answer(
    mock: MockServer, http: httpx.Client
) -> None:
    mock.fault("drop", operation="createTask", after=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock))
    assert mock.credits("crun") == 100.0 - COST_PRO  # the task exists all the same


def test_truncated_body_is_cut_json_and_the_task_was_still_created(
    mock: MockServer, http: httpx.Client
) -> None:
    mock.fault("truncated", operation="kling-ai-avatar-v1-pro")
    answer = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.content.startswith(b'{"code":200')
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.content)
    # The answer was lost on the way back, not the task: the credits were taken.
    assert mock.credits("apikley") == 100.0 - COST_PRO


def test_non_json_is_an_html_page(mock: MockServer, http: httpx.Client) -> None:
    mock.fault("non_json", operation="getTaskDetails")
    answer = http.get(APIKLEY_RECORD, params={"taskId": "x"}, headers=apikley_headers(mock))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.startswith("<html>")


def test_task_fail_ends_the_next_crun_task_failed_and_refunds_it(
    mock: MockServer, http: httpx.Client
) -> None:
    mock.fault("task_fail", fail_code="500", fail_msg="Internal server error")
    failed, fine = _crun_task(mock, http), _crun_task(mock, http)

    def read(task_id: str) -> dict[str, object]:
        answer = http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock))
        data: dict[str, object] = answer.json()["data"]
        return data

    data = read(failed)
    assert data["status"] == "failed"
    assert data["result"] == {"code": 501, "message": "Internal server error", "media_urls": []}
    assert data["credits"] == 0
    assert read(fine)["status"] == "success"
    assert mock.credits("crun") == 100.0 - COST_PRO


def test_task_fail_on_apikley_carries_the_fail_code(mock: MockServer, http: httpx.Client) -> None:
    mock.fault(
        "task_fail", operation="kling-ai-avatar-v1-pro", fail_code="422", fail_msg="bad face"
    )
    created = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
    task_id = created.json()["data"]["taskId"]
    record = http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock))
    data = record.json()["data"]
    assert (data["state"], data["failCode"], data["failMsg"]) == ("fail", "422", "bad face")
    assert data["resultJson"] == ""


def test_times_none_is_every_call_until_cleared(mock: MockServer, http: httpx.Client) -> None:
    mock.fault("envelope", operation="getBalance", code=500, times=None)
    codes = [http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["code"] for _ in range(4)]
    assert codes == [500] * 4
    mock.clear_faults()
    assert http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["code"] == 200


def test_random_faults_replay_with_the_same_seed() -> None:
    def pattern(seed: int) -> list[int]:
        with MockServer(seed=seed) as mock, httpx.Client(base_url=mock.base_url) as http:
            mock.fault("envelope", operation="getBalance", code=455, times=None, rate=0.5)
            return [
                http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["code"] for _ in range(16)
            ]

    first = pattern(3)
    assert first == pattern(3)
    assert set(first) == {200, 455}  # some calls faulted, some did not


def test_fault_arguments_are_checked() -> None:
    mock = MockServer()
    with pytest.raises(ValueError, match="unknown fault kind"):
        mock.fault("explode")
    with pytest.raises(ValueError, match="takes no"):
        mock.fault("drop", code=500)
    with pytest.raises(ValueError, match="envelope code"):
        mock.fault("envelope", code=503)
    with pytest.raises(ValueError, match="times"):
        mock.fault("envelope", times=0)


def test_command_line_fault_syntax() -> None:
    fault = parse_fault("envelope@getTaskInfo:code=455,times=2")
    assert (fault.kind, fault.operation, fault.times, fault.get("code")) == (
        "envelope",
        "getTaskInfo",
        2,
        455,
    )
    dated = parse_fault("http:status=429,retry_after=Wed, 21 Oct 2026 07:28:00 GMT,times=0")
    assert dated.get("retry_after") == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert dated.operation is None and dated.times is None
    assert parse_fault("task_fail:fail_code=500").get("fail_code") == "500"
    with pytest.raises(ValueError):
        parse_fault("slow:delay")
