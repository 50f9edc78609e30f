"""No 5xx without a fault: odd numbers, a bad clock, forged uploads, slow clients, old tasks."""

from __future__ import annotations

import math
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest
from kling_avatar.testing import MockServer

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_RECORD,
    CRUN_CREATE,
    CRUN_INFO,
    CRUN_UPLOAD_URL,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("where", ["top", "inside"])
def test_a_5000_digit_integer_is_a_validation_answer_not_a_500(
    mock: MockServer, http: httpx.Client, where: str
) -> None:
    huge = "9" * 5000
    content = (
        huge
        if where == "top"
        else '{"model": "kling/avatar", "input": {"mode": "pro", "x": ' + huge + "}}"
    )
    answer = http.post(CRUN_CREATE, content=content, headers={**crun_headers(mock), **JSON})
    assert answer.status_code == 200
    body = answer.json()
    assert body["code"] == 422 and "not valid JSON" in body["message"]
    assert mock.credits("crun") == 100.0
    # The kling_mock fixture also fails the test if the mock raised (a 500).


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_clock_that_is_not_a_number_is_refused(value: float) -> None:
    with pytest.raises(ValueError, match="step"):
        MockServer(step=value)
    with MockServer() as mock, httpx.Client(base_url=mock.base_url) as http:
        with pytest.raises(ValueError, match="finite"):
            mock.advance(value)
        answer = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()
        info = http.get(
            CRUN_INFO, params={"task_id": answer["data"]["task_id"]}, headers=crun_headers(mock)
        )
        assert info.json()["code"] == 200  # the clock is still sound
        assert not mock.errors


def test_the_presigned_put_checks_its_signature_and_cannot_overwrite_another_upload(
    mock: MockServer, http: httpx.Client
) -> None:
    def slot() -> dict[str, str]:
        params = {"content_type": "image/png", "ext": ".png"}
        data: dict[str, str] = http.get(
            CRUN_UPLOAD_URL, params=params, headers=crun_headers(mock)
        ).json()["data"]
        return data

    mine, theirs = slot(), slot()
    assert http.put(theirs["presigned_url"], content=b"theirs").status_code == 200
    # My signature on their name, no signature, a made-up one: all refused.
    their_path = urlsplit(theirs["presigned_url"]).path
    my_signature = urlsplit(mine["presigned_url"]).query
    for url in (
        f"{their_path}?{my_signature}",
        their_path,
        f"{their_path}?signature=0000000000000000",
    ):
        assert http.put(url, content=b"mine").status_code == 403
    assert http.get(theirs["file_url"]).content == b"theirs"
    assert http.put(mine["presigned_url"], content=b"mine").status_code == 200
    assert http.get(mine["file_url"]).content == b"mine"


def test_a_client_that_dribbles_its_headers_is_disconnected() -> None:
    with MockServer(header_timeout=0.5) as mock:
        port = int(mock.base_url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /api/v1/chat/credit HTTP/1.1\r\n")
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 10:
                try:
                    sock.sendall(b"X-A: b\r\n")
                    if sock.recv(1024) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                    break
        assert closed, "the connection was still open after 10 s"
        # A client that sends its request at once is served as before.
        answer = httpx.get(mock.base_url + "/api/v1/chat/credit", headers=apikley_headers(mock))
        assert answer.json()["code"] == 200


def test_finished_tasks_and_files_expire() -> None:
    with (
        MockServer(step=1.0, expire_after=60.0) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        headers = apikley_headers(mock)
        old = http.post(APIKLEY_CREATE, json=apikley_body(), headers=headers).json()["data"]
        pending = http.post(APIKLEY_CREATE, json=apikley_body(), headers=headers).json()["data"]

        def state(task: dict[str, str]) -> object:
            answer = http.get(APIKLEY_RECORD, params={"taskId": task["taskId"]}, headers=headers)
            body = answer.json()
            return body["data"]["state"] if body["code"] == 200 else body["code"]

        mock.advance(3.0)  # both finish
        assert state(old) == "success"
        mock.advance(58.0)
        assert state(old) == "success"  # finished 58 s ago: kept
        mock.advance(2.5)
        fresh = http.post(APIKLEY_CREATE, json=apikley_body(), headers=headers).json()["data"]
        assert state(old) == 422  # forgotten: "recordInfo is null", as for an unknown task
        assert state(pending) == 422
        assert state(fresh) == "waiting"
        assert len(mock.state.tasks) == 1


def test_expire_after_must_be_positive() -> None:
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="expire_after"):
            MockServer(expire_after=bad)
