"""What the overlay costs: `get_task` next to a bare httpx GET + json.loads, and the import.

Side-by-side measurements, each interleaved in rounds so both sides see the same machine:

1. `get_task` through `AvatarClient` against a bare `httpx.Client.get` + `json.loads` of the
   same answer, on the same in-process transport (no network: the overlay's own cost shows;
   goal: at most 1.3x, wall and CPU);
2. the same two against the local mock server (its own process) over loopback (what a user
   sees; goal: at most 1.1x wall, 1.5x CPU of this process);
3. in a fresh venv holding only the wheel and its runtime dependencies (no dev tools, whose
   imports would make httpx look slower), each in fresh interpreters: `import kling_avatar`
   against `import httpx` (goal: at most 2x), the first `AvatarClient` of each provider
   against the first `httpx.Client` (goal: at most 2x), and the whole `kling-avatar --help`
   process against a bare `python -c "import httpx"` (goal: under 2x).

    python scripts/bench_overlay.py [--calls 100] [--loopback-calls 20] [--rounds 60] [--check]
                                    [--no-imports]

The machine is shared (2 cores, other jobs), so each side is timed in many short rounds taken
in turns (which side goes first alternates), and the ratio reported is the median of the
per-round ratios: each round's overlay time is divided by the bare time measured right next to
it, which cancels the machine's drift.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run as a file: make `scripts._bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kling_avatar import AvatarClient, as_provider

from scripts._bench import KEY, ROOT, Goals, mock_process, parser

ANSWERS = {
    # crun's Get Task Info example for a finished task, and Apikley's recordInfo example.
    "crun": {
        "code": 200,
        "message": "success",
        "data": {
            "task_id": "task-1",
            "status": "success",
            "create_at": 1768900378,
            "complete_at": 1768900478,
            "credits": 2,
            "result": {"code": 200, "message": "ok", "media_urls": ["https://cdn.example/t.mp4"]},
        },
    },
    "apikley": {
        "code": 200,
        "message": "success",
        "data": {
            "taskId": "task-1",
            "model": "kling/ai-avatar-v1-pro",
            "state": "success",
            "param": "{}",
            "resultJson": '{"resultUrls":["https://example.com/generated-content.mp4"]}',
            "failCode": "",
            "failMsg": "",
            "completeTime": 1698765432000,
            "createTime": 1698765400000,
            "updateTime": 1698765432000,
        },
    },
}
# The goals: get_task at most this many times a bare GET + json.loads of the same answer.
IN_PROCESS = 1.3  # wall and CPU, on an in-process transport
LOOPBACK_WALL = 1.1  # against the mock over loopback
LOOPBACK_CPU = 1.5  # this process's CPU there (the server's is its own)
PATHS = {
    "crun": ("/api/v1/client/job/TaskInfo", "task_id", {"x-api-key": KEY}),
    "apikley": ("/api/v1/jobs/recordInfo", "taskId", {"Authorization": f"Bearer {KEY}"}),
}


def bare_get(http: httpx.Client, provider: str, task_id: str) -> Callable[[], object]:
    """What a user without the overlay writes: GET the status, decode the JSON."""
    path, param, _ = PATHS[provider]
    return lambda: json.loads(http.get(path, params={param: task_id}).content)


def overlay_get(client: AvatarClient, task_id: str) -> Callable[[], object]:
    return lambda: client.get_task(task_id)


def per_call(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """Wall and CPU seconds per call (this thread's CPU: the server, if any, is elsewhere)."""
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - wall) / calls, (time.thread_time() - cpu) / calls


Timing = tuple[float, float, float, float]  # median overlay, median bare, wall ratio, CPU ratio


def side_by_side(
    overlay: Callable[[], object], bare: Callable[[], object], calls: int, rounds: int
) -> Timing:
    """Median per-call wall seconds of each side and the medians of the paired per-round wall
    and CPU ratios, over rounds after a warm-up; which side goes first alternates."""
    per_call(overlay, max(1, calls // 10))
    per_call(bare, max(1, calls // 10))
    o: list[tuple[float, float]] = []
    b: list[tuple[float, float]] = []
    for index in range(rounds):
        if index % 2:
            b.append(per_call(bare, calls))
            o.append(per_call(overlay, calls))
        else:
            o.append(per_call(overlay, calls))
            b.append(per_call(bare, calls))
    pairs = list(zip(o, b, strict=True))
    return (
        statistics.median(x[0] for x in o),
        statistics.median(x[0] for x in b),
        statistics.median(oi[0] / bi[0] for oi, bi in pairs),
        statistics.median(oi[1] / bi[1] for oi, bi in pairs if bi[1] > 0),
    )


def report(goals: Goals, label: str, timing: Timing, wall_goal: float, cpu_goal: float) -> None:
    overlay, bare, wall, cpu = timing
    detail = f"overlay {overlay * 1e6:7.1f} us, bare {bare * 1e6:7.1f} us per call"
    goals.at_most(f"{label}: wall overlay/bare", wall, wall_goal, detail)
    goals.at_most(f"{label}: CPU overlay/bare", cpu, cpu_goal)


def in_process(goals: Goals, calls: int, rounds: int) -> None:
    print("get_task on an in-process transport (the overlay's own cost):")
    for provider, answer in ANSWERS.items():
        content = json.dumps(answer).encode()
        transport = httpx.MockTransport(
            lambda request, content=content: httpx.Response(
                200, content=content, headers={"content-type": "application/json"}
            )
        )
        headers = PATHS[provider][2]
        base_url = "https://api.example"
        with (
            AvatarClient(
                as_provider(provider), api_key=KEY, base_url=base_url, transport=transport
            ) as client,
            httpx.Client(base_url=base_url, headers=headers, transport=transport) as http,
        ):
            timing = side_by_side(
                overlay_get(client, "task-1"), bare_get(http, provider, "task-1"), calls, rounds
            )
        report(goals, f"in process, {provider}", timing, IN_PROCESS, IN_PROCESS)


def loopback(goals: Goals, calls: int, rounds: int) -> None:
    print("get_task against the local mock over loopback (what a caller sees):")
    with mock_process(["--step", "0"]) as (base_url, _):
        for provider in ("crun", "apikley"):
            headers = PATHS[provider][2]
            with (
                AvatarClient(provider, api_key=KEY, base_url=base_url) as client,
                httpx.Client(base_url=base_url, headers=headers) as http,
            ):
                task_id = client.create_task(
                    image_url=f"{base_url}/media/face.png", audio_url=f"{base_url}/media/voice.wav"
                ).id
                timing = side_by_side(
                    overlay_get(client, task_id), bare_get(http, provider, task_id), calls, rounds
                )
            report(goals, f"loopback, {provider}", timing, LOOPBACK_WALL, LOOPBACK_CPU)


FIRST_CALL = """
import json, time
s = time.perf_counter()
{body}
print(time.perf_counter() - s)
"""
OVERLAY_FIRST = """
import httpx
from kling_avatar import AvatarClient
answer = httpx.Response(200, content={content!r})
transport = httpx.MockTransport(lambda request: answer)
base_url = "https://x.example"
with AvatarClient({provider!r}, api_key={key!r}, base_url=base_url, transport=transport) as c:
    c.get_task("task-1")
"""
BARE_FIRST = """
import httpx
answer = httpx.Response(200, content={content!r})
transport = httpx.MockTransport(lambda request: answer)
with httpx.Client(base_url="https://x.example", transport=transport) as http:
    json.loads(http.get("/task", params={{"id": "task-1"}}).content)
"""


def runtime_venv(tmp: Path, source: Path) -> Path | None:
    """A venv holding the wheel built from this checkout and its runtime dependencies only;
    its python, or None without the pinned uv (`make env` bootstraps it)."""
    uv = ROOT / ".tools" / "bin" / "uv"
    if not uv.exists():
        return None

    def run(*command: str | Path) -> None:
        subprocess.run(command, check=True, capture_output=True)

    run(uv, "build", "--wheel", "--out-dir", tmp / "dist", source)
    wheel = next((tmp / "dist").glob("*.whl"))
    run(uv, "venv", "--quiet", "--python", sys.executable, tmp / "venv")
    python = tmp / "venv" / "bin" / "python"
    # Compiled now: with PYTHONDONTWRITEBYTECODE set, every run would compile every module.
    run(uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", python, wheel)
    return python


def fresh_seconds(command: list[str], cwd: Path, whole: bool) -> float:
    """Seconds one fresh interpreter takes: the whole process, or what the code prints."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=cwd)
    return time.perf_counter() - start if whole else float(done.stdout.split()[-1])


def paired(ours: list[str], theirs: list[str], cwd: Path, runs: int, whole: bool) -> Timing:
    o, b = [], []
    for index in range(runs):  # alternate, so both see the same disk cache and load
        first, second = (ours, theirs) if index % 2 == 0 else (theirs, ours)
        x, y = fresh_seconds(first, cwd, whole), fresh_seconds(second, cwd, whole)
        o.append(x if first is ours else y)
        b.append(y if first is ours else x)
    ratio = statistics.median(oi / bi for oi, bi in zip(o, b, strict=True))
    return statistics.median(o), statistics.median(b), ratio, ratio


def imports(goals: Goals, runs: int, source: Path) -> None:
    print(f"in a runtime-only venv from the wheel, median of {runs} fresh interpreters each:")
    with tempfile.TemporaryDirectory(prefix="bench-venv-") as tmp:
        python = runtime_venv(Path(tmp), source)
        if python is None:
            print("  skipped: no .tools/bin/uv (run `make env`)")
            goals.missed.append("runtime-only venv")
            return
        cwd = Path(tmp)  # not the checkout: only the installed wheel is importable
        code = "import time; s = time.perf_counter(); {}; print(time.perf_counter() - s)"
        ours = [str(python), "-c", code.format("from kling_avatar import AvatarClient")]
        theirs = [str(python), "-c", code.format("import httpx")]
        overlay, bare, ratio, _ = paired(ours, theirs, cwd, runs, whole=False)
        detail = f"{overlay * 1e3:6.1f} ms vs {bare * 1e3:6.1f} ms"
        goals.at_most("from kling_avatar import AvatarClient / httpx", ratio, 2.0, detail)
        for provider, answer in ANSWERS.items():
            content = json.dumps(answer).encode()
            first = [
                str(python),
                "-c",
                FIRST_CALL.format(
                    body=OVERLAY_FIRST.format(content=content, provider=provider, key=KEY)
                ),
            ]
            bare_first = [
                str(python),
                "-c",
                FIRST_CALL.format(body=BARE_FIRST.format(content=content)),
            ]
            overlay, bare, ratio, _ = paired(first, bare_first, cwd, runs, whole=False)
            detail = f"{overlay * 1e3:6.1f} ms vs {bare * 1e3:6.1f} ms"
            goals.at_most(f"first AvatarClient get_task, {provider} / httpx", ratio, 2.0, detail)
        cli = [str(python.parent / "kling-avatar"), "--help"]
        bare_import = [str(python), "-c", "import httpx"]
        overlay, bare, ratio, _ = paired(cli, bare_import, cwd, runs, whole=True)
        detail = f"{overlay * 1e3:6.1f} ms vs {bare * 1e3:6.1f} ms, whole processes"
        goals.at_most("kling-avatar --help / python -c 'import httpx'", ratio, 2.0, detail)


def main() -> int:
    args_parser = parser(__doc__)
    args_parser.add_argument("--calls", type=int, default=100, help="calls per round, in-process")
    args_parser.add_argument("--loopback-calls", type=int, default=20, help="calls per round, mock")
    args_parser.add_argument("--rounds", type=int, default=60, help="alternating rounds per side")
    args_parser.add_argument("--import-runs", type=int, default=9)
    args_parser.add_argument(
        "--wheel-from", type=Path, default=ROOT, help="the checkout to build the wheel from"
    )
    args_parser.add_argument(
        "--no-imports", action="store_true", help="only get_task (no wheel, no fresh venv)"
    )
    args = args_parser.parse_args()
    goals = Goals()
    in_process(goals, args.calls, args.rounds)
    loopback(goals, args.loopback_calls, args.rounds)
    if not args.no_imports:
        imports(goals, args.import_runs, args.wheel_from)
    return goals.finish(args.check)


if __name__ == "__main__":
    sys.exit(main())
