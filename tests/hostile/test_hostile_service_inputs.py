"""The reference service (examples/service/app.py) takes media URLs only: a path in a request
names a file on the server, so it is refused with a 4xx before anything reaches the provider,
and the service keeps answering (issue 21, item 3). Served by uvicorn on a real socket, the
provider the raw-socket hostile crun."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import uvicorn

from .provider import KEY, PATHS, hostile_crun
from .server import HostileServer

ROOT = Path(__file__).resolve().parents[2]
PORTRAIT = ROOT / "examples" / "media" / "portrait.png"
IMAGE = "https://media.example/p.png"
AUDIO = "https://media.example/v.wav"

pytestmark = pytest.mark.timeout(60)


def _service_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "reference_service_app", ROOT / "examples" / "service" / "app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # pydantic resolves the models' annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def provider() -> Iterator[HostileServer]:
    with hostile_crun("t1") as server:
        yield server


@pytest.fixture
def service(provider: HostileServer, tmp_path: Path) -> Iterator[str]:
    """The service on a socket of its own (127.0.0.1, a free port), talking to `provider`."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/videos.sqlite3",
        "CRUN_API_KEY": KEY,
        "CRUN_BASE_URL": provider.url,
        "SERVICE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    app = _service_module().create_app(env, port=port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(600):  # bounded: about 30 s
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert server.started, "the service did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "portrait.png"
    os.mkfifo(path)
    yield str(path)
    # Release a reader the old code left blocked in open() (on the service's event loop).
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def test_a_path_in_a_request_is_refused_and_the_service_keeps_answering(
    service: str, provider: HostileServer, fifo: str
) -> None:
    paths = [
        "/etc/passwd",
        str(PORTRAIT),  # a file the server can read and a provider would take
        "examples/media/portrait.png",
        "file:///etc/passwd",
        fifo,  # the old service blocked its event loop opening this
        "/dev/stdin",
        "/dev/zero",  # the old service read it until MemoryError (500)
    ]
    with httpx.Client(base_url=service, timeout=10) as http:
        for path in paths:
            for field in ("image_url", "audio_url"):
                body = {"provider": "crun", "image_url": IMAGE, "audio_url": AUDIO, field: path}
                answer = http.post("/videos", json=body)
                assert answer.status_code == 422, (path, field, answer.text)
                assert field in answer.text
        assert provider.requests == []  # nothing was uploaded, nothing created

        made = http.post(
            "/videos", json={"provider": "crun", "image_url": IMAGE, "audio_url": AUDIO}
        )
        assert made.status_code == 201, made.text
        assert http.get(f"/videos/{made.json()['id']}").json()["task_id"] == "t1"
    assert [r.path for r in provider.requests] == [PATHS["crun"]["create"]]
