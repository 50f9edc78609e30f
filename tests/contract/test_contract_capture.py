"""The lifecycle's callback capture server, fed hostile requests on a real socket: a length that
is none, or one past the bound, is refused at once, never read to the end of the stream; a
body without a length is read only up to the bound."""

from __future__ import annotations

import socket

import pytest
from kling_avatar.contract._capture import MAX_CALLBACK_BODY, CallbackReceiver


def _exchange(url: str, head: bytes, body: bytes) -> bytes:
    host, port = url.split("//")[1].split("/")[0].split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.settimeout(30)  # a guard against a hang, not a measurement
        sock.sendall(head + body)
        # The stream stays open: a reader that waits for its end never answers.
        return sock.recv(200)


@pytest.mark.parametrize(
    ("length", "status"),
    # No number: uvicorn's HTTP parser refuses the request before the app sees it.
    [("-1", b" 400 "), ("\xb2", b" 400 "), (str(MAX_CALLBACK_BODY + 1), b" 413 ")],
)
def test_a_callback_without_a_usable_length_is_refused_unread(length: str, status: bytes) -> None:
    with CallbackReceiver() as receiver:
        head = f"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
        answer = _exchange(receiver.url, head.encode("latin-1"), b"{" * 65536)
        assert answer.startswith(b"HTTP/1.") and status in answer.split(b"\r\n")[0]
        assert receiver.received == []


def test_a_callback_with_its_length_is_kept() -> None:
    with CallbackReceiver() as receiver:
        body = b'{"task_id": "t1"}'
        head = f"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        answer = _exchange(receiver.url, head.encode(), body)
        assert b" 200 " in answer.split(b"\r\n")[0]
        assert [c.body for c in receiver.received] == [{"task_id": "t1"}]


def test_a_chunked_callback_past_the_bound_is_refused() -> None:
    with CallbackReceiver() as receiver:
        head = b"POST /callback HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        chunk = b"%x\r\n%s\r\n" % (65536, b"{" * 65536)
        answer = _exchange(receiver.url, head, chunk * (MAX_CALLBACK_BODY // 65536 + 1))
        assert b" 413 " in answer.split(b"\r\n")[0]
        assert receiver.received == []
