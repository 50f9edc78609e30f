"""`download` against a provider whose ids, URLs and video server are hostile."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from pathlib import Path

import pytest
from kling_avatar import DownloadError, Task, TaskState

from .conftest import Call
from .provider import KEY, async_client
from .server import HostileServer, Request, Script, drip, head

VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"v" * 2000
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(mp4|mov|webm|m4v|mkv)$")


def video(request: Request) -> Script:
    return [head(200, {"Content-Type": "video/mp4"}, len(VIDEO)) + VIDEO]


def done(url: str, task_id: str = "t1", provider: str = "crun") -> Task:
    return Task(id=task_id, provider=provider, state=TaskState.SUCCEEDED, video_urls=[url])  # type: ignore[arg-type]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink())


HOSTILE_IDS = ["../../x", "/etc/cron.d/x", "a/../../b", "x\x00y", "\x1b[31mred\x1b[0m", "..", ""]


@pytest.mark.parametrize("task_id", HOSTILE_IDS, ids=repr)
def test_a_hostile_id_lands_inside_the_folder_with_a_safe_name(
    call: Call, provider: str, tmp_path: Path, task_id: str
) -> None:
    folder = tmp_path / "deep" / "videos"
    with HostileServer(video) as server:
        saved = call(
            provider, server.url, "download", done(f"{server.url}/v.pth", task_id), f"{folder}/"
        )
    assert saved.parent == folder.resolve()
    assert SAFE_NAME.match(saved.name), saved.name
    assert saved.suffix == ".mp4"  # `.pth` is not a video suffix: site-packages would run it
    assert files_under(tmp_path) == [saved] and saved.read_bytes() == VIDEO


@pytest.mark.parametrize(
    ("path", "suffix"),
    [("/v.webm", ".webm"), ("/v.MOV", ".mov"), ("/v", ".mp4"), ("/v.sh", ".mp4")],
)
def test_the_suffix_comes_from_a_short_list(
    call: Call, tmp_path: Path, path: str, suffix: str
) -> None:
    with HostileServer(video) as server:
        saved = call("crun", server.url, "download", done(server.url + path), tmp_path)
    assert saved == tmp_path.resolve() / f"t1{suffix}"


def test_an_existing_file_is_kept_unless_overwrite(call: Call, tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    target.write_bytes(b"precious")
    with HostileServer(video) as server:
        task = done(f"{server.url}/v.mp4")
        with pytest.raises(DownloadError, match="exists"):
            call("crun", server.url, "download", task, target)
        assert target.read_bytes() == b"precious"
        with pytest.raises(DownloadError, match="exists"):  # the folder form names it too
            call("crun", server.url, "download", done(f"{server.url}/v.mp4", "out"), tmp_path)
        assert call("crun", server.url, "download", task, target, overwrite=True) == target
    assert target.read_bytes() == VIDEO and files_under(tmp_path) == [target]


def test_planted_symlinks_are_never_written_through(call: Call, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    folder = tmp_path / "videos"
    folder.mkdir()
    target = folder / "out.mp4"
    for name in ("out.mp4.part", ".out.mp4.part", "t1.mp4.part"):
        (folder / name).symlink_to(victim)
    target.symlink_to(victim)
    with HostileServer(video) as server:
        task = done(f"{server.url}/v.mp4")
        with pytest.raises(DownloadError, match="exists"):
            call("crun", server.url, "download", task, target)
        assert call("crun", server.url, "download", task, target, overwrite=True) == target
        call("crun", server.url, "download", task, folder)  # t1.mp4, beside a planted t1.mp4.part
    assert victim.read_bytes() == b"keep me"
    assert not target.is_symlink() and target.read_bytes() == VIDEO
    assert (folder / "t1.mp4").read_bytes() == VIDEO


@pytest.mark.parametrize(
    ("script", "max_bytes"),
    [
        pytest.param([head(200, {}, 5000) + b"v" * 2500], 10_000, id="cut-short"),
        pytest.param([head(200, {}, 5000) + b"v" * 5000], 4000, id="over-max-bytes-stated"),
        pytest.param([head(200, {}) + b"v" * 5000], 4000, id="over-max-bytes-unstated"),
        pytest.param([head(200, {"Content-Encoding": "gzip"}, 9) + b"v" * 9], 10_000, id="encoded"),
        pytest.param([head(404, {}, 0)], 10_000, id="http-404"),
    ],
)
def test_a_bad_video_answer_leaves_nothing_behind(
    call: Call, tmp_path: Path, script: Script, max_bytes: int
) -> None:
    with HostileServer(lambda r: script) as server, pytest.raises(DownloadError):
        task = done(f"{server.url}/v.mp4")
        call("crun", server.url, "download", task, tmp_path, max_bytes=max_bytes)
    assert files_under(tmp_path) == []


def test_a_dripping_video_server_cannot_stretch_a_download(call: Call, tmp_path: Path) -> None:
    # A byte every 0.2 s, against a timeout of three gaps: only the whole-download deadline ends it.
    with HostileServer(lambda r: drip(head(200, {}, 400) + b"v" * 400, 0.2)) as server:
        started = time.monotonic()
        with pytest.raises(DownloadError, match=r"within 0\.6s"):
            call("crun", server.url, "download", done(f"{server.url}/v.mp4"), tmp_path, timeout=0.6)
        assert time.monotonic() - started < 8
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "http://169.254.169.254/v.mp4", "data:,x"],
)
def test_only_an_http_video_url_is_fetched(call: Call, tmp_path: Path, url: str) -> None:
    with HostileServer(video) as server:
        with pytest.raises(DownloadError):
            call("crun", server.url, "download", done(url), tmp_path)
        assert server.requests == []


@pytest.mark.parametrize(
    "location", ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "ftp://x/v"]
)
def test_each_redirect_is_checked(call: Call, tmp_path: Path, location: str) -> None:
    def route(request: Request) -> Script:
        if request.path == "/good":
            return video(request)
        return [head(302, {"Location": location if request.path == "/evil" else "/good"}, 0)]

    with HostileServer(route) as server:
        with pytest.raises(DownloadError, match="redirect"):
            call("crun", server.url, "download", done(f"{server.url}/evil"), tmp_path)
        saved = call("crun", server.url, "download", done(f"{server.url}/fine"), tmp_path)
    assert saved.read_bytes() == VIDEO and files_under(tmp_path) == [saved]


def test_the_key_does_not_travel_to_the_video_server(
    call: Call, provider: str, tmp_path: Path
) -> None:
    with HostileServer(video) as server:
        call(provider, server.url, "download", done(f"{server.url}/v.mp4"), tmp_path)
    (request,) = server.requests
    assert KEY not in str(request.headers)
    assert not {"authorization", "x-api-key"} & set(request.headers)


def test_the_temporary_file_is_new_and_in_the_target_folder(
    call: Call, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[tuple[str, int]] = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777) -> int:
        opened.append((os.fspath(path), flags))
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", spy)
    with HostileServer(video) as server:
        call("crun", server.url, "download", done(f"{server.url}/v.mp4"), tmp_path)
    ((path, flags),) = [(p, f) for p, f in opened if p.endswith(".part")]
    assert Path(path).parent == tmp_path.resolve()
    assert flags & os.O_EXCL and flags & os.O_CREAT and flags & os.O_NOFOLLOW


class SlowDisk:
    """An fsync that holds until `release`: the flush of a video on a disk that takes its time,
    for as long as the test needs; `flushing` is set once one has begun."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.flushing, self.released = threading.Event(), threading.Event()
        self.held: list[bool] = []  # per fsync: whether it was released (not left to time out)
        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            self.flushing.set()
            self.held.append(self.released.wait(5))
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    def release(self) -> None:
        self.released.set()


def test_an_async_download_does_not_stall_the_event_loop_on_a_slow_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = SlowDisk(monkeypatch)

    async def run(url: str) -> tuple[Path, float]:
        gaps: list[float] = []

        async def ticker() -> None:
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last)
                last = now
                if disk.flushing.is_set():
                    disk.release()  # the loop ran while the disk flushed: it is free to end

        ticking = asyncio.create_task(ticker())
        async with async_client("crun", url) as client:
            saved = await client.download(done(f"{url}/v.mp4"), tmp_path)
        ticking.cancel()
        return saved, max(gaps)

    with HostileServer(video) as server:
        saved, longest_gap = asyncio.run(run(server.url))
    assert saved.read_bytes() == VIDEO
    # A flush in the loop would have held it until the fsync gave up waiting, 5 s on.
    assert disk.held and all(disk.held)
    assert longest_gap < 0.3  # the flush ran beside the loop, not in it


def test_a_download_cancelled_while_it_flushes_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = SlowDisk(monkeypatch)

    async def run(url: str) -> None:
        async with async_client("crun", url) as client:
            job = asyncio.create_task(client.download(done(f"{url}/v.mp4"), tmp_path))
            assert await asyncio.to_thread(disk.flushing.wait, 5)  # the body is in
            job.cancel()
            # The cancelled download waits for the flush: a cleanup now would race it.
            finished, _ = await asyncio.wait({job}, timeout=0.05)
            assert not finished
            disk.release()
            with pytest.raises(asyncio.CancelledError):
                await job

    with HostileServer(video) as server:
        asyncio.run(run(server.url))
    # The flush finished before the cleanup ran: the video is whole, or not there at all.
    left = files_under(tmp_path)
    assert [p.name for p in left if p.name.endswith(".part")] == []
    assert all(p.read_bytes() == VIDEO for p in left)
