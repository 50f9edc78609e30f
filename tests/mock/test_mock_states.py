"""Tasks walk each provider's own states on the mock's clock."""

from __future__ import annotations

import json

import httpx
import pytest
from kling_avatar.testing import MockServer

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_RECORD,
    CRUN_CREATE,
    CRUN_INFO,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)


def test_crun_walks_pending_running_success() -> None:
    with MockServer(step=30.0) as mock, httpx.Client(base_url=mock.base_url) as http:
        task_id = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()[
            "data"
        ]["task_id"]

        def read() -> dict[str, object]:
            answer = http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock))
            data: dict[str, object] = answer.json()["data"]
            return data

        first = read()
        assert first["status"] == "pending"
        assert first["result"] is None and first["complete_at"] is None
        assert "credits" not in first  # crun reports the cost once the task has ended
        mock.advance(30.0)
        assert read()["status"] == "running"
        mock.advance(30.0)
        done = read()
        assert done["status"] == "success"
        assert done["complete_at"] == first["create_at"] + 60  # type: ignore[operator]
        assert done["duration_s"] == 60.0
        assert read() == done  # terminal: it stays there


def test_apikley_walks_waiting_queuing_generating_success() -> None:
    with MockServer(step=30.0) as mock, httpx.Client(base_url=mock.base_url) as http:
        created = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
        task_id = created.json()["data"]["taskId"]
        seen = []
        for _ in range(4):
            answer = http.get(
                APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock)
            )
            seen.append(answer.json()["data"])
            mock.advance(30.0)
        assert [record["state"] for record in seen] == [
            "waiting",
            "queuing",
            "generating",
            "success",
        ]
        assert [record["resultJson"] for record in seen[:3]] == ["", "", ""]
        assert json.loads(seen[3]["resultJson"])["resultUrls"]
        assert seen[3]["costTime"] == 90_000  # milliseconds
        assert seen[3]["completeTime"] == seen[0]["createTime"] + 90_000
        assert [r["updateTime"] - r["createTime"] for r in seen] == [0, 30_000, 60_000, 90_000]


def test_each_task_keeps_the_step_it_was_created_with() -> None:
    with MockServer(step=10.0) as mock, httpx.Client(base_url=mock.base_url) as http:

        def create() -> str:
            answer = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
            task_id: str = answer.json()["data"]["taskId"]
            return task_id

        def state(task_id: str) -> str:
            answer = http.get(
                APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock)
            )
            return str(answer.json()["data"]["state"])

        short = create()
        mock.step = 100.0
        long = create()
        mock.advance(30.0)  # the short task's 3 x 10 s are over, the long one has 300 s
        assert (state(short), state(long)) == ("success", "waiting")
        mock.advance(270.0)
        assert state(long) == "success"
        for nonsense in (-1.0, float("nan"), float("inf")):
            with pytest.raises(ValueError, match="step"):
                mock.step = nonsense
        assert mock.step == 100.0


def test_apikley_record_is_null_for_the_first_reads_after_creation() -> None:
    with MockServer(apikley_null_reads=2) as mock, httpx.Client(base_url=mock.base_url) as http:
        created = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
        task_id = created.json()["data"]["taskId"]
        answers = [
            http.get(
                APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock)
            ).json()
            for _ in range(3)
        ]
        null = {"code": 422, "msg": "recordInfo is null", "data": None}
        assert answers[:2] == [null, null]
        assert answers[2]["code"] == 200 and answers[2]["data"]["state"] == "success"


def test_result_video_is_served_only_once_the_task_succeeded() -> None:
    with MockServer(step=30.0) as mock, httpx.Client(base_url=mock.base_url) as http:
        task_id = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()[
            "data"
        ]["task_id"]
        assert http.get(f"/media/results/{task_id}.mp4").status_code == 404
        mock.advance(60.0)
        info = http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock))
        [url] = info.json()["data"]["result"]["media_urls"]
        assert url.startswith(mock.base_url + "/media/")
        assert http.get(url).status_code == 200
