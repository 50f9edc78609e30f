"""What the overlay's benchmarks share: the mock in its own process, CPU clocks, the report.

Every figure is printed next to its goal; a missed goal makes the script exit non-zero only
with `--check` (the machine is shared, so a number is information, not a verdict by default).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "ak_bench_0123456789abcdef0123456789"
_TICKS = os.sysconf("SC_CLK_TCK")


def parser(doc: str | None) -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    result.add_argument(
        "--check", action="store_true", help="exit 1 when a goal is missed (default: report only)"
    )
    return result


class Goals:
    """Collects each measured figure with its goal and prints it as it comes."""

    def __init__(self) -> None:
        self.missed: list[str] = []

    def at_most(self, label: str, value: float, goal: float, detail: str = "") -> bool:
        return self._line(label, value, f"<= {goal:g}", value <= goal, detail)

    def at_least(self, label: str, value: float, goal: float, detail: str = "") -> bool:
        return self._line(label, value, f">= {goal:g}", value >= goal, detail)

    def _line(self, label: str, value: float, goal: str, ok: bool, detail: str) -> bool:
        if not ok:
            self.missed.append(label)
        detail = f"  {detail}" if detail else ""
        print(f"  {label:<44} {value:8.2f}  (goal {goal}) {'ok' if ok else 'MISSED'}{detail}")
        return ok

    def finish(self, check: bool) -> int:
        if self.missed:
            print(f"goals missed: {', '.join(self.missed)}")
        else:
            print("all goals met")
        return 1 if check and self.missed else 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def own_cpu() -> float:
    """CPU seconds (user + system) of this process, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def mock_process(extra: Sequence[str] = ()) -> Iterator[tuple[str, int]]:
    """The mock in its own process, as `make mock` runs it (its CPU is not this one's GIL);
    yields its base URL and pid."""
    port = free_port()
    env = {**os.environ, "CRUN_API_KEY": KEY, "APIKLEY_API_KEY": KEY}
    command = [sys.executable, "-m", "kling_avatar.testing", "--port", str(port), *extra]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the mock server did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def tree_at(ref: str, into: Path, folders: Sequence[str] = ("overlay", "generated")) -> Path:
    """The given folders as commit ``ref`` had them, in ``into`` (for before/after figures)."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, *folders], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into
