"""The mock as a shared CI server (issue 21, items 10, 11, 12 and 14), on real sockets.

Bombs refused from their header, renders side by side and once per task, no fetches from the
mock itself, a ``python -m kling_avatar.testing`` that exits on a double signal, callbacks
retried as providers do (each attempt recorded), and the small gaps a real client showed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import zlib
from collections import OrderedDict
from typing import Any

import httpx
import pytest
from kling_avatar.testing import COST_PRO, MockServer
from kling_avatar.testing import _media as media

from specs import load_spec, validation_errors

from .helpers import (
    APIKLEY_BASE64,
    APIKLEY_CREATE,
    APIKLEY_RECORD,
    APIKLEY_STREAM,
    APIKLEY_URL,
    CRUN_CREATE,
    CRUN_INFO,
    Receiver,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)


def bomb_png(width: int = 16_000, height: int = 16_000, rows: int = 1) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (RGB), with ``rows`` rows of data: tiny
    on disk, gigabytes to whoever allocates the frame the header asks for."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\0" * (3 * width + 1) * rows, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def _upload(http: httpx.Client, mock: MockServer, name: str, data: bytes, mime: str) -> str:
    answer = http.post(
        APIKLEY_STREAM,
        data={"uploadPath": "in"},
        files={"file": (name, data, mime)},
        headers=apikley_headers(mock),
    ).json()
    url: str = answer["data"]["downloadUrl"]
    return url


def _crun_task(http: httpx.Client, mock: MockServer, **inputs: str) -> str:
    body = crun_body()
    body["input"].update(inputs)
    answer = http.post(CRUN_CREATE, json=body, headers=crun_headers(mock)).json()
    task_id: str = answer["data"]["task_id"]
    http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock))  # step=0: done
    return task_id


# -- item 10: the mock as a shared CI server ---------------------------------------------

# Run in a process of its own, so its peak memory is the bomb's render alone.
_BOMB_RUN = textwrap.dedent(
    """
    import io, json, resource, sys
    import av, httpx
    from kling_avatar.testing import MockServer

    bomb = sys.stdin.buffer.read()
    with MockServer(step=0.0) as mock, httpx.Client(base_url=mock.base_url, timeout=60) as http:
        key = {"Authorization": "Bearer " + mock.apikley_key}
        up = http.post("/file-upload/api/file-stream-upload", data={"uploadPath": "in"},
                       files={"file": ("bomb.png", bomb, "image/png")}, headers=key).json()
        body = {"model": "kling/avatar", "input": {"image_url": up["data"]["downloadUrl"],
                "audio_url": "https://example.com/v.mp3"}}
        crun = {"x-api-key": mock.crun_key}
        task = http.post("/api/v1/client/job/CreateTask", json=body, headers=crun).json()
        task_id = task["data"]["task_id"]
        http.get("/api/v1/client/job/TaskInfo", params={"task_id": task_id}, headers=crun)
        video = http.get(f"/media/results/{task_id}.mp4")
        with av.open(io.BytesIO(video.content)) as container:
            stream = container.streams.video[0]
            size = [stream.width, stream.height]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({"status": video.status_code, "size": size, "peak": peak}))
    """
)


def test_a_decompression_bomb_is_refused_from_its_header_without_being_decoded() -> None:
    """A 16000x16000 PNG of a few hundred bytes: the result is the generated clip (the grey
    256 px stand-in) and the process never holds the 768 MB frame its header claims."""
    bomb = bomb_png()
    assert len(bomb) < 1024
    run = subprocess.run(  # noqa: S603  (our own interpreter and fixed code)
        [sys.executable, "-c", _BOMB_RUN],
        input=bomb,
        capture_output=True,
        timeout=120,
        check=True,
    )
    found = json.loads(run.stdout.decode().strip().splitlines()[-1])
    assert found["status"] == 200
    assert found["size"] == [media.MAX_SIDE, media.MAX_SIDE]  # the stand-in picture
    # The frame alone would be 16000 * 16000 * 3 bytes; the mock itself needs ~150 MB.
    assert found["peak"] < 16_000 * 16_000 * 3 // 2


def test_a_result_is_served_while_another_render_is_under_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two renders at once meet inside the renderer: neither waits for the other to end (one
    global lock made a normal result wait behind every bomb ahead of it)."""
    both_inside = threading.Barrier(2, timeout=30)
    render = media._render

    def meeting(*args: Any, **kwargs: Any) -> bytes:
        both_inside.wait()  # broken (an error, answered 500) unless the other one gets in too
        return render(*args, **kwargs)

    monkeypatch.setattr(media, "_cache", OrderedDict())  # both renders miss the cache
    monkeypatch.setattr(media, "_render", meeting)
    with MockServer(step=0.0) as mock, httpx.Client(base_url=mock.base_url, timeout=60) as http:
        ids = [_crun_task(http, mock) for _ in range(2)]
        answers: dict[str, int] = {}

        def get(task_id: str) -> None:
            answers[task_id] = http.get(f"/media/results/{task_id}.mp4").status_code

        threads = [threading.Thread(target=get, args=(task_id,)) for task_id in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        errors = mock.errors
        mock.state.errors.clear()  # reported below, not by the fixture
    assert not errors
    assert answers == dict.fromkeys(ids, 200)


def test_a_render_past_its_time_gives_the_generated_clip(monkeypatch: pytest.MonkeyPatch) -> None:
    """No render holds a slot for long: past RENDER_SECONDS it ends with the stand-in clip
    (2 s), not the 3 s video of its audio."""
    import io
    import wave

    import av

    sound = io.BytesIO()
    with wave.open(sound, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(8000)
        file.writeframes(b"\x10\x20" * 24_000)
    monkeypatch.setattr(media, "_cache", OrderedDict())
    monkeypatch.setattr(media, "RENDER_SECONDS", 0.0)
    video = media.render(bomb_png(64, 32, rows=32), sound.getvalue())
    with av.open(io.BytesIO(video), "r") as container:
        assert container.duration is not None
        seconds = container.duration / 1e6
    assert abs(seconds - media.FALLBACK_SECONDS) <= 1 / media.FPS


def test_a_result_is_rendered_once_and_a_dropped_one_answers_410(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renders: list[object] = []
    render = media._render

    def counted(*args: Any, **kwargs: Any) -> bytes:
        renders.append(args)
        return render(*args, **kwargs)

    monkeypatch.setattr(media, "_cache", OrderedDict())
    monkeypatch.setattr(media, "_CACHE_ENTRIES", 0)  # no input-keyed copy to fall back on
    monkeypatch.setattr(media, "_render", counted)
    with MockServer(step=0.0) as mock, httpx.Client(base_url=mock.base_url, timeout=60) as http:
        mock.state.max_result_bytes = 1  # keep only the newest result
        first, second = _crun_task(http, mock), _crun_task(http, mock)
        assert http.get(f"/media/results/{first}.mp4").status_code == 200
        assert http.get(f"/media/results/{first}.mp4").status_code == 200  # kept: no render
        assert len(renders) == 1
        assert http.get(f"/media/results/{second}.mp4").status_code == 200  # drops the first
        assert len(renders) == 2
        again = [http.get(f"/media/results/{first}.mp4") for _ in range(3)]
        head = http.head(f"/media/results/{first}.mp4")
    assert [answer.status_code for answer in again] == [410, 410, 410]
    assert head.status_code == 410
    assert again[0].json()["code"] == 410
    assert len(renders) == 2  # never rendered again, however often it is asked for


def test_concurrent_gets_of_one_result_share_one_render(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renders: list[object] = []
    render = media._render

    def counted(*args: Any, **kwargs: Any) -> bytes:
        renders.append(args)
        return render(*args, **kwargs)

    monkeypatch.setattr(media, "_cache", OrderedDict())
    monkeypatch.setattr(media, "_CACHE_ENTRIES", 0)
    monkeypatch.setattr(media, "_render", counted)
    with MockServer(step=0.0) as mock, httpx.Client(base_url=mock.base_url, timeout=60) as http:
        task_id = _crun_task(http, mock)
        statuses: list[int] = []
        threads = [
            threading.Thread(
                target=lambda: statuses.append(
                    http.get(f"/media/results/{task_id}.mp4").status_code
                )
            )
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert statuses == [200] * 4
    assert len(renders) == 1


def test_tasks_whose_inputs_are_each_others_results_never_make_the_mock_fetch_itself() -> None:
    """A's portrait is B's result and B's is A's, named the way a client may (localhost): the
    mock reads no URL of its own, so one GET is one request, not a loop of them."""
    with MockServer(step=0.0, seed=7) as probe, httpx.Client(base_url=probe.base_url) as http:
        # The same seed replays the same task ids: learn the two the next server will give.
        first, second = _crun_task(http, probe), _crun_task(http, probe)
    lines: list[str] = []
    with (
        MockServer(step=0.0, seed=7, log=lines.append) as mock,
        httpx.Client(base_url=mock.base_url, timeout=60) as http,
    ):
        here = mock.base_url.replace("127.0.0.1", "localhost")
        a = _crun_task(http, mock, image_url=f"{here}/media/results/{second}.mp4")
        b = _crun_task(http, mock, image_url=f"{here}/media/results/{first}.mp4")
        assert (a, b) == (first, second)
        answer = http.get(f"/media/results/{a}.mp4")
        mock.wait_idle()
    assert answer.status_code == 200
    assert [line for line in lines if " /media/" in line] == [
        f"GET /media/results/{a}.mp4 - -> HTTP 200"
    ]


def test_an_upload_from_the_mocks_own_url_is_read_from_memory_not_fetched() -> None:
    lines: list[str] = []
    with (
        MockServer(step=0.0, log=lines.append) as mock,
        httpx.Client(base_url=mock.base_url, timeout=60) as http,
    ):
        url = _upload(http, mock, "face.png", bomb_png(64, 32, rows=32), "image/png")
        here = url.replace("127.0.0.1", "localhost")
        copied = http.post(
            APIKLEY_URL,
            json={"fileUrl": here, "uploadPath": "copies"},
            headers=apikley_headers(mock),
        ).json()
        missing = http.post(
            APIKLEY_URL,
            json={"fileUrl": f"{here}.nothing", "uploadPath": "copies"},
            headers=apikley_headers(mock),
        ).json()
    assert copied["success"] is True
    assert copied["data"]["fileSize"] == len(bomb_png(64, 32, rows=32))
    assert missing["success"] is False
    assert "HTTP 404" in missing["msg"]
    assert not [line for line in lines if line.startswith("GET /media/")]  # nothing fetched


# -- item 11: python -m kling_avatar.testing exits on a double signal -----------------------

# The mock's CLI, with threading.Event.set holding its lock a while: a second signal then lands
# while a handler that takes that lock is inside it (by chance, it takes a loaded machine).
_WIDENED = textwrap.dedent(
    """
    import runpy, sys, threading, time

    def slow_set(self):
        with self._cond:
            time.sleep(0.5)
            self._flag = True
            self._cond.notify_all()

    threading.Event.set = slow_set
    sys.argv = ["kling_avatar.testing", *sys.argv[1:]]
    runpy.run_module("kling_avatar.testing", run_name="__main__", alter_sys=True)
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_cli_exits_on_the_same_signal_twice_in_a_row(number: int) -> None:
    """The second signal lands while the first one's handling is under way (made certain by
    holding Event.set's lock longer; unaided it takes a loaded machine): the mock still exits."""
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    process = subprocess.Popen(  # noqa: S603  (our own module, fixed arguments)
        [sys.executable, "-c", _WIDENED, "--port", str(port), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(7)]
        assert lines[0].startswith("# kling-avatar mock serving"), lines
        process.send_signal(number)
        threading.Event().wait(0.1)  # a handler taking Event.set's lock would be inside it now
        process.send_signal(number)
        code_ = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # 0, or ended by the second signal itself when it lands during the interpreter's own
    # finalization (which puts the default handlers back): either way it has exited.
    assert code_ in (0, -number)


# -- item 12: callbacks retried as providers do ------------------------------------------


def test_a_callback_refused_four_times_arrives_on_the_fifth_attempt_each_one_recorded() -> None:
    with (
        Receiver(fail_first=4) as receiver,
        MockServer(step=0.0, callback_attempts=6, callback_backoff=0.01) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        http.post(
            CRUN_CREATE, json=crun_body(callback_url=receiver.url), headers=crun_headers(mock)
        )
        deliveries = mock.wait_callbacks(5, timeout=30)
        mock.wait_idle()
        deliveries = mock.callbacks
    assert [(d.attempt, d.status, d.error) for d in deliveries] == [
        (1, 500, None),
        (2, 500, None),
        (3, 500, None),
        (4, 500, None),
        (5, 200, None),
    ]
    assert [d.retry_in for d in deliveries] == [0.01, 0.02, 0.04, 0.08, None]
    assert len(receiver.posts) == 5


def test_by_default_a_refused_callback_is_retried_for_hours_and_advance_brings_it_forward() -> None:
    with Receiver() as receiver:
        dead_url = receiver.url  # closed: connections are refused
    with MockServer(step=0.0) as mock, httpx.Client(base_url=mock.base_url) as http:
        http.post(CRUN_CREATE, json=crun_body(callback_url=dead_url), headers=crun_headers(mock))
        [first] = mock.wait_callbacks(1)
        assert (first.attempt, first.status, first.error) == (1, None, "ConnectError")
        assert first.retry_in == 15.0
        mock.advance(15.0)  # the mock's clock: the retry is due now, not in 15 s
        second = mock.wait_callbacks(2)[1]
    assert (second.attempt, second.error, second.retry_in) == (2, "ConnectError", 30.0)
    # Ten attempts whose delays double from 15 s: about two hours, as fal.ai documents.
    assert sum(15.0 * 2**n for n in range(9)) / 3600 == pytest.approx(2.13, abs=0.01)


def test_callback_attempts_1_makes_one_attempt_and_no_retry() -> None:
    with (
        Receiver(fail_first=1) as receiver,
        MockServer(step=0.0, callback_attempts=1) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        http.post(
            CRUN_CREATE, json=crun_body(callback_url=receiver.url), headers=crun_headers(mock)
        )
        mock.wait_callbacks(1)
        mock.wait_idle()
        deliveries = mock.callbacks
    assert [(d.attempt, d.status, d.retry_in) for d in deliveries] == [(1, 500, None)]


@pytest.mark.parametrize(
    ("option", "value"),
    [("--callback-attempts", "0"), ("--callback-backoff", "nan"), ("--callback-backoff", "-1")],
)
def test_the_cli_takes_callback_retries_and_rejects_nonsense(option: str, value: str) -> None:
    run = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
        [sys.executable, "-m", "kling_avatar.testing", "--port", "0", option, value],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert option.lstrip("-").replace("-", "_") in run.stderr


def test_mockserver_rejects_nonsense_callback_retries() -> None:
    for kwargs in ({"callback_attempts": 0}, {"callback_backoff": float("inf")}):
        with pytest.raises(ValueError, match="callback_"):
            MockServer(**kwargs)


# -- item 14: gaps a real client showed ---------------------------------------------------


@pytest.mark.parametrize("operation", ["talking-avatar", "image-to-video"])
def test_crun_lists_kling_avatar_under_both_of_its_catalogue_operations(
    http: httpx.Client, mock: MockServer, operation: str
) -> None:
    answer = http.get(
        "/api/v1/client/job/Models",
        params={"modality": "video", "operation": operation},
        headers=crun_headers(mock),
    ).json()
    assert [model["model"] for model in answer["data"]["models"]] == ["kling/avatar"]
    assert answer["data"]["models"][0]["operations"] == ["talking-avatar", "image-to-video"]


@pytest.mark.parametrize("fail", [False, True], ids=["success", "fail"])
def test_apikley_callbacks_say_what_the_task_cost_within_the_spec(fail: bool) -> None:
    spec = load_spec("apikley")
    with (
        Receiver() as receiver,
        MockServer(step=0.0) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        if fail:
            mock.fault("task_fail", fail_code="500", fail_msg="Internal server error")
        body = apikley_body(callBackUrl=receiver.url)
        task_id = http.post(APIKLEY_CREATE, json=body, headers=apikley_headers(mock)).json()[
            "data"
        ]["taskId"]
        http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock))
        [delivery] = mock.wait_callbacks(1)
    payload = delivery.body
    assert payload["data"]["creditsConsumed"] == (0 if fail else COST_PRO)
    assert payload["msg"] == (
        "Playground task failed." if fail else "Playground task completed successfully."
    )
    assert validation_errors(spec, {"$ref": "#/components/schemas/TaskCallback"}, payload) == []


@pytest.mark.parametrize("path", [APIKLEY_STREAM, APIKLEY_BASE64, APIKLEY_URL])
def test_upload_auth_errors_have_the_upload_apis_shape(
    http: httpx.Client, mock: MockServer, path: str
) -> None:
    wrong = {"Authorization": "Bearer not-the-key"}
    if path == APIKLEY_STREAM:
        answer = http.post(
            path, data={"uploadPath": "x"}, files={"file": ("a.bin", b"1")}, headers=wrong
        )
    elif path == APIKLEY_BASE64:
        answer = http.post(path, json={"base64Data": "AA==", "uploadPath": "x"}, headers=wrong)
    else:
        answer = http.post(
            path, json={"fileUrl": "https://example.com/a", "uploadPath": "x"}, headers=wrong
        )
    body = answer.json()
    assert body["success"] is False
    assert body["code"] == 401
    spec = load_spec("apikley")
    assert validation_errors(spec, {"$ref": "#/components/schemas/FileUploadResponse"}, body) == []
