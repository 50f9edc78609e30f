"""Prism's validation proxy, reading each spec, flags a wrong answer for every operation.

    python -m scripts.spectools.prism_proxy_check [--prism node_modules/.bin/prism]

For each spec, one `prism proxy` is started (on 127.0.0.1) in front of a small upstream of our
own, also on 127.0.0.1. For every operation of the spec, the upstream answers twice: once with
the operation's own example (Prism must report no violation of the response body) and once with
that example's envelope `data`, or its whole body where there is no envelope (fal), replaced by
a value of the wrong JSON type (Prism must report one, in its `sl-violations` header). A spec
Prism cannot compile passes every answer, so this is what shows the specs are usable by Prism.
Exits 1, naming the operations, when any check fails.
"""

from __future__ import annotations

import argparse
import http.server
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from kling_avatar._yaml import safe_load

from scripts.generate import PROVIDERS
from scripts.specdiff._resolve import dereference

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "put", "post", "delete", "patch")
# A value for each path parameter; any other parameter gets "sample-1".
PATH_VALUES = {"model": "kling-avatar"}
ANSWER_HEADER = "x-check-answer"  # the upstream's switch: "right" or "wrong"


def wrong(value: Any) -> Any:
    """A JSON value of another type than ``value``."""
    if isinstance(value, dict):
        return ["not", "an", "object"]
    if isinstance(value, bool | int | float):
        return "lots"
    if isinstance(value, str):
        return 42
    return {"unexpected": True}


def wrong_answer(right: Any) -> Any:
    """``right`` with its envelope's ``data`` of the wrong type, or all of it without one."""
    if isinstance(right, dict) and "data" in right:
        return {**right, "data": wrong(right["data"])}
    return wrong(right)


def cases(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """(operationId, method, request path, the right answer) for each operation."""
    spec = dereference(spec)
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            content = op["responses"]["200"]["content"]["application/json"]
            examples = content.get("examples") or {}
            right = next(iter(examples.values()))["value"] if examples else content["example"]
            concrete = re.sub(
                r"\{(\w+)\}", lambda found: PATH_VALUES.get(found[1], "sample-1"), path
            )
            yield op["operationId"], method.upper(), concrete, right


class Upstream(http.server.ThreadingHTTPServer):
    answers: dict[tuple[str, str], Any]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Upstream

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        path = self.path.split("?", 1)[0]
        right = self.server.answers.get((self.command, path))
        if right is None:
            self.send_error(404)
            return
        body = wrong_answer(right) if self.headers.get(ANSWER_HEADER) == "wrong" else right
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_prism(prism: str, spec_file: Path, upstream: str) -> Iterator[str]:
    port = free_port()
    command = [prism, "proxy", str(spec_file), upstream, "-h", "127.0.0.1", "-p", str(port)]
    # Only the answers are checked here; the requests are whatever reaches each operation.
    command += ["--validate-request", "false"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                out = process.stdout.read() if process.stdout else ""
                raise SystemExit(f"prism exited before listening:\n{out}")
            try:
                httpx.get(base + "/", timeout=2)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("prism did not start listening within 60 s") from None
                time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def body_violations(response: httpx.Response) -> list[str]:
    raw = response.headers.get("sl-violations")
    found = json.loads(raw) if raw else []
    return [v["message"] for v in found if v.get("location", [])[:2] == ["response", "body"]]


def check_spec(prism: str, spec_file: Path) -> list[tuple[str, str, str]]:
    """(operationId, right answer's verdict, wrong answer's verdict) per operation."""
    spec = safe_load(spec_file.read_text())
    table = list(cases(spec))
    upstream = Upstream(("127.0.0.1", 0), _Handler)
    upstream.answers = {(method, path): right for _, method, path, right in table}
    thread = threading.Thread(target=upstream.serve_forever, daemon=True)
    thread.start()
    results = []
    try:
        with (
            running_prism(prism, spec_file, f"http://127.0.0.1:{upstream.server_port}") as base,
            httpx.Client(base_url=base, timeout=30) as client,
        ):
            for operation_id, method, path, _ in table:
                verdicts = []
                for answer in ("right", "wrong"):
                    # A GET with a body is not forwarded as one (Prism answers it itself).
                    response = client.request(
                        method,
                        path,
                        headers={ANSWER_HEADER: answer},
                        json={} if method == "POST" else None,
                    )
                    violations = body_violations(response)
                    verdicts.append(f"flagged ({violations[0]})" if violations else "passed")
                results.append((operation_id, verdicts[0], verdicts[1]))
    finally:
        upstream.shutdown()
        upstream.server_close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prism", default=str(ROOT / "node_modules" / ".bin" / "prism"))
    parser.add_argument("--specs", type=Path, default=ROOT / "specs", help="folder of the specs")
    args = parser.parse_args(argv)
    failures = 0
    for name in PROVIDERS:
        for operation_id, right, wrong_verdict in check_spec(
            args.prism, args.specs / f"{name}.yaml"
        ):
            ok = right == "passed" and wrong_verdict.startswith("flagged")
            failures += not ok
            mark = "ok  " if ok else "FAIL"
            print(
                f"{mark} {name} {operation_id}: right answer {right}; wrong answer {wrong_verdict}"
            )
    print(f"prism-proxy: {failures} operation(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
