"""Before/after figures for the hardening issue, measured side by side in one run.

    python scripts/hostile_figures.py --before 9c508cb   # the commit before the hardening

Extracts the client (`overlay/`, `generated/`) of the `--before` commit with `git archive`, then
runs every hostile scenario twice, each in a fresh interpreter whose `PYTHONPATH` selects the
old or the current client, against the raw-socket hostile provider of `tests/hostile/server.py`
on 127.0.0.1. Peak memory is the growth of `ru_maxrss` in that interpreter; a run that takes
longer than LIMIT seconds is stopped and shown as `>LIMIT s`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: `scripts._bench` importable
from scripts._bench import tree_at  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))

from hostile.provider import (  # noqa: E402
    KEY,
    SIGNATURE,
    asked_id,
    hostile_crun,
    longest_fragment,
    routes,
    task_data,
)
from hostile.server import (  # noqa: E402
    HostileServer,
    Request,
    Script,
    answer,
    big,
    bomb,
    drip,
    envelope,
)

LIMIT = 40.0
# Long enough for the old client to finish: a dripped answer takes about a minute, a bomb
# inflated whole some seconds of CPU on a loaded machine.
LIMITS = {"bomb_1gib": 180.0} | dict.fromkeys(
    ("drip_get_sync", "drip_get_async", "drip_wait_sync", "drip_wait_async"), 100.0
)
EVIL = ["javascript:alert(1)", "file:///etc/passwd", "data:,x", "http://169.254.169.254/x"]


# --- the client side: runs in a child interpreter with the chosen client --------------------


def child(scenario: str, url: str) -> dict[str, Any]:
    import kling_avatar as ka  # the tree PYTHONPATH chose

    def client(**options: Any) -> Any:
        return ka.AvatarClient("crun", api_key=KEY, base_url=url, max_retries=0, **options)

    def outcome(run: Callable[[], object]) -> str:
        try:
            result = run()
        except Exception as exc:
            return type(exc).__name__
        return f"returned {result!r:.60}"

    if scenario == "other_task":
        with client() as c:
            return {"outcome": outcome(lambda: c.get_task("t1").id)}
    if scenario in ("body_100mb", "bomb_1gib"):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with client() as c:
            result = outcome(c.get_credits)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        return {"outcome": result, "peak_mb": round(peak / 1024)}
    if scenario.startswith("drip_"):
        started = time.monotonic()
        if scenario == "drip_get_sync":
            with client(timeout=2) as c:
                result = outcome(lambda: c.get_task("t1"))
        elif scenario == "drip_wait_sync":
            with client() as c:
                result = outcome(lambda: c.wait_for_task("t1", timeout=5))
        else:

            async def main() -> str:
                options: dict[str, Any] = {"timeout": 2} if "get" in scenario else {}
                async with ka.AsyncAvatarClient(
                    "crun", api_key=KEY, base_url=url, max_retries=0, **options
                ) as c:
                    try:
                        if "get" in scenario:
                            await c.get_task("t1")
                        else:
                            await c.wait_for_task("t1", timeout=5)
                    except Exception as exc:
                        return type(exc).__name__
                    return "returned"

            result = asyncio.run(main())
        return {"outcome": result, "seconds": round(time.monotonic() - started, 1)}
    if scenario == "key_echo":
        texts: list[str] = []
        with client() as c:
            for task_id in ("code", "header", "weird", "failed"):
                try:
                    if task_id == "failed":
                        texts.append(repr(c.get_task(task_id)))
                        c.wait_for_task(task_id, timeout=2)
                    elif task_id == "weird":
                        c.wait_for_task(task_id, timeout=0.3)
                    else:
                        c.get_task(task_id)
                except ka.AvatarError as exc:
                    texts += [str(exc), repr(exc), repr(getattr(exc, "task", None))]
        found = [longest_fragment(text) for text in texts]
        return {"longest": max(found), "places": sum(1 for n in found if n >= 8)}
    if scenario == "evil_urls":
        accepted = []
        with client() as c:
            for i, evil in enumerate(EVIL):
                if not outcome(functools.partial(c.get_task, f"u{i}")).endswith("Error"):
                    accepted.append(evil.split(":")[0])
        with ka.AvatarClient("apikley", api_key=KEY, base_url=url, max_retries=0) as c:
            upload = outcome(lambda: c.upload_file(b"ID3 an mp3"))
        return {"accepted": accepted, "apikley_upload": upload}
    raise SystemExit(f"unknown scenario {scenario}")


# --- the provider side ----------------------------------------------------------------------


def status_route(request: Request) -> Script:
    task_id = asked_id("crun", request)
    echo = "z" * 115 + KEY
    if task_id == "code":
        return [answer({"code": "x" * 20 + KEY})]
    if task_id == "header":
        return [answer({"code": 500, "msg": "no"}, 500, {"X-Request-Id": KEY})]
    if task_id == "weird":
        return [envelope(task_data("crun", task_id, KEY))]
    if task_id == "failed":
        return [envelope(task_data("crun", task_id, "failed", message=echo))]
    if task_id.startswith("u"):
        url = EVIL[int(task_id[1:])]
        return [envelope(task_data("crun", task_id, urls=[url]))]
    return [envelope(task_data("crun", "t2", "running"))]


def evil_upload(request: Request) -> Script:
    return [envelope({"downloadUrl": "javascript:alert(1)"})]


SERVERS: dict[str, Callable[[Request], Script]] = {
    "other_task": routes("crun", status=status_route),
    "body_100mb": lambda r: big(100 * 1024 * 1024),
    "bomb_1gib": lambda r: bomb(1024**3),
    "key_echo": routes("crun", status=status_route),
    "evil_urls": lambda r: evil_upload(r) if "upload" in r.path else status_route(r),
}
DRIP = routes(
    "crun",
    status=lambda r: drip(envelope(task_data("crun", asked_id("crun", r), "running")), 0.5),
)


def run_child(tree: Path, scenario: str) -> dict[str, Any]:
    route = SERVERS.get(scenario, DRIP)
    env = {**os.environ, "PYTHONPATH": f"{tree / 'overlay'}{os.pathsep}{tree / 'generated'}"}
    with HostileServer(route) as server:
        started = time.monotonic()
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", scenario, "--url", server.url],
                capture_output=True,
                text=True,
                env=env,
                timeout=LIMITS.get(scenario, LIMIT),
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"outcome": "still running", "seconds": f">{LIMITS.get(scenario, LIMIT):g}"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        return {"outcome": f"crashed: {tail[0][:80]}", "seconds": round(time.monotonic() - started)}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# --- the CLI scenarios: run in the parent, the CLI in a child interpreter -------------------


def run_cli(tree: Path, task_id: str, *args: str) -> subprocess.CompletedProcess[str]:
    with hostile_crun(task_id) as server:
        env = {
            **os.environ,
            "PYTHONPATH": f"{tree / 'overlay'}{os.pathsep}{tree / 'generated'}",
            "CRUN_API_KEY": KEY,
            "CRUN_BASE_URL": server.url,
        }
        return subprocess.run(
            [sys.executable, "-m", "kling_avatar", "generate", "--provider", "crun", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=LIMIT,
            check=False,
        )


MEDIA = ["--image", "https://m.example/p.png", "--audio", "https://m.example/v.wav"]


def cli_figures(tree: Path) -> dict[str, str]:
    figures: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = root / "a" / "b" / "out"
        folder.mkdir(parents=True)
        run_cli(tree, "../../x", *MEDIA, "--output", f"{folder}/")
        written = [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
        figures["id ../../x, URL .pth: file written at"] = ", ".join(written) or "nothing"
        run = run_cli(tree, "\x1b[2J\x1b[31mred", *MEDIA)
        figures["raw ESC characters printed"] = str((run.stdout + run.stderr).count("\x1b"))
        run = run_cli(tree, "t\x00nul", *MEDIA, "--output", f"{folder}/")
        figures["id with NUL: exit status"] = str(run.returncode)
        victim = root / "victim"
        victim.write_bytes(b"keep")
        (folder / "out.mp4.part").symlink_to(victim)
        run_cli(tree, "t1", *MEDIA, "--output", str(folder / "out.mp4"))
        figures["planted out.mp4.part symlink: victim overwritten"] = str(
            victim.read_bytes() != b"keep"
        )
        mine = folder / "mine.mp4"
        mine.write_bytes(b"mine")
        run = run_cli(tree, "t1", *MEDIA, "--output", str(mine))
        figures["existing --output file replaced (exit)"] = (
            f"{mine.read_bytes() != b'mine'} ({run.returncode})"
        )
        run = run_cli(tree, "t1", "--image", str(ROOT / "examples/media/portrait.png"),
                      "--audio", MEDIA[3], "--debug")  # fmt: skip
        figures["--debug: presigned signatures in the log"] = str(run.stderr.count(SIGNATURE))
    return figures


# --- the table ------------------------------------------------------------------------------


def timed(r: dict[str, Any]) -> str:
    return f"{r['seconds']} ({r['outcome']})"


def peak(r: dict[str, Any]) -> str:
    return f"{r.get('peak_mb')} ({r['outcome']})"


Show = Callable[[dict[str, Any]], str]
ROWS: list[tuple[str, str, Show]] = [
    ("2 get_task('t1'), answer about t2", "other_task", lambda r: r["outcome"]),
    ("3 100 MB body: peak MB (outcome)", "body_100mb", peak),
    ("3 1 MB gzip of 1 GiB: peak MB", "bomb_1gib", peak),
    ("4 drip: get_task, timeout=2, sync: s", "drip_get_sync", timed),
    ("4 drip: get_task, timeout=2, async: s", "drip_get_async", timed),
    ("4 drip: wait_for_task(timeout=5) sync: s", "drip_wait_sync", timed),
    ("4 drip: wait_for_task(timeout=5) async: s", "drip_wait_async", timed),
    (
        f"5 echoed key: longest run of its {len(KEY)} chars",
        "key_echo",
        lambda r: f"{r['longest']} ({r['places']} places)",
    ),
    (
        "7 evil video URLs accepted (of 4)",
        "evil_urls",
        lambda r: f"{len(r['accepted'])} {r['accepted']}",
    ),
    ("7 Apikley downloadUrl javascript:", "evil_urls", lambda r: r["apikley_upload"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REF", help="the commit to compare with")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url)))
        return
    trees: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if args.before:
            old = tree_at(args.before, Path(scratch) / "before")
            trees["before"] = old
        trees["after"] = ROOT
        cache: dict[tuple[str, str], dict[str, Any]] = {}
        print(f"{'item':46}" + "".join(f"{name:>34}" for name in trees))
        for label, scenario, show in ROWS:
            cells = []
            for name, tree in trees.items():
                if (name, scenario) not in cache:
                    cache[name, scenario] = run_child(tree, scenario)
                try:
                    cells.append(str(show(cache[name, scenario])))
                except KeyError:
                    cells.append(cache[name, scenario].get("outcome", "?"))
            print(f"{label:46}" + "".join(f"{cell:>34.34}" for cell in cells), flush=True)
        cli = {name: cli_figures(tree) for name, tree in trees.items()}
        for label in cli["after"]:
            cells = [cli[name][label] for name in trees]
            print(f"{'1/8/11 ' + label:46.46}" + "".join(f"{c:>34.34}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
