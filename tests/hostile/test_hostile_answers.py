"""A provider that lies, bombs, drips and echoes: every promise holds, sync and async."""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kling_avatar import (
    APITimeoutError,
    AvatarError,
    GenerationFailedError,
    ResponseTooLargeError,
    UnexpectedResponseError,
    WaitTimeoutError,
)

from .conftest import Call
from .provider import KEY, Clock, asked_id, created, fragments, routes, task_data
from .server import HostileServer, Request, Script, answer, big, bomb, drip, envelope, head

# Item 2 ---------------------------------------------------------------------------------------


def other_task(provider: str) -> HostileServer:
    return HostileServer(
        routes(provider, status=lambda r: [envelope(task_data(provider, "t2", urls=[]))])
    )


def test_an_answer_about_another_task_is_refused(call: Call, provider: str) -> None:
    with other_task(provider) as server, pytest.raises(UnexpectedResponseError, match="t2"):
        call(provider, server.url, "get_task", "t1")


def test_a_wait_does_not_end_on_another_tasks_success(call: Call, provider: str) -> None:
    with other_task(provider) as server, pytest.raises(UnexpectedResponseError):
        call(provider, server.url, "wait_for_task", "t1", timeout=5)


def test_the_task_asked_about_is_accepted(call: Call, provider: str) -> None:
    def status(request: Request) -> Script:
        return [envelope(task_data(provider, asked_id(provider, request), "running"))]

    with HostileServer(routes(provider, status=status)) as server:
        assert call(provider, server.url, "get_task", "t1").id == "t1"


# Item 3 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(lambda: big(100 * 1024 * 1024), id="100MB-stated"),
        pytest.param(lambda: [head(200), *list(big(5 * 1024 * 1024))[1:]], id="5MB-unstated"),
        # scripts/hostile_figures.py measures the 1 GiB bomb; a quarter is as good a test.
        pytest.param(lambda: bomb(256 * 1024**2), id="256MiB-in-250kB-gzip"),
        pytest.param(lambda: bomb(64 * 1024**2, "deflate"), id="64MiB-deflate"),
    ],
)
def test_an_oversized_answer_stops_at_the_cap(
    call: Call, provider: str, script: Callable[[], Script]
) -> None:
    with (
        HostileServer(lambda r: script()) as server,
        pytest.raises(ResponseTooLargeError, match="1048576-byte cap"),
    ):
        call(provider, server.url, "get_credits")


def test_the_cap_is_a_client_setting_and_a_normal_gzip_answer_reads(
    call: Call, provider: str
) -> None:
    body = json.dumps(
        {"code": 200, "msg": "ok", "data": {"balance": 7} if provider == "crun" else 7}
    ).encode()
    packed = gzip.compress(body + b" " * 5000)
    script = [head(200, {"Content-Encoding": "gzip"}, len(packed)) + packed]
    with HostileServer(lambda r: script) as server:
        assert call(provider, server.url, "get_credits") == 7
        with pytest.raises(ResponseTooLargeError):
            call(provider, server.url, "get_credits", options={"max_answer_bytes": 1000})


def test_bytes_past_a_stated_length_are_never_read(call: Call, provider: str) -> None:
    # An unencoded answer within the cap is read by httpx itself: HTTP framing must end the
    # read at Content-Length, whatever flood follows it on the connection.
    data = {"balance": 7} if provider == "crun" else 7
    flood = b" " * (5 * 1024 * 1024)
    whole = envelope(data)
    cut = head(200, {"Content-Type": "application/json"}, 12) + b'{"code": 200'
    with HostileServer(lambda r: [whole, flood]) as server:
        assert call(provider, server.url, "get_credits") == 7
    with (
        HostileServer(lambda r: [cut, flood]) as server,
        pytest.raises(UnexpectedResponseError, match="not JSON"),
    ):
        call(provider, server.url, "get_credits")


def test_an_unasked_for_encoding_is_an_unexpected_answer(call: Call, provider: str) -> None:
    script = [head(200, {"Content-Encoding": "br"}, 4) + b"abcd"]
    with (
        HostileServer(lambda r: script) as server,
        pytest.raises(UnexpectedResponseError, match="Content-Encoding"),
    ):
        call(provider, server.url, "get_credits")


# Item 4 ---------------------------------------------------------------------------------------
# The dripping answers take a minute or more to arrive whole, a byte every DRIP seconds: a
# timeout of three gaps is one no single read ever reaches, so only the whole-request deadline
# can end it. The bounds asserted are loose (many times the timeout) so that a loaded machine
# does not fail them, yet far below the minute.
DRIP = 0.2


def dripping(provider: str) -> HostileServer:
    def status(request: Request) -> Script:
        return drip(envelope(task_data(provider, asked_id(provider, request), "running")), DRIP)

    return HostileServer(routes(provider, status=status, credits=status))


def test_a_dripping_server_cannot_stretch_a_request(call: Call, provider: str) -> None:
    with dripping(provider) as server:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            call(provider, server.url, "get_task", "t1", options={"timeout": 3 * DRIP})
        assert time.monotonic() - started < 8


def test_a_dripping_server_cannot_stretch_a_wait(call: Call, provider: str) -> None:
    with dripping(provider) as server:
        started = time.monotonic()
        with pytest.raises(WaitTimeoutError):
            call(provider, server.url, "wait_for_task", "t1", timeout=4 * DRIP)
        assert time.monotonic() - started < 10


def test_dripping_headers_are_bounded_too(call: Call, provider: str) -> None:
    headers = b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 100
    with HostileServer(lambda r: drip(headers, DRIP)) as server:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            call(provider, server.url, "get_credits", options={"timeout": 3 * DRIP})
        assert time.monotonic() - started < 8


# Item 5 ---------------------------------------------------------------------------------------

# Where the old cuts (40, 120, 200 characters) fell inside the key.
PADS = ["", "x" * 20, "y" * 100, "w" * 180]


def echo_routes(provider: str, pad: str) -> HostileServer:
    """Every answer carries the key, placed so that a cut at any usual length falls in it."""
    echo = pad + KEY + pad

    def status(request: Request) -> Script:
        task_id = asked_id(provider, request)
        if task_id == "failed":
            return [envelope(task_data(provider, task_id, "failed", message=echo))]
        if task_id == "weird":
            return [envelope(task_data(provider, task_id, echo))]  # an unknown state: the key
        if task_id == "code":
            return [answer({"code": echo})]
        if task_id == "header":
            return [answer({"code": 500, "msg": echo}, 500, {"X-Request-Id": echo})]
        if task_id == "data":
            return [envelope(echo)]
        return [answer(f"<html>{echo}</html>".encode(), 502)]

    return HostileServer(routes(provider, status=status))


@pytest.mark.parametrize("pad", PADS, ids=[str(len(p)) for p in PADS])
def test_an_echoed_key_never_reaches_an_error_a_task_or_a_log(
    call: Call, provider: str, pad: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    # One retry, so the retried answer's log lines are seen too; its backoff is not the point,
    # nor are the waits' pauses: they pass on a clock of the client's own, not slept through.
    quick: dict[str, Any] = {"options": {"max_retries": 1, "retry_delay": 0.001}, "clock": Clock()}
    with echo_routes(provider, pad) as server:
        for task_id in ("code", "header", "data", "html"):
            with pytest.raises(AvatarError) as caught:
                call(provider, server.url, "get_task", task_id, **quick)
            seen += [str(caught.value), repr(caught.value)]
        with pytest.raises(GenerationFailedError) as failed:
            call(provider, server.url, "wait_for_task", "failed", timeout=5, **quick)
        seen += [str(failed.value), repr(failed.value.task)]
        task = call(provider, server.url, "get_task", "failed", **quick)
        seen += [repr(task), str(task.error_message)]
        with pytest.raises(WaitTimeoutError) as waited:
            call(provider, server.url, "wait_for_task", "weird", timeout=0.3, **quick)
        seen += [str(waited.value), repr(waited.value.task)]
    # The client's log and httpx's request lines (what `--debug` shows); httpcore's DEBUG trace
    # prints raw response headers, which the README's promises leave out.
    seen += [r.getMessage() for r in caplog.records if not r.name.startswith("httpcore")]
    assert list(fragments("\n".join(seen))) == []


def test_a_failed_wait_carries_a_blanked_task(call: Call, provider: str) -> None:
    with echo_routes(provider, "m" * 115) as server, pytest.raises(GenerationFailedError) as caught:
        call(provider, server.url, "wait_for_task", "failed", timeout=5)
    task = caught.value.task
    assert task is not None and task.error_message is not None
    assert "[redacted]" in task.error_message and KEY not in repr(task)


# Item 7 ---------------------------------------------------------------------------------------

EVIL_URLS = [
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:video/mp4;base64,AAAA",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/v.mp4",
    "http://0.0.0.0/v.mp4",
    "ftp://files.example/v.mp4",
    "https://files.example/v.mp4\x1b[2J",
]


@pytest.mark.parametrize("url", EVIL_URLS)
def test_only_http_urls_leave_as_video_urls(call: Call, provider: str, url: str) -> None:
    def status(request: Request) -> Script:
        return [envelope(task_data(provider, asked_id(provider, request), urls=[url]))]

    with (
        HostileServer(routes(provider, status=status)) as server,
        pytest.raises(UnexpectedResponseError) as caught,
    ):
        call(provider, server.url, "get_task", "t1")
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("url", EVIL_URLS[:4])
def test_only_http_urls_leave_as_upload_urls(call: Call, provider: str, url: str) -> None:
    if provider == "crun":
        data = {"presigned_url": "http://127.0.0.1:1/put", "file_url": url}
        upload = routes(provider, upload=lambda r: [envelope(data)])
    else:
        upload = routes(provider, upload=lambda r: [envelope({"downloadUrl": url})])
    with HostileServer(upload) as server, pytest.raises(UnexpectedResponseError):
        call(provider, server.url, "upload_file", b"ID3 an mp3")


def test_loopback_urls_pass_only_for_a_loopback_base_url(call: Call, provider: str) -> None:
    local = "http://127.0.0.1:9/v.mp4"

    def status(request: Request) -> Script:
        return [envelope(task_data(provider, asked_id(provider, request), urls=[local]))]

    with HostileServer(routes(provider, status=status)) as server:
        assert call(provider, server.url, "get_task", "t1").video_urls == [local]
        # The same answer through a public-looking base URL (a proxy to the same server).
        transport = httpx.HTTPTransport if call.mode == "sync" else httpx.AsyncHTTPTransport
        proxied = {"transport": transport(proxy=server.url), "base_url": "http://api.example"}
        with pytest.raises(UnexpectedResponseError, match="loopback"):
            call(provider, server.url, "get_task", "t1", options=proxied)


def test_a_created_task_with_an_id_of_escapes_keeps_them_escaped(call: Call, provider: str) -> None:
    with HostileServer(routes(provider, create=lambda r: [created(provider, "\x1b[31mred")])) as s:
        task = call(
            provider, s.url, "create_task", image_url="https://a/b.png", audio_url="https://a/b.mp3"
        )
    assert task.id == "\x1b[31mred"  # the id is the provider's; the CLI shows it escaped


def test_a_video_url_carrying_the_key_is_not_handed_on(call: Call, provider: str) -> None:
    url = f"https://files.example/v.mp4?k={KEY}"

    def status(request: Request) -> Script:
        return [envelope(task_data(provider, asked_id(provider, request), urls=[url]))]

    with HostileServer(routes(provider, status=status)) as server:
        try:
            task = call(provider, server.url, "get_task", "t1")
        except UnexpectedResponseError as error:  # crun: refused
            assert KEY not in str(error)
        else:  # Apikley: the key was blanked in resultJson, the string it came in
            assert KEY not in str(task.video_urls)
