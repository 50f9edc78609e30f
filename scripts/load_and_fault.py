"""The reference service on two processes behind one URL, under load, one process SIGKILLed.

A real redis-server, the mock (both providers; it calls back each finished task, retrying a
refused callback), two processes of examples/service/app.py sharing one SQLite file and Redis,
and a front (scripts/_front.py) that spreads requests and callbacks over them at random. The
callers make `--videos` videos over both providers, `--concurrency` at a time, each with
`POST /videos?wait=60` and an Idempotency-Key, asking again (same key) after any failure. Once
the provider has taken half of the creations, process 0 is killed with SIGKILL and started
again a second later.

Then, from the service's records and the mock's tasks: videos; lost (not `succeeded` in the
records); duplicates (handed on by the receiver more than once); never handed on (finished by a
waiter's fallback poll only); created twice (more than one task for one video); paid but unknown
(a task with no record); status reads per video (the wait's first read and the receiver's
confirmation make 2); and the wake latency: from a callback reaching the front to the waiting
request's answer leaving it, median and p99, for callbacks that landed on the waiter's process
and on the other one (woken through the bus). A second, smaller run without Redis (no bus; each
process its own seen-set) gives polling's figures: a waiter whose callback went to the other
process learns of it by its fallback poll (SERVICE_FALLBACK_POLL, 30 s by default).

    python scripts/load_and_fault.py [--videos 200] [--polling-videos 40] [--concurrency 40]
                                     [--step 0.5] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

if __package__ in (None, ""):  # run as a file: make `scripts.*` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kling_avatar._serving import serve
from kling_avatar.testing import MockServer

from scripts._front import Front
from scripts._redis import free_port, redis_server

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples" / "service" / "app.py"
PROVIDERS = ("crun", "apikley")
FINAL = ("succeeded", "failed")
WEBHOOK_KEY = "whsec-load-and-fault"
WAIT = 60.0  # seconds each request asks to wait: more than one fallback poll
ATTEMPTS = 40  # requests per video at most (the first, then retries and further waits)
RETRY_PAUSE = 0.2
START_TIMEOUT = 60.0


@attrs.frozen
class Outcome:
    index: int
    video_id: str | None
    state: str | None
    requests: int


@attrs.frozen
class Figures:
    videos: int
    lost: int
    duplicates: int
    never_handed_on: int
    created_twice: int
    paid_unknown: int
    status_reads: float
    requests: int  # the callers' requests that reached a process (answered or not)
    callbacks: int  # callback deliveries that reached a process (answered or not)
    retries: int
    wake_other: tuple[float, ...]  # callback on the other process: woken through the bus
    wake_same: tuple[float, ...]  # callback on the waiter's own process
    killed: bool
    seconds: float
    callbacks_left: bool  # the mock was still retrying a callback when the run ended


class Backend:
    """One process of the service on a port of its own, started again on the same port."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._env = env
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(APP), "--port", str(self.port)],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the service on {self.url} did not start; see {self._log}")
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@contextmanager
def services(
    folder: Path, mock: MockServer, redis_url: str | None, front_url: str, ports: list[int]
) -> Iterator[list[Backend]]:
    env = {
        **os.environ,
        "CRUN_API_KEY": mock.crun_key,
        "APIKLEY_API_KEY": mock.apikley_key,
        "CRUN_BASE_URL": mock.base_url,
        "APIKLEY_BASE_URL": mock.base_url,
        "APIKLEY_WEBHOOK_KEY": WEBHOOK_KEY,
        "SERVICE_PUBLIC_URL": front_url,
        "DATABASE_URL": f"sqlite:///{folder / 'videos.sqlite3'}",
    }
    env.pop("SERVICE_CALLBACK_SECRET", None)  # drawn once, kept in the database
    env.pop("REDIS_URL", None)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    backends = [Backend(port, env, folder / f"service-{i}.log") for i, port in enumerate(ports)]
    try:
        backends[0].start()  # the first one makes the database (and its secret)
        for backend in backends[1:]:
            backend.start()
        yield backends
    finally:
        for backend in backends:
            backend.stop()


async def load(
    front_url: str,
    mock: MockServer,
    videos: int,
    concurrency: int,
    kill: Backend | None,
    deadline: float,
) -> tuple[list[Outcome], int]:
    """Every video asked for, at most `concurrency` at a time; (outcomes, retries)."""
    slots = asyncio.Semaphore(concurrency)
    retries = 0
    media = {
        "image_url": f"{mock.base_url}/media/portrait.png",
        "audio_url": f"{mock.base_url}/media/voice.mp3",
    }

    async def one(http: httpx.AsyncClient, index: int) -> Outcome:
        nonlocal retries
        async with slots:
            body = {"provider": PROVIDERS[index % 2], **media}
            headers = {"Idempotency-Key": f"video-{index}"}
            video_id: str | None = None
            state: str | None = None
            for attempt in range(1, ATTEMPTS + 1):
                if time.monotonic() > deadline:
                    break
                try:
                    if video_id is None:
                        answer = await http.post(
                            f"{front_url}/videos",
                            params={"wait": WAIT},
                            json=body,
                            headers=headers,
                        )
                    else:
                        answer = await http.get(
                            f"{front_url}/videos/{video_id}", params={"wait": WAIT}
                        )
                except httpx.HTTPError:
                    answer = None
                if answer is not None and answer.status_code in (200, 201):
                    video = answer.json()
                    video_id, state = video["id"], video["state"]
                    if state in FINAL:
                        return Outcome(index, video_id, state, attempt)
                    continue  # not finished within the wait: wait again
                retries += 1  # a process died under it, or the creation's answer was lost
                await asyncio.sleep(RETRY_PAUSE)
            return Outcome(index, video_id, state, ATTEMPTS)

    async def killer() -> None:
        assert kill is not None
        # Mid-run: once the provider has taken half the creations (waits, creations and
        # callbacks are then under way in both processes).
        for _ in range(int(max(0.0, deadline - time.monotonic()) / 0.01)):
            if mock.calls("createTask") + mock.calls("kling-ai-avatar-v1-pro") >= videos // 2:
                break
            await asyncio.sleep(0.01)
        kill.kill()
        await asyncio.sleep(1.0)
        await asyncio.to_thread(kill.start)

    async with httpx.AsyncClient(timeout=WAIT + 30) as http:
        runs = [one(http, index) for index in range(videos)]
        killing = [killer()] if kill is not None else []
        *outcomes, _ = await asyncio.gather(*runs, *killing, asyncio.sleep(0))
    return [o for o in outcomes if isinstance(o, Outcome)], retries


def run(
    *,
    videos: int,
    concurrency: int,
    step: float,
    bus: bool,
    kill: bool,
    folder: Path,
    time_limit: float = 600.0,
) -> Figures:
    """One run in `folder` (its database, Redis, logs); every loop bounded by `time_limit`."""
    started = time.monotonic()
    deadline = started + time_limit
    folder.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        mock = stack.enter_context(
            MockServer(
                step=step,
                seed=25,
                credits=1e6,
                webhook_key=WEBHOOK_KEY,
                callback_attempts=12,
                callback_backoff=0.2,
            )
        )
        redis_url = stack.enter_context(redis_server(folder / "redis"))[0] if bus else None
        ports = [free_port(), free_port()]
        front = Front([f"http://127.0.0.1:{port}" for port in ports])
        front_url = stack.enter_context(serve(front, lifespan="on"))
        backends = stack.enter_context(services(folder, mock, redis_url, front_url, ports))
        outcomes, retries = asyncio.run(
            load(front_url, mock, videos, concurrency, backends[0] if kill else None, deadline)
        )
        try:  # callbacks still being retried (a 503 while a task was being handed on)
            mock.wait_idle(timeout=max(1.0, min(60.0, deadline - time.monotonic())))
            callbacks_left = False
        except TimeoutError:
            callbacks_left = True
        reads = mock.calls("getTaskInfo") + mock.calls("getTaskDetails")
        tasks = list(mock.state.tasks.values())
    with sqlite3.connect(folder / "videos.sqlite3") as db:
        rows = db.execute("SELECT request_key, nonce, state, handed_on FROM videos").fetchall()
    by_key = {key: (nonce, state, handed_on) for key, nonce, state, handed_on in rows}
    nonces = {nonce for nonce, _, _ in by_key.values()}
    per_nonce = Counter(_nonce(task.callback_url) for task in tasks)
    lost = sum(
        1
        for index in range(videos)
        if by_key.get(f"video-{index}", ("", "", 0))[1] != "succeeded"
        or all(o.index != index or o.state != "succeeded" for o in outcomes)
    )
    other, same = _wake_latencies(front)
    return Figures(
        videos=videos,
        lost=lost,
        duplicates=sum(1 for _, _, handed_on in by_key.values() if handed_on > 1),
        never_handed_on=sum(1 for _, state, handed in by_key.values() if handed == 0),
        created_twice=sum(1 for count in per_nonce.values() if count > 1),
        paid_unknown=sum(count for nonce, count in per_nonce.items() if nonce not in nonces),
        status_reads=reads / videos,
        requests=front.forwarded["videos"],
        callbacks=front.forwarded["callbacks"],
        retries=retries,
        wake_other=tuple(other),
        wake_same=tuple(same),
        killed=kill,
        seconds=time.monotonic() - started,
        callbacks_left=callbacks_left,
    )


def _nonce(url: str | None) -> str:
    return urlsplit(url or "").path.rsplit("/", 1)[-1].partition(".")[0]


def _wake_latencies(front: Front) -> tuple[list[float], list[float]]:
    """From each task's first accepted callback reaching the front to the first final answer
    to a request that was already waiting then: (callback on another process, on the same)."""
    arrived: dict[str, tuple[float, int]] = {}
    for callback in sorted(front.callbacks, key=lambda c: c.received):
        if callback.status == 200:
            arrived.setdefault(callback.task_id, (callback.received, callback.backend))
    other: list[float] = []
    same: list[float] = []
    seen: set[str] = set()
    for answer in sorted(front.answers, key=lambda a: a.answered):
        task_id = answer.body.get("task_id")
        if not isinstance(task_id, str) or answer.body.get("state") not in FINAL:
            continue
        if task_id in seen or task_id not in arrived:
            continue
        seen.add(task_id)
        received, backend = arrived[task_id]
        if answer.received < received < answer.answered:  # it was waiting when it came
            (same if backend == answer.backend else other).append(answer.answered - received)
    return other, same


def _quantiles(values: tuple[float, ...]) -> str:
    if not values:
        return "no sample"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (
        f"median {statistics.median(ordered) * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms"
        f"   (n={len(ordered)})"
    )


def report(figures: Figures, title: str) -> None:
    print(title)
    rows: list[tuple[str, Any]] = [
        ("videos", figures.videos),
        ("lost", figures.lost),
        ("duplicates (handed on more than once)", figures.duplicates),
        ("created twice", figures.created_twice),
        ("paid but unknown (a task with no record)", figures.paid_unknown),
        ("never handed on (finished by a waiter's poll)", figures.never_handed_on),
        ("status reads per video", f"{figures.status_reads:.2f}"),
        ("requests asked again (same key)", figures.retries),
        ("wake: callback on the other process", _quantiles(figures.wake_other)),
        ("wake: callback on the waiter's process", _quantiles(figures.wake_same)),
        ("seconds", f"{figures.seconds:.1f}"),
    ]
    if figures.callbacks_left:
        rows.append(("callbacks still being retried at the end", "yes"))
    for label, value in rows:
        print(f"  {label:<48} {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=200)
    parser.add_argument("--polling-videos", type=int, default=40, help="0: no polling run")
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--step", type=float, default=0.5, help="the mock's seconds per state")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 unless nothing was lost, doubled or unknown"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="load-and-fault-") as tmp:
        with_bus = run(
            videos=args.videos,
            concurrency=args.concurrency,
            step=args.step,
            bus=True,
            kill=True,
            folder=Path(tmp) / "bus",
        )
        report(
            with_bus,
            f"with Redis and the wake bus: {args.videos} videos over both providers, 2 service"
            " processes behind one URL, process 0 SIGKILLed once the provider had taken half"
            " the creations, and started again 1 s later",
        )
        if args.polling_videos > 0:
            polling = run(
                videos=args.polling_videos,
                concurrency=args.concurrency,
                step=args.step,
                bus=False,
                kill=False,
                folder=Path(tmp) / "polling",
            )
            report(
                polling,
                f"without Redis (no bus: a waiter learns of a callback on the other process by"
                f" its fallback poll): {args.polling_videos} videos, nothing killed",
            )
    bad = with_bus.lost + with_bus.duplicates + with_bus.created_twice + with_bus.paid_unknown
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
