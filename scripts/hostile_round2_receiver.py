"""Before/after figures for issue 21's receiver and service items, side by side in one run.

    python scripts/hostile_round2_receiver.py --before main

Extracts `overlay/`, `generated/` and `examples/` of the `--before` commit with `git archive`,
then runs each scenario against the old tree and the current one, each in its own interpreter
whose `PYTHONPATH` selects the tree, on 127.0.0.1:

- header flood: the reference service in its own process; 12 connections each send up to 64 MB
  of headers (stopping when the service closes them); its RSS before, at the peak (VmHWM) and
  two seconds after;
- slow headers: 100 connections dribbling a header line every 0.5 s to the service (default
  settings); how long the service keeps them open (cut at LIMIT s);
- forged flood: 120 forged callbacks (unknown task ids, one leaked URL) to a Receiver whose
  blocking client reads from a provider that takes 2 s per read of an unknown id; how long the
  real callback, posted once all of them have arrived, takes to be answered (cut at LIMIT s).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file: `scripts._bench` importable
from scripts._bench import tree_at  # noqa: E402

LIMIT = 40.0
FLOOD_CONNECTIONS = 12
FLOOD_BYTES = 64 * 1024 * 1024
SLOW_CONNECTIONS = 100
FORGED = 120
PROVIDER_READ = 2.0


# --- the service, in its own process ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(tree: Path) -> tuple[subprocess.Popen[bytes], int]:
    import httpx

    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{tree / 'overlay'}:{tree / 'generated'}"}
    process = subprocess.Popen(
        [sys.executable, str(tree / "examples" / "service" / "app.py"), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.1)


def memory(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) // 1024  # MB
    return found


def header_flood(tree: Path) -> dict[str, Any]:
    process, port = start_service(tree)
    try:
        before = memory(process.pid)["VmRSS"]
        line = b"X-Pad: " + b"a" * (64 * 1024 - 9) + b"\r\n"
        sent = [0] * FLOOD_CONNECTIONS

        def flood(index: int) -> None:
            with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as sock:
                try:
                    sock.sendall(b"GET /videos/x HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    while sent[index] < FLOOD_BYTES:
                        sock.sendall(line)
                        sent[index] += len(line)
                except OSError:
                    return  # closed by the service

        with ThreadPoolExecutor(FLOOD_CONNECTIONS) as pool:
            list(pool.map(flood, range(FLOOD_CONNECTIONS)))
        time.sleep(2.0)
        after = memory(process.pid)
        return {
            "rss_before_mb": before,
            "rss_peak_mb": after["VmHWM"],
            "rss_after_mb": after["VmRSS"],
            "sent_mb": round(sum(sent) / 2**20),
        }
    finally:
        process.terminate()
        process.wait(10)


def slow_headers(tree: Path) -> dict[str, Any]:
    process, port = start_service(tree)
    socks: list[socket.socket] = []
    try:
        started = time.monotonic()
        for _ in range(SLOW_CONNECTIONS):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /videos/x HTTP/1.1\r\n")
            socks.append(sock)
        open_, closed_after = list(socks), []
        while open_ and time.monotonic() - started < LIMIT:
            for sock in list(open_):
                try:
                    sock.sendall(b"X-A: b\r\n")
                except OSError:
                    open_.remove(sock)
                    closed_after.append(time.monotonic() - started)
            readable, _, _ = select.select(open_, [], [], 0.5)
            for sock in readable:
                try:
                    gone = sock.recv(4096) == b""
                except OSError:
                    gone = True
                if gone:
                    open_.remove(sock)
                    closed_after.append(time.monotonic() - started)
        return {
            "closed": len(closed_after),
            "still_open": len(open_),
            "longest_s": round(max(closed_after), 1) if not open_ else f">{LIMIT:g}",
        }
    finally:
        for sock in socks:
            sock.close()
        process.terminate()
        process.wait(10)


# --- the receiver, in a child interpreter with the chosen tree ---------------------------------


def forged_flood() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    import httpx
    from hostile.provider import KEY, asked_id, routes, task_data
    from hostile.server import HostileServer, Request, envelope
    from kling_avatar import AvatarClient, Receiver
    from kling_avatar._serving import serve

    def status(request: Request) -> Iterator[bytes | float]:
        task_id = asked_id("crun", request)
        if task_id == "real-task":
            yield envelope(task_data("crun", task_id, "success"))
            return
        yield PROVIDER_READ
        yield envelope(None, code=404, message="task not found")

    with HostileServer(routes("crun", status=status)) as provider:
        client = AvatarClient(
            "crun", api_key=KEY, base_url=provider.url, max_retries=0, timeout=60.0
        )
        receiver = Receiver("http://127.0.0.1:1", secret=secrets.token_urlsafe(24))
        receiver.add_client(client)
        arrived = [0]

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            arrived[0] += scope["type"] == "http"
            await receiver(scope, receive, send)

        with serve(counting) as url, ThreadPoolExecutor(FORGED) as pool:
            receiver.public_url = url
            leaked, real = receiver.callback_url("crun"), receiver.callback_url("crun")
            forged = [
                pool.submit(
                    httpx.post,
                    leaked,
                    json={"task_id": f"forged-{i}", "status": "success"},
                    timeout=LIMIT + 60,
                )
                for i in range(FORGED)
            ]
            deadline = time.monotonic() + LIMIT
            while arrived[0] < FORGED and time.monotonic() < deadline:
                time.sleep(0.01)  # every forged callback is in before the real one
            started = time.monotonic()
            try:
                answer = httpx.post(
                    real, json={"task_id": "real-task", "status": "success"}, timeout=LIMIT
                )
                outcome: Any = answer.status_code
                delay: Any = round(time.monotonic() - started, 2)
            except httpx.TimeoutException:
                outcome, delay = "timeout", f">{LIMIT:g}"
            statuses: dict[str, int] = {}
            for future in forged:
                try:
                    key = str(future.result().status_code)
                except httpx.HTTPError as error:
                    key = type(error).__name__
                statuses[key] = statuses.get(key, 0) + 1
        client.close()
    return {"real_status": outcome, "real_delay_s": delay, "forged_answers": statuses}


def in_child(tree: Path, scenario: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tree / "overlay"), str(tree / "generated"), str(ROOT)]),
    }
    done = subprocess.run(
        [sys.executable, __file__, "--child", scenario],
        env=env,
        capture_output=True,
        text=True,
        timeout=LIMIT + 180,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the table ---------------------------------------------------------------------------------


def extract(ref: str, into: Path) -> Path:
    return tree_at(ref, into, ["overlay", "generated", "examples"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="main", help="the commit to compare with")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(forged_flood()))
        return
    with tempfile.TemporaryDirectory() as folder:
        old = extract(args.before, Path(folder))
        rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for name, run in (("header flood", header_flood), ("slow headers", slow_headers)):
            results = {}
            for label, tree in (("before", old), ("after", ROOT)):
                print(f"{name}, {label} ...", file=sys.stderr, flush=True)
                results[label] = run(tree)
            rows.append((name, results["before"], results["after"]))
        results = {}
        for label, tree in (("before", old), ("after", ROOT)):
            print(f"forged flood, {label} ...", file=sys.stderr, flush=True)
            results[label] = in_child(tree, "forged")
        rows.append(("forged flood", results["before"], results["after"]))
    print(f"{'scenario':<14} {'figure':<16} {'before (' + args.before + ')':>22} {'after':>22}")
    for name, before, after in rows:
        for key in [*before, *(k for k in after if k not in before)]:
            shown = [json.dumps(side.get(key, "-")) for side in (before, after)]
            print(f"{name:<14} {key:<16} {shown[0]:>22} {shown[1]:>22}")


if __name__ == "__main__":
    main()
