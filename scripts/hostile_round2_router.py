"""Paid creations per call under each fault of issue 21's items 1 and 2, before and after.

    python scripts/hostile_round2_router.py --before main   # the code before the fixes

Extracts the client (`overlay/`, `generated/`, and the `specs/` its mock reads) of `--before`
with `git archive`, then runs every scenario in a fresh interpreter per tree (its `PYTHONPATH`
selects the old or the current client), against the local mock (crun, and Apikley where it
behaves), the raw-socket hostile provider (Apikley answering an error that names a task) and a
raw-socket Redis, on 127.0.0.1.

The caller is the one the issue describes: it retries a call once when the outcome leaves it
without a task id (an error that says no task was created, or its own callback's exception),
and stops as soon as it holds one (the Task returned, or an error's `task_id` / `task`). A cell
reads ``paid/hidden``: the tasks created (at the mock, plus one at the hostile Apikley when its
answer named a task) and, of those, how many the caller never learnt the id of.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: `scripts._bench` importable
from scripts._bench import tree_at  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))

LIMIT = 120.0
NAMED_ID = "hostile-task-0042"
# Item 2's answer shapes: (HTTP status, body), each naming a task.
SHAPES: dict[str, tuple[int, dict[str, Any]]] = {
    f"HTTP {s} + code 200 + task id": (s, {"code": 200, "msg": "ok", "data": {"taskId": NAMED_ID}})
    for s in (429, 402, 455, 505)
} | {
    f"HTTP 200 + code {c} + task id": (200, {"code": c, "msg": "no", "data": {"taskId": NAMED_ID}})
    for c in (402, 429)
}


class Broken(Exception):
    """The caller's own callback failed."""


def child() -> dict[str, str]:
    """Every scenario, sync and async, with the client on PYTHONPATH; {row: "paid/hidden"}."""
    from hostile.provider import KEY, routes
    from hostile.server import HostileServer, Request, Script, answer
    from kling_avatar import AsyncAvatarRouter, AvatarRouter, RedisRateLimitStore, Task
    from kling_avatar.testing import MockServer
    from router.fake_redis import FakeRedis
    from router.helpers import Counts

    rows: dict[str, str] = {}
    with ExitStack() as stack:
        mock = stack.enter_context(MockServer(step=0.0, seed=0, callback_attempts=1))
        media = {
            "image_url": f"{mock.base_url}/media/portrait.png",
            "audio_url": f"{mock.base_url}/media/voice.wav",
        }
        keys = {"crun": mock.crun_key, "apikley": mock.apikley_key}
        urls = {"crun": mock.base_url, "apikley": mock.base_url}
        # Redis gives every slot (the acquire script has 4 arguments), and is gone whenever
        # one is to be freed (release has 3): as if it went away between the two.
        redis = stack.enter_context(
            FakeRedis(lambda command: b":0\r\n" if len(command) == 8 else None)
        )

        def naming(status: int, body: dict[str, Any]) -> Callable[[Request], Script]:
            return lambda request: [answer(body, status)]

        hostile = {
            label: stack.enter_context(HostileServer(routes("apikley", create=naming(*shape))))
            for label, shape in SHAPES.items()
        }

        def raising_route(event: Any) -> None:
            if event.kind == "created":
                raise Broken("on_route")

        def raising_update(task: Any) -> None:
            raise Broken("on_update")

        # row -> (router options, call, call's options, tasks a hostile provider makes per call)
        scenarios: dict[str, tuple[dict[str, Any], str, dict[str, Any], int]] = {
            "1 Redis gone before the slot is freed (create_task)": (
                {"providers": ["apikley"], "rate_limit_store": redis.url},
                "create_task",
                {},
                0,
            ),
            "1 Redis gone before the slot is freed (generate)": (
                {"providers": ["apikley"], "rate_limit_store": redis.url},
                "generate",
                {},
                0,
            ),
            "1 on_route raises on 'created'": ({}, "create_task", {"on_route": raising_route}, 0),
            "1 on_update raises during the wait": (
                {},
                "generate",
                {"on_update": raising_update},
                0,
            ),
        }
        for label, server in hostile.items():
            scenarios[f"2 {label}"] = (
                {
                    "api_keys": {**keys, "apikley": KEY},
                    "base_urls": {**urls, "apikley": server.url},
                },
                "create_task",
                {},
                1,
            )

        def make(kind: str, options: dict[str, Any]) -> Any:
            options = {
                "providers": ["apikley", "crun"],
                "api_keys": keys,
                "base_urls": urls,
                "retry_delay": 0.01,
                "poll_interval": 0.01,
                "max_retries": 0,
                **options,
            }
            if "rate_limit_store" in options:
                options["rate_limit_store"] = RedisRateLimitStore(options["rate_limit_store"])
            providers = options.pop("providers")
            return (AvatarRouter if kind == "sync" else AsyncAvatarRouter)(providers, **options)

        loop = asyncio.new_event_loop()  # one for every async call and its router's close

        def run(value: Any) -> Any:
            return loop.run_until_complete(value) if inspect.isawaitable(value) else value

        def attempt(router: Any, call: str, options: dict[str, Any]) -> str | None:
            """One call; the task id the caller holds afterwards, or None."""
            try:
                result = run(getattr(router, call)(**media, **options))
            except Exception as error:  # what the caller gets is the figure
                task = getattr(error, "task", None)
                held = getattr(error, "task_id", None) or getattr(task, "id", None)
                return held if isinstance(held, str) else None
            return result.id if isinstance(result, Task) else None

        for label, (router_options, call, options, extra) in scenarios.items():
            for kind in ("sync", "async"):
                counts = Counts(mock)
                router = make(kind, router_options)
                held, calls = 0, 0
                for _ in range(2):  # the call, and the caller's one retry
                    calls += 1
                    if attempt(router, call, options) is not None:
                        held = 1
                        break
                # The hostile Apikley (first choice) names a task each time it is asked.
                paid = counts.tasks() + extra * calls
                hidden = paid - held
                run(router.close())
                rows[f"{label} [{kind}]"] = f"{paid}/{hidden}"
        loop.close()
    return rows


def run_child(tree: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'overlay'}{os.pathsep}{tree / 'generated'}"}
    done = subprocess.run(
        [sys.executable, __file__, "--child"],
        capture_output=True,
        text=True,
        env=env,
        timeout=LIMIT,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise SystemExit(f"the {tree} run failed:\n{done.stderr[-2000:]}")
    result: dict[str, str] = json.loads(lines[-1])
    return result


def trees(before: str | None, scratch: str) -> Iterator[tuple[str, Path]]:
    if before:
        old = tree_at(before, Path(scratch) / "before", ["overlay", "generated", "specs"])
        yield "before", old
    yield "after", ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--before", metavar="REF", help="the commit to compare with")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child()))
        return
    with tempfile.TemporaryDirectory() as scratch:
        results = {name: run_child(tree) for name, tree in trees(args.before, scratch)}
    print("paid creations per call / of them hidden from the caller (a caller that retries once")
    print("when it holds no task id)")
    print(f"{'fault':62}" + "".join(f"{name:>10}" for name in results))
    for row in results["after"]:
        print(f"{row:62}" + "".join(f"{r.get(row, '?'):>10}" for r in results.values()))


if __name__ == "__main__":
    main()
