"""Before/after figures for the mock's second hostile round (issue 21, items 10, 11, 12).

    .venv/bin/python scripts/hostile_round2_mock.py --before main

Extracts `overlay/` of the `--before` commit with `git archive` (the specs are this tree's), then
runs each scenario twice, in a fresh interpreter whose `PYTHONPATH` selects the old or the
current mock, on 127.0.0.1:

- bomb: one GET of a result whose portrait is a 16000x16000 PNG (750 KB): seconds, and the
  growth of `ru_maxrss` in that interpreter over the GET;
- queue: six such GETs at once, then a normal result (the example portrait): its seconds;
- evicted: a result (portrait, 20 s of audio) no longer kept (old: out of the input cache; new:
  out of the result budget), asked for five times: renders made and CPU seconds per GET;
- loop: two tasks whose portraits are each other's results (named via localhost): requests the
  mock made to itself within 5 s of one GET, and the file descriptors it opened meanwhile;
- signals: seconds for `python -m kling_avatar.testing` to exit after two SIGTERMs 0.1 s apart,
  plain (the race is rarely hit unaided) and with Event.set's locked window widened as the test
  does; a run still alive after LIMIT seconds is killed and shown as `never`;
- callbacks: attempts and the time they span with the defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: `scripts._bench` importable
from scripts._bench import tree_at  # noqa: E402

LIMIT = 15.0


def bomb_png(width: int = 16_000, height: int = 16_000) -> bytes:
    """A whole, valid 16000x16000 RGB PNG of zeros (a few hundred KB compressed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = b"\0" * (3 * width + 1)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


# --- the mock side: runs in a child interpreter with the chosen mock ------------------------

CHILD = textwrap.dedent(
    """
    import io, json, math, os, resource, struct, sys, threading, time, wave
    from pathlib import Path
    import httpx
    from kling_avatar.testing import MockServer
    from kling_avatar.testing import _media as media

    scenario, bomb_file, portrait_file = sys.argv[1:4]
    out = {}

    def upload(http, mock, name, data, mime):
        key = {"Authorization": "Bearer " + mock.apikley_key}
        answer = http.post("/file-upload/api/file-stream-upload", data={"uploadPath": "in"},
                           files={"file": (name, data, mime)}, headers=key).json()
        return answer["data"]["downloadUrl"]

    def task(http, mock, **inputs):
        body = {"model": "kling/avatar", "input": {"image_url": "https://example.com/f.png",
                "audio_url": "https://example.com/v.mp3", **inputs}}
        crun = {"x-api-key": mock.crun_key}
        task_id = http.post("/api/v1/client/job/CreateTask", json=body, headers=crun).json()
        task_id = task_id["data"]["task_id"]
        http.get("/api/v1/client/job/TaskInfo", params={"task_id": task_id}, headers=crun)
        return task_id

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    lines = []
    with MockServer(step=0.0, seed=3, log=lines.append) as mock, \\
            httpx.Client(base_url=mock.base_url, timeout=120) as http:
        if scenario == "bomb":
            url = upload(http, mock, "bomb.png", Path(bomb_file).read_bytes(), "image/png")
            task_id = task(http, mock, image_url=url)
            before, start = peak(), time.perf_counter()
            http.get(f"/media/results/{task_id}.mp4")
            out = {"seconds": time.perf_counter() - start, "growth": peak() - before}
        elif scenario == "queue":
            url = upload(http, mock, "bomb.png", Path(bomb_file).read_bytes(), "image/png")
            face = upload(http, mock, "face.png", Path(portrait_file).read_bytes(), "image/png")
            bombs = [task(http, mock, image_url=url, prompt=str(i)) for i in range(6)]
            normal = task(http, mock, image_url=face)
            threads = [threading.Thread(target=http.get, args=(f"/media/results/{b}.mp4",))
                       for b in bombs]
            for thread in threads:
                thread.start()
            time.sleep(0.3)  # the bombs are ahead of it
            start = time.perf_counter()
            http.get(f"/media/results/{normal}.mp4")
            out = {"seconds": time.perf_counter() - start}
            for thread in threads:
                thread.join()
        elif scenario == "evicted":
            renders = []
            original = media._render
            def counted(*args, **kwargs):
                renders.append(1)
                return original(*args, **kwargs)
            media._render = counted
            media._CACHE_ENTRIES = 0  # old: the input cache overflowed
            mock.state.max_result_bytes = 1  # new: only the newest result is kept
            face = upload(http, mock, "face.png", Path(portrait_file).read_bytes(), "image/png")
            sound = io.BytesIO()
            with wave.open(sound, "wb") as file:  # 20 s of a 440 Hz tone
                file.setnchannels(1)
                file.setsampwidth(2)
                file.setframerate(16000)
                file.writeframes(b"".join(
                    struct.pack("<h", int(9000 * math.sin(i / 5.79))) for i in range(320000)
                ))
            voice = upload(http, mock, "v.wav", sound.getvalue(), "audio/wav")
            first = task(http, mock, image_url=face, audio_url=voice)
            second = task(http, mock)
            http.get(f"/media/results/{first}.mp4")
            http.get(f"/media/results/{second}.mp4")
            renders.clear()
            cpu = time.process_time()
            statuses = [http.get(f"/media/results/{first}.mp4").status_code for _ in range(5)]
            out = {"renders": len(renders) / 5, "cpu": (time.process_time() - cpu) / 5,
                   "statuses": statuses}
        elif scenario == "loop":
            from kling_avatar.testing import _app
            looked = []
            lookup = _app.media_lookup
            async def counted_lookup(*args, **kwargs):
                looked.append(1)
                return await lookup(*args, **kwargs)
            _app.media_lookup = counted_lookup
            with MockServer(step=0.0, seed=9) as probe, \\
                    httpx.Client(base_url=probe.base_url) as other:
                first, second = task(other, probe), task(other, probe)
            with MockServer(step=0.0, seed=9) as looped, \\
                    httpx.Client(base_url=looped.base_url, timeout=60) as http2:
                here = looped.base_url.replace("127.0.0.1", "localhost")
                task(http2, looped, image_url=f"{here}/media/results/{second}.mp4")
                task(http2, looped, image_url=f"{here}/media/results/{first}.mp4")
                fds = len(os.listdir("/proc/self/fd"))
                thread = threading.Thread(
                    target=lambda: http2.get(f"/media/results/{first}.mp4"), daemon=True
                )
                thread.start()
                time.sleep(5.0)
                out = {"requests": len(looked) - 1,
                       "fds": len(os.listdir("/proc/self/fd")) - fds}
                looped.state.http = None  # old: end the loop before the server stops
        elif scenario == "callbacks":
            state = mock.state
            delays = [state.callback_backoff * 2 ** n for n in range(state.callback_attempts - 1)]
            out = {"attempts": state.callback_attempts, "span": sum(delays)}
    print(json.dumps(out))
    """
)

WIDENED = textwrap.dedent(
    """
    import runpy, sys, threading, time

    def slow_set(self):
        with self._cond:
            time.sleep(0.5)
            self._flag = True
            self._cond.notify_all()

    threading.Event.set = slow_set
    sys.argv = ["kling_avatar.testing", *sys.argv[1:]]
    runpy.run_module("kling_avatar.testing", run_name="__main__", alter_sys=True)
    """
)


def environment(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return {**env, "PYTHONPATH": str(tree / "overlay")}


def run_child(tree: Path, scenario: str, bomb: Path, portrait: Path) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, scenario, str(bomb), str(portrait)],
            capture_output=True,
            text=True,
            env=environment(tree),
            timeout=300,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        return {"error": exc.stderr.strip().splitlines()[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def double_sigterm(tree: Path, widened: bool) -> float | None:
    """Seconds from the first SIGTERM to the exit; None if it had not exited after LIMIT s."""
    code = ["-c", WIDENED] if widened else ["-m", "kling_avatar.testing"]
    process = subprocess.Popen(
        [sys.executable, *code, "--port", str(free_port()), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment(tree),
    )
    assert process.stdout is not None
    for _ in range(7):
        process.stdout.readline()
    start = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    time.sleep(0.1)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
    return time.perf_counter() - start


def exits(runs: list[float | None]) -> str:
    done = [r for r in runs if r is not None]
    if not done:
        return f"never ({len(runs)}/{len(runs)} killed after {LIMIT:g} s)"
    hung = len(runs) - len(done)
    return f"{max(done):.2f} s" + (f", {hung}/{len(runs)} never" if hung else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="the commit to compare with")
    parser.add_argument("--runs", type=int, default=3, help="double-SIGTERM runs per tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        old = tree_at(args.before, Path(temp) / "old", ["overlay"])
        (old / "specs").symlink_to(ROOT / "specs")
        bomb = Path(temp) / "bomb.png"
        bomb.write_bytes(bomb_png())
        portrait = ROOT / "examples" / "media" / "portrait.png"
        rows: list[tuple[str, str, str]] = []
        found = {
            name: {s: run_child(tree, s, bomb, portrait) for s in ("bomb", "queue", "evicted")}
            for name, tree in (("before", old), ("after", ROOT))
        }
        for name, tree in (("before", old), ("after", ROOT)):
            found[name]["loop"] = run_child(tree, "loop", bomb, portrait)
            found[name]["callbacks"] = run_child(tree, "callbacks", bomb, portrait)

        def pick(name: str, scenario: str, fmt: str) -> str:
            result = found[name][scenario]
            return result["error"] if "error" in result else fmt.format(**result)

        size = f"{bomb.stat().st_size / 1e3:.0f} KB"
        for label, scenario, fmt in (
            (f"bomb PNG 16000x16000 ({size}): GET", "bomb", "{seconds:.2f} s"),
            ("bomb PNG: peak memory growth", "bomb", "{growth:,} B"),
            ("normal result behind six bombs: wait", "queue", "{seconds:.2f} s"),
            ("evicted result: renders per GET", "evicted", "{renders:g} ({statuses})"),
            ("evicted result: CPU per GET", "evicted", "{cpu:.3f} s"),
            ("mutually referencing tasks: self-requests in 5 s", "loop", "{requests}"),
            ("mutually referencing tasks: descriptors opened", "loop", "{fds}"),
            ("callback: attempts, span of retries", "callbacks", "{attempts}, {span:g} s"),
        ):
            rows.append((label, pick("before", scenario, fmt), pick("after", scenario, fmt)))
        for widened in (False, True):
            label = "double SIGTERM: seconds to exit" + (" (window widened)" if widened else "")
            before = [double_sigterm(old, widened) for _ in range(args.runs)]
            after = [double_sigterm(ROOT, widened) for _ in range(args.runs)]
            rows.append((label, exits(before), exits(after)))
    width = max(len(r[0]) for r in rows)
    middle = max(len(r[1]) for r in [*rows, ("", "before", "")])
    print(f"{'':{width}}  {'before':{middle}}  after")
    for label, before_, after_ in rows:
        print(f"{label:{width}}  {before_:{middle}}  {after_}")


if __name__ == "__main__":
    main()
