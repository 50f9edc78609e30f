"""Local files come from path objects and open binary files only, never from a str; only
regular files are read, at most the limit plus one byte, and never on the event loop
(issue 21, item 3). The provider is the raw-socket hostile server, which records every
request: "refused before any request" means it saw none."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import stat
import threading
import unittest.mock
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kling_avatar import MAX_UPLOAD_BYTES, AsyncAvatarRouter, AvatarError, InvalidRequestError
from kling_avatar._inputs import is_http_url

from .conftest import Call
from .provider import KEY, async_client, hostile_crun, sync_client
from .server import HostileServer, answer

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
PORTRAIT = MEDIA / "portrait.png"
VOICE = MEDIA / "voice.wav"
URL = "https://media.example/v.wav"

# A hang is a failure here (a FIFO or terminal read on the old code blocks for ever).
pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    """Answers anything with a 500: a request that should not have been sent is recorded."""
    with HostileServer(lambda request: [answer({"code": 500, "msg": "no"}, 500)]) as server:
        yield server


@pytest.fixture
def terminal() -> Iterator[Path]:
    """The path of a terminal nobody types into: what /dev/stdin is in an interactive shell;
    a read of it blocks until someone does."""
    try:
        leader, follower = os.openpty()
    except OSError:  # pragma: no cover - a sandbox without pseudo-terminals
        pytest.skip("no pseudo-terminal here")
    try:
        yield Path(os.ttyname(follower))
    finally:
        os.close(leader)
        os.close(follower)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO with no writer: opening it to read blocks, unless opened non-blocking."""
    path = tmp_path / "portrait.png"
    os.mkfifo(path)
    yield path
    # Release a reader the code under test may have left blocked (the old code's open).
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))


def _reads_of(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of every `os.read` of the file at `path` from now on (any thread)."""
    identity = (path.stat().st_dev, path.stat().st_ino)
    sizes: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) == identity:
            sizes.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    return sizes


@pytest.mark.parametrize(
    "text",
    [
        str(PORTRAIT),  # a path on the caller's machine, in a str
        "examples/media/portrait.png",
        "/etc/passwd",
        "file:///etc/passwd",
        "portrait.png",
    ],
)
def test_a_str_is_a_url_never_a_file_and_nothing_is_sent(
    call: Call, provider: str, server: HostileServer, text: str
) -> None:
    for field, kwargs in [
        ("image_url", {"image_url": text, "audio_url": URL}),
        ("audio_url", {"image_url": "https://media.example/p.png", "audio_url": text}),
    ]:
        with pytest.raises(InvalidRequestError, match=r"pathlib\.Path") as caught:
            call(provider, server.url, "create_task", **kwargs)
        assert caught.value.field == field
        assert caught.value.provider == provider
    with pytest.raises(InvalidRequestError, match=r"pathlib\.Path"):
        call(provider, server.url, "upload_file", text)
    assert server.requests == []


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "directory", "terminal"])
def test_what_is_not_a_regular_file_is_refused_before_any_request(
    call: Call,
    provider: str,
    server: HostileServer,
    kind: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    cases: dict[str, tuple[Callable[[], Path], str]] = {
        "/dev/zero": (lambda: Path("/dev/zero"), "a device"),
        "fifo": (lambda: request.getfixturevalue("fifo"), r"a FIFO \(named pipe\)"),
        "directory": (lambda: tmp_path, "a directory"),
        "terminal": (lambda: request.getfixturevalue("terminal"), "a device"),
    }
    path, word = cases[kind]
    source = path()
    said = f"cannot read .*: it is {word}; only a regular file is read"
    with pytest.raises(InvalidRequestError, match=f"image_url: {said}"):
        call(provider, server.url, "create_task", image_url=source, audio_url=URL)
    with pytest.raises(InvalidRequestError, match=f"audio_url: {said}"):
        call(provider, server.url, "create_task", image_url=PORTRAIT, audio_url=source)
    with pytest.raises(InvalidRequestError, match=said):
        call(provider, server.url, "upload_file", source)
    assert server.requests == []  # not even the portrait was uploaded


@pytest.mark.parametrize("kind", ["/dev/zero", "terminal"])
def test_an_open_file_that_is_not_a_regular_file_is_refused(
    call: Call, provider: str, server: HostileServer, kind: str, request: pytest.FixtureRequest
) -> None:
    path = Path("/dev/zero") if kind == "/dev/zero" else request.getfixturevalue("terminal")
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY)  # the test's own process keeps its terminal
    with (
        os.fdopen(fd, "rb", buffering=0) as opened,
        pytest.raises(InvalidRequestError, match="a device"),
    ):
        call(provider, server.url, "create_task", image_url=opened, audio_url=URL)
    assert server.requests == []


class _CountingFile:
    """An open binary file that counts what is read from it."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by the test
        self.read_bytes = 0
        self.name = str(path)

    def fileno(self) -> int:
        return self._file.fileno()

    def read(self, n: int = -1) -> bytes:
        data = self._file.read(n)
        self.read_bytes += len(data)
        return data

    def close(self) -> None:
        self._file.close()


def test_a_file_over_the_limit_is_refused_after_at_most_limit_plus_one_bytes(
    call: Call,
    provider: str,
    server: HostileServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = tmp_path / "big.png"
    with open(big, "wb") as out:
        out.write(PORTRAIT.read_bytes())
        out.truncate(MAX_UPLOAD_BYTES + 3 * 1024 * 1024)  # sparse: cheap on disk
    reads = _reads_of(big, monkeypatch)
    with pytest.raises(InvalidRequestError, match="limit"):
        call(provider, server.url, "create_task", image_url=big, audio_url=URL)
    assert sum(reads) <= MAX_UPLOAD_BYTES + 1

    # An open file states no size up front: it is read, and stopped one byte past the limit.
    counted = _CountingFile(big)
    try:
        with pytest.raises(InvalidRequestError, match="limit"):
            call(provider, server.url, "create_task", image_url=counted, audio_url=URL)
        assert counted.read_bytes == MAX_UPLOAD_BYTES + 1
    finally:
        counted.close()
    assert server.requests == []


def test_a_path_and_an_open_file_are_uploaded_and_their_urls_sent(call: Call) -> None:
    with hostile_crun("t1") as server, open(VOICE, "rb") as voice:
        task = call("crun", server.url, "create_task", image_url=PORTRAIT, audio_url=voice)
    assert task.id == "t1"
    puts = [r for r in server.requests if r.path == "/put"]
    assert sorted(r.body for r in puts) == sorted([PORTRAIT.read_bytes(), VOICE.read_bytes()])


class _GatedFile:
    """An in-memory file whose first read waits until the test's coroutine opens the gate:
    that coroutine can only run while the event loop is free."""

    def __init__(self, content: bytes) -> None:
        self._content = content
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.threads: set[int] = set()

    def read(self, n: int = -1) -> bytes:
        self.threads.add(threading.get_ident())
        self.entered.set()
        if not self.gate.wait(10):
            raise AssertionError("the event loop did not run while the file was read")
        content, self._content = self._content[:n], self._content[n:]
        return content


async def _while_reading(gated: _GatedFile, call: Callable[[], Any]) -> Any:
    """Runs `call()` and, on the loop, opens the gate once the read has begun."""

    async def open_gate() -> None:
        await asyncio.to_thread(gated.entered.wait, 10)
        gated.gate.set()

    opener = asyncio.create_task(open_gate())
    try:
        return await call()
    finally:
        gated.gate.set()
        await opener


@pytest.mark.parametrize("through", ["client", "router"])
def test_async_reads_files_in_a_worker_thread_while_the_loop_runs(
    through: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated = _GatedFile(PORTRAIT.read_bytes())
    voice_reads: list[int] = []
    real_read = os.read
    voice = VOICE.stat()

    def recording_read(fd: int, n: int) -> bytes:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) == (
            voice.st_dev,
            voice.st_ino,
        ):
            voice_reads.append(threading.get_ident())
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", recording_read)

    async def main(url: str) -> tuple[str, int]:
        loop_thread = threading.get_ident()
        if through == "client":
            async with async_client("crun", url) as client:
                task = await _while_reading(
                    gated, lambda: client.create_task(image_url=gated, audio_url=VOICE)
                )
        else:
            router = AsyncAvatarRouter(["crun"], api_keys={"crun": KEY}, base_urls={"crun": url})
            async with router:
                task = await _while_reading(
                    gated, lambda: router.create_task(image_url=gated, audio_url=VOICE)
                )
        return task.id, loop_thread

    with hostile_crun("t1") as server:
        task_id, loop_thread = asyncio.run(main(server.url))
    assert task_id == "t1"
    assert gated.threads and loop_thread not in gated.threads
    assert voice_reads and loop_thread not in voice_reads


# Strings a caller (or a request's field passed through) might hand over, and anything else.
_strings = st.sampled_from(
    [
        "/etc/passwd",
        "/dev/zero",
        "/dev/stdin",
        "~/.ssh/id_rsa",
        "../../etc/shadow",
        "C:\\Windows\\win.ini",
        "file:///etc/passwd",
        "http:/etc/passwd",
        "https://",
        "",
        str(PORTRAIT),
        "https://media.example/p.png",
    ]
) | st.text(max_size=40)
_anything = _strings | st.none() | st.integers() | st.binary(max_size=20) | st.lists(st.text())


@pytest.mark.parametrize("mode", ["sync", "async"])
@settings(max_examples=100, deadline=None)
@given(value=_anything)
def test_any_value_is_a_url_or_a_typed_refusal_and_no_file_is_opened(
    mode: str, value: object
) -> None:
    sent: list[httpx.Request] = []

    def network(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"code": 200, "msg": "ok", "data": {"task_id": "t1"}})

    opened: list[object] = []

    def watched(real: Callable[..., Any]) -> Callable[..., Any]:
        def open_(path: Any, *args: Any, **kwargs: Any) -> Any:
            opened.append(path)
            return real(path, *args, **kwargs)

        return open_

    async def run_async() -> None:
        client = async_client("crun", "https://api.example", transport=httpx.MockTransport(network))
        async with client:
            await client.create_task(image_url=value, audio_url=URL)  # type: ignore[arg-type]

    with (  # every way a file is opened: the descriptor, and pathlib's and open()'s
        unittest.mock.patch.object(os, "open", watched(os.open)),
        unittest.mock.patch.object(io, "open", watched(io.open)),
    ):
        try:
            if mode == "sync":
                with sync_client(
                    "crun", "https://api.example", transport=httpx.MockTransport(network)
                ) as client:
                    client.create_task(image_url=value, audio_url=URL)  # type: ignore[arg-type]
            else:
                asyncio.run(run_async())
        except InvalidRequestError as error:
            assert error.field == "image_url"
            assert not (isinstance(value, str) and is_http_url(value))
            assert sent == []
        else:
            assert isinstance(value, str) and is_http_url(value)
            assert len(sent) == 1  # the creation, with the URL as given
    assert opened == []


def test_a_file_open_in_text_mode_is_refused_with_the_reason(
    call: Call, provider: str, server: HostileServer
) -> None:
    binary = r"audio_url: .*binary mode \('rb'\)"
    with open(VOICE, encoding="latin-1") as text, pytest.raises(InvalidRequestError, match=binary):
        call(provider, server.url, "create_task", image_url=PORTRAIT, audio_url=text)
    assert server.requests == []


class _NoPath(os.PathLike[str]):
    def __fspath__(self) -> str:
        return 42  # type: ignore[return-value]


_paths = (
    st.text(max_size=30).map(Path)
    | st.sampled_from(["a\0b", "/dev/null", "/proc/self/status", "/", "."]).map(Path)
    | st.just(_NoPath())
)


@pytest.mark.parametrize("mode", ["sync", "async"])
@settings(max_examples=100, deadline=None)
@given(path=_paths)
def test_any_path_is_read_or_refused_with_a_typed_error_before_any_request(
    mode: str, path: os.PathLike[str]
) -> None:
    sent: list[httpx.Request] = []

    def network(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500, json={"code": 500, "msg": "no"})

    async def run_async() -> None:
        client = async_client("crun", "https://api.example", transport=httpx.MockTransport(network))
        async with client:
            await client.create_task(image_url=path, audio_url=URL)

    with pytest.raises(AvatarError) as caught:  # no file here is an image; else the 500
        if mode == "sync":
            with sync_client(
                "crun", "https://api.example", transport=httpx.MockTransport(network)
            ) as client:
                client.create_task(image_url=path, audio_url=URL)
        else:
            asyncio.run(run_async())
    if isinstance(caught.value, InvalidRequestError):
        assert caught.value.field == "image_url" and sent == []


class _ReadTakesNoSize:
    def read(self) -> bytes:
        return PORTRAIT.read_bytes()


def test_an_unusable_open_file_is_a_typed_refusal(
    call: Call, provider: str, server: HostileServer
) -> None:
    closed = open(PORTRAIT, "rb")  # noqa: SIM115 - closed at once: that is the case
    closed.close()
    for source in (closed, _ReadTakesNoSize()):
        with pytest.raises(InvalidRequestError, match="image_url: cannot read the file"):
            call(provider, server.url, "create_task", image_url=source, audio_url=URL)
    assert server.requests == []
