"""Before/after figures for the secrets item of issue 21, side by side in one run.

    python scripts/redact_figures.py --before main

Extracts the client (`overlay/`, `generated/`) of the `--before` commit with `git archive`, then
runs each scenario in a fresh interpreter whose `PYTHONPATH` selects the old or the current
client:

- the hostile session of `tests/hostile/test_hostile_recording_secrets.py` (the key echoed in
  every encoding, seven vendors' presigned URLs JSON-escaped, a body that is not UTF-8, a key
  across the cut), recorded; then the encodings of the secrets found in the recording (base64
  bodies decoded) and in the errors and the `kling_avatar` log;
- the redactor's time on a short provider string (what every Task field costs), on a 64 KiB JSON
  body (what the recorder does per answer), and on 1 MiB of hostile text (`sig` repeated), each
  the best of three. A run longer than LIMIT seconds is stopped and shown as `>LIMIT s`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
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
LIMIT = 120.0


def _best(run: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def child(scenario: str, scratch: str) -> dict[str, Any]:
    import hostile.test_hostile_recording_secrets as t
    from kling_avatar._redact import Redactor

    if scenario == "leaks":
        from kling_avatar import AvatarClient
        from kling_avatar._traffic import TrafficRecorder

        records: list[str] = []

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.name.startswith("kling_avatar"):
                    records.append(record.getMessage())

        logging.getLogger().addHandler(Keep())
        logging.getLogger().setLevel(logging.DEBUG)
        folder = Path(scratch)
        recording = folder / "traffic.jsonl"
        with t.hostile("crun") as server:
            recorder = TrafficRecorder(recording, max_body=t.PAD)
            options: dict[str, Any] = {"api_key": t.KEY, "base_url": server.url, "max_retries": 0}
            with AvatarClient("crun", record_traffic=recorder, **options) as client:
                shown = t.session(client, folder, "crun")
        return {
            "recording": len(t.found_in_recording(recording)),
            "shown": len(t.found("\n".join(map(str, shown)))) + len(t.found("\n".join(records))),
        }
    key = t.KEY
    redact = Redactor(key)
    short = f"task {key[:3]}-7f3a failed: the image could not be read (code 500)"
    body = json.dumps(
        {"code": 200, "data": [{"taskId": f"t{i}", "note": "x" * 40} for i in range(800)]}
    )
    body = body[: 64 * 1024]
    hostile = "a=b " + "sig" * (1024 * 1024 // 3)
    return {
        "short_us": round(_best(lambda: [redact(short) for _ in range(2000)]) / 2000 * 1e6, 1),
        "body_ms": round(_best(lambda: redact(body)) * 1000, 2),
        "hostile_s": round(_best(lambda: redact(hostile), 1), 2),
    }


def run_child(tree: Path, scenario: str) -> dict[str, Any]:
    path = os.pathsep.join([str(tree / "overlay"), str(tree / "generated"), str(ROOT / "tests")])
    with tempfile.TemporaryDirectory() as scratch:
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", scenario, "--scratch", scratch],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": path},
                timeout=LIMIT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"outcome": f">{LIMIT:g} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        return {"outcome": f"crashed: {tail[0][:60]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


ROWS: list[tuple[str, str, str]] = [
    ("secret encodings in the recording", "leaks", "recording"),
    ("secret encodings in errors, reprs, kling_avatar log", "leaks", "shown"),
    ("redact a short provider string (us)", "speed", "short_us"),
    ("redact a 64 KiB JSON body (ms)", "speed", "body_ms"),
    ("redact 1 MiB of 'sig' repeated (s)", "speed", "hostile_s"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--before", metavar="REF", help="the commit to compare with")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.scratch)))
        return
    trees: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if args.before:
            old = tree_at(args.before, Path(scratch) / "before")
            trees["before"] = old
        trees["after"] = ROOT
        results = {
            (name, scenario): run_child(tree, scenario)
            for name, tree in trees.items()
            for scenario in ("leaks", "speed")
        }
        print(f"{'item':54}" + "".join(f"{name:>16}" for name in trees))
        for label, scenario, field in ROWS:
            cells = []
            for name in trees:
                result = results[name, scenario]
                cells.append(str(result.get(field, result.get("outcome", "?"))))
            print(f"{label:54}" + "".join(f"{cell:>16.16}" for cell in cells), flush=True)


if __name__ == "__main__":
    main()
