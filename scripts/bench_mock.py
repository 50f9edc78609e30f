"""Throughput of the mock server next to a bare Starlette/uvicorn JSON endpoint, same run.

Each server runs in its own process (as `make mock` does), the load comes from this one: a
bounded number of concurrent requests through one httpx.AsyncClient, for a bounded count and
time. Prints requests per second for status reads and task creation, and mock/bare ratios
(the target is >= 0.5: the mock must not be what slows a test suite down).

    python scripts/bench_mock.py [--requests 2000] [--concurrency 32] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
            Route("/api/v1/client/job/TaskInfo", status),
            Route("/api/v1/client/job/CreateTask", create, methods=["POST"]),
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


async def _load(
    base_url: str,
    make_request: Callable[[httpx.AsyncClient], Any],
    requests: int,
    concurrency: int,
    seconds: float,
) -> tuple[float, int]:
    """Requests per second (and how many were made), bounded by count and time."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, headers={"x-api-key": CRUN_KEY}, timeout=30.0
    ) as client:
        for _ in range(concurrency):  # warm up the connections and the server
            (await make_request(client)).raise_for_status()
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while done < requests and time.perf_counter() < deadline:
                done += 1
                response = await make_request(client)
                if response.status_code != 200 or response.json()["code"] != 200:
                    raise RuntimeError(f"unexpected answer: {response.text[:200]}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - start), done


async def _task_id(base_url: str) -> str:
    async with httpx.AsyncClient(base_url=base_url, headers={"x-api-key": CRUN_KEY}) as client:
        response = await client.post("/api/v1/client/job/CreateTask", json=CREATE_BODY)
        task_id: str = response.json()["data"]["task_id"]
        return task_id


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux), to show what each request costs the server."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    """Rounds that alternate bare and mock, so both see the same machine load."""
    found: dict[str, dict[str, list[float]]] = {
        kind: {"status": [], "create": [], "status_cpu": [], "create_cpu": []}
        for kind in ("bare", "mock")
    }
    with _serving("bare") as bare, _serving("mock") as mock:
        servers = {"bare": bare, "mock": mock}
        task_ids = {kind: asyncio.run(_task_id(url)) for kind, (url, _) in servers.items()}
        for _ in range(args.rounds):
            for name in ("status", "create"):
                for kind, (base_url, pid) in servers.items():
                    task_id = task_ids[kind]

                    def request(
                        client: httpx.AsyncClient, name: str = name, task_id: str = task_id
                    ) -> Any:
                        if name == "status":
                            return client.get(
                                "/api/v1/client/job/TaskInfo", params={"task_id": task_id}
                            )
                        return client.post("/api/v1/client/job/CreateTask", json=CREATE_BODY)

                    cpu = _cpu_seconds(pid)
                    rate, count = asyncio.run(
                        _load(base_url, request, args.requests, args.concurrency, args.seconds)
                    )
                    found[kind][name].append(rate)
                    found[kind][f"{name}_cpu"].append((_cpu_seconds(pid) - cpu) / count * 1e6)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per measurement (bound)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement (bound)")
    parser.add_argument("--rounds", type=int, default=3)
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

    found = _measure(args)
    print(
        f"mock server vs bare Starlette/uvicorn, each in its own process; {args.concurrency} "
        f"concurrent requests from one httpx.AsyncClient, <= {args.requests} requests or "
        f"{args.seconds:g} s per measurement, median of {args.rounds} alternating rounds"
    )
    print(
        f"{'':8} {'bare req/s':>11} {'mock req/s':>11} {'ratio':>6}"
        f"   {'CPU us/req bare':>15} {'mock':>6} {'ratio':>6}"
    )
    ratios = {}
    for name in ("status", "create"):
        bare, mock = (statistics.median(found[kind][name]) for kind in ("bare", "mock"))
        bare_cpu, mock_cpu = (
            statistics.median(found[kind][f"{name}_cpu"]) for kind in ("bare", "mock")
        )
        ratios[name] = mock / bare
        row = f"{name:8} {bare:11.0f} {mock:11.0f} {ratios[name]:6.2f}"
        print(f"{row}   {bare_cpu:15.0f} {mock_cpu:6.0f} {bare_cpu / mock_cpu:6.2f}")
    verdict = "ok" if min(ratios.values()) >= 0.5 else "BELOW TARGET"
    print(f"target: throughput ratio >= 0.5 -> {verdict}")
    # The throughput ratio approaches the CPU ratio when the load generator is not the slower
    # side: the CPU ratio is the share of the bare endpoint's capacity the mock keeps.
    print("CPU ratio = bare / mock server CPU per request (the mock's share of bare capacity)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
