"""Many concurrent `AsyncAvatarClient.generate()` through one client, next to raw httpx.

For each concurrency N, both sides make the same requests against the same mock (its own
process, tasks done at once): N task creations at once, then polls until each task has
succeeded, the first poll after the same pause. The raw side is what a user without the
overlay writes: one `httpx.AsyncClient`, a POST, a GET per poll, a `json.loads` each, and a
pool of one connection per concurrent request (with httpx's default pool, most of 1,000
requests end in PoolTimeout); the overlay runs with its defaults. Reported per side: wall
time, this process's CPU (user + system), and the mock's CPU, to show that the mock (the
other end, the same for both) is not what limits the run. Goals: every generation
succeeds; the overlay's CPU and wall time at most 1.5x raw httpx's. The sides alternate
which goes first.

    python scripts/bench_concurrency.py [--sizes 100,1000] [--rounds 2] [--check]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a file: make `scripts._bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kling_avatar import AsyncAvatarClient

from scripts._bench import KEY, Goals, mock_process, own_cpu, parser, process_cpu

PAUSE = 0.2  # before the first poll, and between polls, on both sides
WAIT_TIMEOUT = 300.0  # a bounded run: past this, a generation counts as failed


async def overlay_run(base_url: str, n: int) -> int:
    async with AsyncAvatarClient(
        "crun", api_key=KEY, base_url=base_url, poll_interval=PAUSE
    ) as client:

        async def one() -> bool:
            task = await client.generate(
                image_url=f"{base_url}/media/face.png",
                audio_url=f"{base_url}/media/voice.wav",
                timeout=WAIT_TIMEOUT,
            )
            return task.video_url is not None

        results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    return sum(r is True for r in results)


async def raw_run(base_url: str, n: int) -> int:
    body = {
        "model": "kling/avatar",
        "input": {
            "mode": "pro",
            "image_url": f"{base_url}/media/face.png",
            "audio_url": f"{base_url}/media/voice.wav",
            "prompt": "",
        },
    }
    deadline = time.monotonic() + WAIT_TIMEOUT
    # httpx's default pool (100 connections) fails most of 1,000 requests with PoolTimeout;
    # one connection per concurrent request (httpx's 20 kept alive: keeping more costs CPU)
    # is raw httpx at its best.
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(
        base_url=base_url, headers={"x-api-key": KEY}, timeout=60.0, limits=limits
    ) as http:

        async def one() -> bool:
            answer = await http.post("/api/v1/client/job/CreateTask", json=body)
            created = json.loads(answer.content)
            task_id = created["data"]["task_id"]
            while time.monotonic() < deadline:
                await asyncio.sleep(PAUSE)
                answer = await http.get("/api/v1/client/job/TaskInfo", params={"task_id": task_id})
                data = json.loads(answer.content)["data"]
                if data["status"] == "success":
                    return bool(data["result"]["media_urls"])
            return False

        results = await asyncio.gather(*(one() for _ in range(n)), return_exceptions=True)
    return sum(r is True for r in results)


def timed(
    run: Callable[[str, int], Coroutine[Any, Any, int]], base_url: str, pid: int, n: int
) -> tuple[int, float, float, float]:
    """Successes, wall seconds, this process's CPU seconds, the mock's CPU seconds."""
    wall, cpu, mock = time.perf_counter(), own_cpu(), process_cpu(pid)
    ok = asyncio.run(run(base_url, n))
    return (
        ok,
        time.perf_counter() - wall,
        own_cpu() - cpu,
        process_cpu(pid) - mock,
    )


def main() -> int:
    args_parser = parser(__doc__)
    args_parser.add_argument("--sizes", default="100,1000", help="concurrencies, comma-separated")
    args_parser.add_argument("--rounds", type=int, default=2, help="rounds per side and size")
    args = args_parser.parse_args()
    goals = Goals()
    sizes = [int(s) for s in args.sizes.split(",")]
    print("concurrent generate() through one AsyncAvatarClient vs raw httpx (mock, own process):")
    with mock_process(["--step", "0", "--credits", "1e9"]) as (base_url, pid):
        asyncio.run(raw_run(base_url, 10))  # warm both ends up
        asyncio.run(overlay_run(base_url, 10))
        for n in sizes:
            sides: dict[str, list[tuple[int, float, float, float]]] = {"overlay": [], "raw": []}
            for index in range(args.rounds):
                order = ["overlay", "raw"] if index % 2 == 0 else ["raw", "overlay"]
                for side in order:
                    run = overlay_run if side == "overlay" else raw_run
                    sides[side].append(timed(run, base_url, pid, n))
            for side, rows in sides.items():
                ok = min(r[0] for r in rows)
                wall = statistics.median(r[1] for r in rows)
                cpu = statistics.median(r[2] for r in rows)
                mock = statistics.median(r[3] for r in rows)
                print(
                    f"  N={n:<5} {side:<8} succeeded {ok}/{n}  wall {wall:7.2f} s  "
                    f"client CPU {cpu:7.2f} s  mock CPU {mock:7.2f} s"
                )
            o, r = sides["overlay"], sides["raw"]
            goals.at_least(f"N={n}: overlay generations succeeded", min(x[0] for x in o), n)
            cpu_ratio = statistics.median(a[2] / b[2] for a, b in zip(o, r, strict=True))
            wall_ratio = statistics.median(a[1] / b[1] for a, b in zip(o, r, strict=True))
            goals.at_most(f"N={n}: client CPU overlay/raw", cpu_ratio, 1.5)
            goals.at_most(f"N={n}: wall overlay/raw", wall_ratio, 1.5)
            # The other end must have room to spare, or the figures measure it, not the client.
            busy = max(x[3] / x[1] for x in o + r)
            goals.at_most(f"N={n}: mock's busiest share of one core", busy, 0.5)
    return goals.finish(args.check)


if __name__ == "__main__":
    sys.exit(main())
