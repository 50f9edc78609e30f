"""Requests both providers accept, and the headers that carry each provider's key."""

from __future__ import annotations

import functools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from kling_avatar.testing import MockServer

CRUN_CREATE = "/api/v1/client/job/CreateTask"
CRUN_INFO = "/api/v1/client/job/TaskInfo"
CRUN_ESTIMATE = "/api/v1/client/job/EstimateTask"
CRUN_BALANCE = "/api/v1/client/account/balance"
CRUN_UPLOAD_URL = "/api/v1/client/files/upload-url"
APIKLEY_CREATE = "/api/v1/jobs/createTask"
APIKLEY_RECORD = "/api/v1/jobs/recordInfo"
APIKLEY_CREDIT = "/api/v1/chat/credit"
APIKLEY_DOWNLOAD = "/api/v1/common/download-url"
APIKLEY_STREAM = "/file-upload/api/file-stream-upload"
APIKLEY_BASE64 = "/file-upload/api/file-base64-upload"
APIKLEY_URL = "/file-upload/api/file-url-upload"


def crun_headers(mock: MockServer) -> dict[str, str]:
    return {"x-api-key": mock.crun_key}


def apikley_headers(mock: MockServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {mock.apikley_key}"}


def fal_headers(mock: MockServer) -> dict[str, str]:
    return {"Authorization": f"Key {mock.keys['fal']}"}


def key_headers(mock: MockServer, provider: str) -> dict[str, str]:
    """The headers that carry `provider`'s key, as its clients send it."""
    made = {"crun": crun_headers, "apikley": apikley_headers, "fal": fal_headers}[provider]
    return made(mock)


def crun_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "kling/avatar",
        "input": {
            "mode": "pro",
            "image_url": "https://example.com/face.png",
            "audio_url": "https://example.com/voice.mp3",
            "prompt": "smile",
        },
        **extra,
    }


def apikley_body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "kling/ai-avatar-v1-pro",
        "input": {
            "image_url": "https://example.com/face.png",
            "audio_url": "https://example.com/voice.mp3",
            "prompt": "",
        },
        **extra,
    }


class Receiver:
    """A loopback HTTP endpoint: records POSTed JSON, serves GET from a dict of files.

    ``fail_first`` answers that many POSTs with HTTP 500 before accepting, to test retries.
    """

    def __init__(self, fail_first: int = 0) -> None:
        self.posts: list[tuple[dict[str, str], Any]] = []
        self.files: dict[str, tuple[bytes, str]] = {}
        self.fail_first = fail_first
        self.lock = threading.Lock()  # guards posts and fail_first across handler threads
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                with receiver.lock:
                    receiver.posts.append((dict(self.headers.items()), body))
                    failing = receiver.fail_first > 0
                    receiver.fail_first -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                found = receiver.files.get(self.path)
                if found is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data, mime = found
                self.send_response(200)
                self.send_header("Content-Type", mime)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # the mock may deliver many callbacks at once

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        # serve_forever looks for shutdown() every poll_interval (0.5 s by default): each
        # test with a receiver waited that long for it to stop.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.01)
        self._thread = threading.Thread(target=serve, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
