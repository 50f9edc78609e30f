"""A burst of generations against the mock's enforced rate limit: 429s reaching the caller.

The mock enforces Apikley's documented limit (kie.ai: 20 creations per 10 s per account,
rejected requests not queued; `MockServer(rate_limits=...)`). A burst of `--burst` generations
goes to one account through `AsyncAvatarRouter(["apikley"])`, side by side in one run:

- ``no limiter``: the router's limiter switched off; what the provider's limit does to a burst.
- ``memory``: the default in-memory limiter, one process.
- ``memory x2``: two processes, each with its own in-memory limiter: why a shared one is needed.
- ``redis x2``: two processes sharing `RedisRateLimitStore` on a real redis-server (127.0.0.1).

Goal: 0 answers of 429 reaching the caller with the limiter (memory, redis x2), every
generation finished, in about the time the limit allows (the ideal is (ceil(burst/limit) - 1)
windows). Each scenario gets a fresh mock, so no window carries over.

    python scripts/bench_router.py [--burst 100] [--limit 20/10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kling_avatar import (
    AsyncAvatarRouter,
    NoProviderError,
    RateLimit,
    RateLimitError,
    RedisRateLimitStore,
)
from kling_avatar.testing import DEFAULT_APIKLEY_KEY, MockServer

CREATE = "kling-ai-avatar-v1-pro"


def _rate_limited(error: BaseException) -> bool:
    if isinstance(error, RateLimitError):
        return True
    if isinstance(error, NoProviderError):
        return any(isinstance(event.error, RateLimitError) for event in error.skipped)
    return False


async def _burst(
    base_url: str, count: int, limit: RateLimit | None, redis_url: str | None
) -> dict[str, Any]:
    """`count` concurrent generations at apikley; what came back."""
    store = RedisRateLimitStore(redis_url) if redis_url else None
    router = AsyncAvatarRouter(
        ["apikley"],
        api_keys={"apikley": os.environ.get("APIKLEY_API_KEY", DEFAULT_APIKLEY_KEY)},
        base_urls={"apikley": base_url},
        rate_limits={"apikley": limit},
        rate_limit_store=store,
        poll_interval=0.05,
        retry_delay=0.05,
        timeout=30.0,
    )
    image, audio = f"{base_url}/media/portrait.png", f"{base_url}/media/voice.wav"
    started = time.time()
    try:
        results = await asyncio.gather(
            *(
                router.generate(image_url=image, audio_url=audio, timeout=300.0)
                for _ in range(count)
            ),
            return_exceptions=True,
        )
    finally:
        await router.close()
        if store is not None:
            await store.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    return {
        "span": (started, time.time()),
        "ok": count - len(errors),
        "429": sum(_rate_limited(e) for e in errors),
        "other": sorted({f"{type(e).__name__}: {e}"[:120] for e in errors if not _rate_limited(e)}),
    }


def _worker(args: argparse.Namespace) -> None:
    limit = RateLimit(*args.limit) if args.limit else None
    print(json.dumps(asyncio.run(_burst(args.base_url, args.count, limit, args.redis_url))))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        server = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        sys.exit("redis-server did not start")
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()
            server.wait(timeout=10)


def _in_processes(
    base_url: str, counts: list[int], limit: RateLimit | None, redis_url: str | None
) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", "--base-url", base_url]
    if limit is not None:
        command += ["--worker-limit", f"{limit.requests}/{limit.per:g}"]
    if redis_url:
        command += ["--redis-url", redis_url]
    workers = [
        subprocess.Popen([*command, "--count", str(n)], stdout=subprocess.PIPE, text=True)
        for n in counts
    ]
    outcomes = [json.loads(w.communicate(timeout=900)[0]) for w in workers]
    return {
        # From the first worker's burst to the last one's end: process start-up left out.
        "span": (min(o["span"][0] for o in outcomes), max(o["span"][1] for o in outcomes)),
        "ok": sum(o["ok"] for o in outcomes),
        "429": sum(o["429"] for o in outcomes),
        "other": sorted({e for o in outcomes for e in o["other"]}),
    }


def _scenario(name: str, burst: int, mock_limit: tuple[int, float], run: Any) -> dict[str, Any]:
    # Credits for every task of the burst: only the rate limit may refuse a creation here.
    with MockServer(step=0.0, seed=0, credits=1e6, rate_limits={"apikley": mock_limit}) as mock:
        outcome = run(mock.base_url)
        start, end = outcome.pop("span")
        with mock.state.lock:
            created = sum(t.provider == "apikley" for t in mock.state.tasks.values())
        refused = mock.calls(CREATE) - created
    return {"scenario": name, "burst": burst, **outcome, "mock_429": refused, "wall_s": end - start}


def _limit(text: str) -> tuple[int, float]:
    requests, _, per = text.partition("/")
    return int(requests), float(per)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--limit", type=_limit, default=(20, 10.0), help="REQUESTS/SECONDS")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker-limit", dest="worker_limit", type=_limit, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--redis-url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.limit = args.worker_limit
        _worker(args)
        return 0

    burst, (requests, per) = args.burst, args.limit
    limit = RateLimit(requests, per)
    halves = [burst - burst // 2, burst // 2]
    ideal = (math.ceil(burst / requests) - 1) * per
    print(
        f"bench_router: a burst of {burst} generations at apikley, mock limit {requests} per "
        f"{per:g} s{' (kie documents 20 per 10 s)' if (requests, per) == (20, 10.0) else ''}; "
        f"ideal time with no 429: {ideal:.0f} s"
    )
    rows = [
        _scenario(
            "no limiter",
            burst,
            args.limit,
            lambda url: asyncio.run(_burst(url, burst, None, None)),
        ),
        _scenario(
            "memory", burst, args.limit, lambda url: asyncio.run(_burst(url, burst, limit, None))
        ),
        _scenario(
            "memory x2 processes",
            burst,
            args.limit,
            lambda url: _in_processes(url, halves, limit, None),
        ),
    ]
    with _redis_server() as redis_url:
        rows.append(
            _scenario(
                "redis x2 processes",
                burst,
                args.limit,
                lambda url: _in_processes(url, halves, limit, redis_url),
            )
        )
    print(
        f"{'scenario':<22}{'finished':>9}{'429 to caller':>15}{'429 at mock':>13}{'wall s':>9}"
        f"{'wall/ideal':>12}"
    )
    for row in rows:
        ratio = row["wall_s"] / ideal if ideal else float("nan")
        print(
            f"{row['scenario']:<22}{row['ok']:>9}{row['429']:>15}{row['mock_429']:>13}"
            f"{row['wall_s']:>9.1f}{ratio:>12.2f}"
        )
        for other in row["other"]:
            print(f"    other error: {other}")
    limited = [r for r in rows if r["scenario"] in ("memory", "redis x2 processes")]
    met = all(r["429"] == 0 and r["ok"] == burst for r in limited)
    print(
        f"goal: 0 answers of 429 reaching the caller with the limiter (memory, redis x2), "
        f"all {burst} finished: {'met' if met else 'NOT MET'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
