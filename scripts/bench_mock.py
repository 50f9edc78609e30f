"""Throughput of the mock server next to a bare Starlette/uvicorn JSON endpoint, same run.

Each server runs in its own process (as `make mock` does), one uvicorn worker each. The load
comes from `wrk` when it is installed, else from a lean asyncio socket client in this process
(pre-built requests, keep-alive, no HTTP library). The bare endpoint's throughput under both
generators is printed side by side, so a reader can see the generator is not what sets the
pace; so is the server's CPU per request and how busy it was (near 100 %: the server is the
limit). Status reads (TaskInfo) and creations (CreateTask) at each concurrency; every answer
is checked to be HTTP 200 with envelope code 200.

Goal: the mock keeps at least half of the bare endpoint's throughput (ratio >= 0.5) at every
concurrency, for both operations, with its spec validation on. `--check` exits 1 below it.

    python scripts/bench_mock.py [--seconds 3] [--rounds 5] [--concurrency 1,16,64] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CRUN_KEY = "ak_bench_key_0123456789abcdef0123"
CREATE_BODY = {
    "model": "kling/avatar",
    "input": {
        "mode": "pro",
        "image_url": "https://example.com/face.png",
        "audio_url": "https://example.com/voice.mp3",
        "prompt": "smile",
    },
}
STATUS_PATH = "/api/v1/client/job/TaskInfo"
CREATE_PATH = "/api/v1/client/job/CreateTask"
GOAL = 0.5
OPERATIONS = ("status", "create")


def _bare_app() -> Any:
    """The baseline: the same two endpoints, no validation, no state, no auth."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def status(request: Request) -> JSONResponse:
        task_id = request.query_params.get("task_id", "")
        return JSONResponse(
            {"code": 200, "message": "success", "data": {"task_id": task_id, "status": "success"}}
        )

    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(
            {"code": 200, "message": "success", "data": {"task_id": str(len(body))}}
        )

    return Starlette(
        routes=[
            Route(STATUS_PATH, status),
            Route(CREATE_PATH, create, methods=["POST"]),
        ]
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _serving(kind: str) -> Iterator[tuple[str, int]]:
    port = _free_port()
    if kind == "mock":
        command = [
            sys.executable,
            "-m",
            "kling_avatar.testing",
            "--port",
            str(port),
            "--step",
            "0",
            "--credits",
            "1e12",
            "--quiet",
        ]
    else:
        command = [sys.executable, __file__, "--serve-bare", str(port)]
    env = {**os.environ, "CRUN_API_KEY": CRUN_KEY}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base_url + "/", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the {kind} server did not start") from None
                time.sleep(0.05)
        yield base_url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the requests ------------------------------------------------------------------------


def _request_bytes(operation: str, port: int, task_id: str) -> bytes:
    if operation == "status":
        head = f"GET {STATUS_PATH}?task_id={task_id} HTTP/1.1\r\n"
        body = b""
    else:
        head = f"POST {CREATE_PATH} HTTP/1.1\r\n"
        body = json.dumps(CREATE_BODY, separators=(",", ":")).encode()
    headers = f"Host: 127.0.0.1:{port}\r\nx-api-key: {CRUN_KEY}\r\n"
    if body:
        headers += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + headers + "\r\n").encode() + body


def _check_answer(base_url: str, operation: str, task_id: str) -> None:
    headers = {"x-api-key": CRUN_KEY}
    if operation == "status":
        answer = httpx.get(base_url + STATUS_PATH, params={"task_id": task_id}, headers=headers)
    else:
        answer = httpx.post(base_url + CREATE_PATH, json=CREATE_BODY, headers=headers)
    if answer.status_code != 200 or answer.json()["code"] != 200:
        raise RuntimeError(f"unexpected answer: {answer.status_code} {answer.text[:200]}")


# -- generator 1: wrk --------------------------------------------------------------------

_WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 or string.sub(body, 1, 11) ~= '{"code":200' then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("BAD %d\\n", total))
end
"""


def _wrk(
    wrk: str, base_url: str, operation: str, task_id: str, concurrency: int, seconds: float
) -> int:
    """How many requests wrk completed in `seconds` (every answer checked by its Lua)."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.lua"
        lua = _WRK_SCRIPT
        if operation == "create":
            body = json.dumps(CREATE_BODY, separators=(",", ":"))
            lua = (
                f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n'
                'wrk.headers["Content-Type"] = "application/json"\n' + lua
            )
        script.write_text(lua)
        url = base_url + (
            f"{STATUS_PATH}?task_id={task_id}" if operation == "status" else CREATE_PATH
        )
        done = subprocess.run(
            [
                wrk,
                "-t1",
                f"-c{concurrency}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-H",
                f"x-api-key: {CRUN_KEY}",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        )
    found = re.search(r"(\d+) requests in", done.stdout)
    bad = re.search(r"BAD (\d+)", done.stdout)
    errors = re.search(r"Socket errors: (.*)", done.stdout)
    if found is None or bad is None:
        raise RuntimeError(f"cannot read wrk's output:\n{done.stdout}{done.stderr}")
    if int(bad.group(1)) or errors:
        raise RuntimeError(f"wrk saw failed answers:\n{done.stdout}")
    return int(found.group(1))


# -- generator 2: lean asyncio sockets ---------------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending `request` again as soon as each answer is whole."""

    def __init__(self, run: _SocketRun) -> None:
        self.run = run
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        # asyncio's or uvloop's transport (uvloop's is not an asyncio.Transport subclass).
        self.transport = transport
        transport.write(self.run.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        match = _CONTENT_LENGTH.search(head)
        length = int(match.group(1)) if match else 0
        if len(self.buffer) < end + 4 + length:
            return
        body = self.buffer[end + 4 : end + 4 + length]
        if not (head.startswith(b"http/1.1 200") and body.startswith(b'{"code":200')):
            self.run.bad += 1
        self.buffer = self.buffer[end + 4 + length :]
        self.run.done += 1
        assert self.transport is not None
        if time.perf_counter() < self.run.deadline:
            self.transport.write(self.run.request)
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.run.open -= 1
        if self.run.open == 0 and not self.run.closed.done():
            self.run.closed.set_result(None)


_CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)")


class _SocketRun:
    def __init__(self, request: bytes, deadline: float, connections: int) -> None:
        self.request = request
        self.deadline = deadline
        self.done = 0
        self.bad = 0
        self.open = connections
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()


async def _socket_load(port: int, request: bytes, concurrency: int, seconds: float) -> int:
    loop = asyncio.get_running_loop()
    run = _SocketRun(request, time.perf_counter() + seconds, concurrency)
    for _ in range(concurrency):
        await loop.create_connection(lambda: _Connection(run), "127.0.0.1", port)
    await asyncio.wait_for(run.closed, seconds + 30)
    if run.bad:
        raise RuntimeError(f"{run.bad} failed answers")
    return run.done


def _sockets(port: int, operation: str, task_id: str, concurrency: int, seconds: float) -> int:
    request = _request_bytes(operation, port, task_id)
    try:  # uvloop (uvicorn's own, when installed) halves the generator's cost per request
        import uvloop

        return uvloop.run(_socket_load(port, request, concurrency, seconds))
    except ImportError:
        return asyncio.run(_socket_load(port, request, concurrency, seconds))


# -- the measurement ---------------------------------------------------------------------


def _measure(args: argparse.Namespace, wrk: str | None) -> dict[tuple[str, ...], list[Any]]:
    """Rounds that alternate bare and mock, so both see the same machine load.

    Keys: (generator, kind, operation, concurrency) -> [(req/s, CPU us/req, busy share)].
    """
    found: dict[tuple[str, ...], list[Any]] = {}
    generators = ["wrk", "sockets"] if wrk else ["sockets"]
    with _serving("bare") as bare, _serving("mock") as mock:
        servers = {"bare": bare, "mock": mock}
        task_ids = {}
        for kind, (url, _) in servers.items():
            answer = httpx.post(
                url + CREATE_PATH, json=CREATE_BODY, headers={"x-api-key": CRUN_KEY}
            )
            task_ids[kind] = answer.json()["data"]["task_id"]
        for _ in range(args.rounds):
            for operation in OPERATIONS:
                for concurrency in args.concurrency:
                    for generator in generators:
                        # The socket generator is the cross-check; it runs on bare only.
                        kinds = ("bare", "mock") if generator == generators[0] else ("bare",)
                        for kind in kinds:
                            base_url, pid = servers[kind]
                            port = int(base_url.rsplit(":", 1)[1])
                            _check_answer(base_url, operation, task_ids[kind])
                            cpu, start = _cpu_seconds(pid), time.perf_counter()
                            if generator == "wrk":
                                assert wrk is not None
                                count = _wrk(
                                    wrk,
                                    base_url,
                                    operation,
                                    task_ids[kind],
                                    concurrency,
                                    args.seconds,
                                )
                            else:
                                count = _sockets(
                                    port, operation, task_ids[kind], concurrency, args.seconds
                                )
                            wall = time.perf_counter() - start
                            used = _cpu_seconds(pid) - cpu
                            key = (generator, kind, operation, str(concurrency))
                            found.setdefault(key, []).append(
                                (count / args.seconds, used / count * 1e6, used / wall)
                            )
    return found


def _median(rows: list[Any], column: int) -> float:
    return float(statistics.median(row[column] for row in rows))


def _paired(top: list[Any], bottom: list[Any], column: int = 0) -> float:
    """The median of per-round ratios: both sides of a round ran back to back, so they saw
    the same machine load; whole-run medians would mix different rounds' load."""
    return float(statistics.median(t[column] / b[column] for t, b in zip(top, bottom, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated")
    parser.add_argument("--no-wrk", action="store_true", help="use the socket generator only")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when a ratio is < {GOAL}")
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        import uvicorn

        uvicorn.run(
            _bare_app(),
            host="127.0.0.1",
            port=args.serve_bare,
            log_level="warning",
            access_log=False,
        )
        return 0
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    wrk = None if args.no_wrk else shutil.which("wrk")
    found = _measure(args, wrk)
    generator = "wrk" if wrk else "sockets"
    print(
        f"mock server vs bare Starlette/uvicorn, each its own process with one worker; load "
        f"from {'wrk -t1' if wrk else 'the asyncio socket generator'}, {args.seconds:g} s per "
        f"measurement, {args.rounds} rounds alternating bare and mock; ratios are medians of "
        f"the rounds' own ratios; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    header = (
        f"{'operation':9} {'conc':>4} {'bare req/s':>10} {'mock req/s':>10} {'ratio':>5} "
        f"{'goal':>5}   {'CPU us/req bare':>15} {'mock':>5} {'ratio':>5}   "
        f"{'busy bare':>9} {'mock':>5}"
    )
    if wrk:
        header += f"   {'bare, sockets gen':>17}"
    print(header)
    below = []
    for operation in OPERATIONS:
        for concurrency in map(str, args.concurrency):
            bare = found[(generator, "bare", operation, concurrency)]
            mock = found[(generator, "mock", operation, concurrency)]
            ratio = _paired(mock, bare)
            cpu_ratio = _paired(bare, mock, 1)
            verdict = "ok" if ratio >= GOAL else "BELOW"
            if ratio < GOAL:
                below.append(f"{operation}@{concurrency}")
            row = (
                f"{operation:9} {concurrency:>4} {_median(bare, 0):10.0f} {_median(mock, 0):10.0f} "
                f"{ratio:5.2f} >={GOAL:<3} {verdict:5} {_median(bare, 1):10.0f} "
                f"{_median(mock, 1):5.0f} {cpu_ratio:5.2f}   {_median(bare, 2):8.0%} "
                f"{_median(mock, 2):5.0%}"
            )
            if wrk:
                other = found[("sockets", "bare", operation, concurrency)]
                share = _paired(other, bare)
                row += f"   {_median(other, 0):10.0f} ({share:.2f}x wrk)"
            print(row)
    print(
        f"goal: mock/bare throughput >= {GOAL} at every concurrency for both operations -> "
        + ("ok" if not below else f"BELOW GOAL at {', '.join(below)}")
    )
    print(
        "CPU ratio = bare / mock server CPU per request: the share of the bare endpoint's "
        "capacity the mock keeps, whatever else the machine runs"
    )
    print(
        "busy = server CPU seconds / wall seconds (one worker: ~100 % means the server, not the "
        "load generator, set the pace; far below on a machine others share)"
    )
    return 1 if args.check and below else 0


if __name__ == "__main__":
    raise SystemExit(main())
