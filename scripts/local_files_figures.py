"""Bytes read from what is not a regular file, before and after (issue 21, item 3).

    python scripts/local_files_figures.py --before 2cd6756   # the commit before the change

Extracts the client (`overlay/`, `generated/`) of the `--before` commit with `git archive` and
runs each scenario twice, in a fresh interpreter whose `PYTHONPATH` selects the old or the
current client: the library (sync and async `create_task(image_url=Path(X))`) and the command
(`kling-avatar generate --image X`). "read" is what the interpreter's read calls returned
during the call (`rchar` of /proc/self/io, whatever the file; a first call on a missing file
has loaded every module before it is counted); the interpreter's address space
is capped at 2 GiB, so an unbounded read ends in MemoryError instead of taking the machine; a
run over LIMIT seconds is stopped (a hang). The provider is the raw-socket hostile server of
`tests/hostile/`, which answers 500 to anything: "requests" is what reached it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: `scripts._bench` importable
from scripts._bench import tree_at  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))

from hostile.provider import KEY  # noqa: E402
from hostile.server import HostileServer, answer  # noqa: E402

LIMIT = 20.0
CAP = 2 << 30
VOICE = ROOT / "examples" / "media" / "voice.wav"

# Runs in the child: the call, then one JSON line with what it read and how it ended.
CHILD = """
import asyncio, json, resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
def rchar():
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])
mode, image, audio, url, key = sys.argv[1:6]
import kling_avatar as ka
from kling_avatar._cli import main
def call(image):
    try:
        if mode == "cli":
            return "exit %d" % main(["generate", "--provider", "crun", "--image", image,
                                     "--audio", audio])
        if mode == "sync":
            with ka.AvatarClient("crun", api_key=key, base_url=url, max_retries=0) as c:
                c.create_task(image_url=Path(image), audio_url=Path(audio))
            return "created"
        async def run():
            async with ka.AsyncAvatarClient("crun", api_key=key, base_url=url,
                                            max_retries=0) as c:
                await c.create_task(image_url=Path(image), audio_url=Path(audio))
        asyncio.run(run())
        return "created"
    except BaseException as exc:
        return type(exc).__name__ + ": " + str(getattr(exc, "message", exc))[:60]
call("/nonexistent/warm-up.png")  # loads every module the call needs: not counted below
before = rchar()
ended = call(image)
read = rchar() - before
sys.stdout.write("\\n" + json.dumps({{"read": read, "ended": ended}}) + "\\n")
"""


def run(tree: Path, mode: str, image: str, server: HostileServer) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRUN_", "APIKLEY_"))}
    env.update(
        PYTHONPATH=f"{tree / 'overlay'}{os.pathsep}{tree / 'generated'}",
        CRUN_API_KEY=KEY,
        CRUN_BASE_URL=server.url,
    )
    args = [mode, image, str(VOICE), server.url, KEY]
    started = time.monotonic()
    server.requests.clear()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD.format(cap=CAP), *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=LIMIT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"read": None, "ended": f"hung (stopped after {LIMIT:g} s)", "seconds": LIMIT}
    lines = done.stdout.strip().splitlines()
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {"read": None, "ended": "?"}
    if mode == "cli":  # the command prints its error on stderr
        said = [line for line in done.stderr.splitlines() if "error:" in line]
        result["ended"] += f" ({said[-1][:70]})" if said else ""
    result["seconds"] = time.monotonic() - started
    result["requests"] = len(server.requests)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="REF", help="the commit to compare with")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as scratch,
        HostileServer(lambda request: [answer({"code": 500, "msg": "no"}, 500)]) as server,
    ):
        trees = {"after": ROOT}
        if args.before:
            old = tree_at(args.before, Path(scratch) / "before")
            trees = {"before": old, "after": ROOT}
        fifo = Path(scratch) / "portrait.png"
        os.mkfifo(fifo)
        print(f"{'input':<10} {'via':<6} {'side':<7} {'bytes read':>14} {'s':>6} {'req':>4}  ended")
        try:
            for image in ("/dev/zero", str(fifo)):
                shown = "/dev/zero" if image == "/dev/zero" else "FIFO"
                for mode in ("cli", "sync", "async"):
                    for side, tree in trees.items():
                        r = run(tree, mode, image, server)
                        read = "-" if r["read"] is None else f"{r['read']:,}"
                        print(
                            f"{shown:<10} {mode:<6} {side:<7} {read:>14} {r['seconds']:6.2f} "
                            f"{r.get('requests', '-'):>4}  {r['ended']}",
                            flush=True,
                        )
                        # A child stopped in a FIFO's open: the next one must not find it.
                        with contextlib.suppress(OSError):
                            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        finally:
            fifo.unlink()
    print(f"(address space capped at {CAP >> 30} GiB per run; limit {LIMIT:g} s per run)")


if __name__ == "__main__":
    main()
