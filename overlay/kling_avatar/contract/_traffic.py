"""Contract checks of recorded traffic: ``make contract-traffic FILE=traffic.jsonl``.

    kling-avatar contract traffic traffic.jsonl [--report-dir reports] [--fail-on-unseen]

The file is what a client recorded with ``record_traffic=`` (`kling_avatar._traffic`): one
exchange per line. Every exchange with an operation of a provider's spec is validated, request and
answer, with openapi-core; exchanges outside the specs (presigned uploads, video downloads)
are not, but a download of a task's result URL counts as that URL's probe. Then the exchanges
are grouped per task (its creation, every read, its downloads) and the lifecycle checks of
`_lifecycle.py` run over each sequence, and the balance reads around the tasks
are held against the costs they report. A coverage report of the answers seen is written next
to the suite's (``reports/contract-traffic-coverage.{md,json}``).

Exit status 1 when an exchange breaks its spec or a task its lifecycle.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit

import attrs
import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from kling_avatar._exceptions import AvatarError
from kling_avatar._providers import NOT_JSON, decode_json
from kling_avatar._registry import PROVIDERS

from ._capture import Callback
from ._coverage import Seen, coverage, seen_of, write_reports
from ._lifecycle import (
    SHAPES,
    Finding,
    Probe,
    Read,
    TaskRun,
    answered,
    callback_task,
    check_credits,
    check_task,
    run_result_urls,
    task_of,
)
from ._providers import facts
from ._spec import Operation, find_operation, load_spec

RECORDED_HOST = "http://recorded"


@attrs.frozen
class Exchange:
    """One recorded request and its answer (None when the request failed)."""

    line: int
    started: float
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None  # None: not recorded whole
    status: int | None
    response_headers: Mapping[str, str]
    response_body: bytes | None  # None: not recorded whole
    response_head: bytes  # the first recorded bytes, whole or not

    @classmethod
    def of(cls, request: httpx.Request, response: httpx.Response, line: int = 0) -> Exchange:
        return cls(
            line=line,
            started=0.0,
            method=request.method,
            url=str(request.url),
            request_headers=dict(request.headers),
            request_body=request.read(),
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.read(),
            response_head=response.content[:64],
        )

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    def json(self) -> Any:
        if self.response_body is None:
            return None
        return _json_or_none(self.response_body)

    def request_json(self) -> Any:
        return _json_or_none(self.request_body or b"")


# A line holds one exchange: two bodies of at most the recorder's ``max_body`` (64 KiB by
# default) each, JSON-escaped (up to six bytes per byte) or base64, plus headers. A longer
# line is refused as soon as it passes this, never read whole.
MAX_LINE_BYTES = 16 * 1024 * 1024
_READ_CHUNK = 64 * 1024


class TrafficFileError(AvatarError):
    """A traffic file that is not what ``record_traffic=`` writes; the message names the line."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(message)
        self.line = line


def _lines(file: BinaryIO, limit: int) -> Iterator[tuple[int, bytes]]:
    """Each line's number and bytes (without the newline), reading at most ``limit`` + 1 bytes
    of any one line into memory."""
    number = 0
    while True:
        line = file.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            raise TrafficFileError(
                f"line {number} is longer than {limit} bytes: not a recorded exchange",
                line=number,
            )
        yield number, line.rstrip(b"\r\n")


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _entry(number: int, raw: bytes) -> dict[str, Any]:
    def bad(why: str) -> TrafficFileError:
        return TrafficFileError(f"line {number}: {why}", line=number)

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad(f"not UTF-8 (byte {exc.start})") from None
    try:
        entry = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise bad("JSON nested too deep") from None
    except ValueError as exc:
        raise bad(f"not JSON ({exc})") from None
    if not isinstance(entry, dict):
        raise bad(f"a JSON {type(entry).__name__}, not an object")
    if entry.get("kind") == "callback":
        _number(entry, "received", bad, required=False)
        return entry
    _number(entry, "started", bad, required=False)
    request = entry.get("request")
    if not isinstance(request, dict):
        raise bad("no `request` object")
    _part(request, "request", bad)
    for field in ("method", "url"):
        if not isinstance(request.get(field), str) or not request[field]:
            raise bad(f"`request.{field}` is not a string")
    try:
        url = urlsplit(request["url"])
        url.port  # noqa: B018 (raises for a port that is no number)
    except ValueError as exc:
        raise bad(f"`request.url` is not a URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise bad("`request.url` is not an http(s) URL")
    response = entry.get("response")
    if response is not None:
        if not isinstance(response, dict):
            raise bad("`response` is neither an object nor null")
        _part(response, "response", bad)
        status = response.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise bad("`response.status` is not an HTTP status")
    return entry


def _number(
    entry: Mapping[str, Any], field: str, bad: Callable[[str], Exception], *, required: bool
) -> None:
    value = entry.get(field, None if required else 0)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise bad(f"`{field}` is not a number")
    if not math.isfinite(value):
        raise bad(f"`{field}` is not finite")


_UNSENDABLE = re.compile(r"[\r\n\x00]")


def _part(part: Mapping[str, Any], name: str, bad: Callable[[str], Exception]) -> None:
    headers = part.get("headers", {})
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise bad(f"`{name}.headers` is not an object of strings")
    if any(_UNSENDABLE.search(text) for item in headers.items() for text in item):
        # No HTTP client sends these (and the spec checks' header parser refuses them).
        raise bad(f"`{name}.headers` has a line break or NUL: not a header that was sent")
    if "body_base64" in part:
        encoded = part["body_base64"]
        if not isinstance(encoded, str):
            raise bad(f"`{name}.body_base64` is not a string")
        try:
            base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise bad(f"`{name}.body_base64` is not base64") from None
    elif not isinstance(part.get("body", ""), str):
        raise bad(f"`{name}.body` is not a string")
    if not isinstance(part.get("truncated", False), bool):
        raise bad(f"`{name}.truncated` is not true or false")


def _json_or_none(data: bytes) -> Any:
    body = decode_json(data)
    return None if body is NOT_JSON else body


def _body(part: Mapping[str, Any]) -> tuple[bytes | None, bytes]:
    if "body_base64" in part:
        data = base64.b64decode(part["body_base64"])
    else:
        data = str(part.get("body", "")).encode("utf-8")
    return (None if part.get("truncated") else data), data[:64]


def load(
    path: Path, *, max_line_bytes: int = MAX_LINE_BYTES
) -> tuple[list[Exchange], list[tuple[float, Any]]]:
    """The exchanges of a traffic file, and any callbacks recorded in it (kind "callback").

    A line that is not a recorded exchange or callback raises :class:`TrafficFileError`
    naming it; no line longer than ``max_line_bytes`` is read whole.
    """
    exchanges: list[Exchange] = []
    callbacks: list[tuple[float, Any]] = []
    with path.open("rb") as file:
        for number, line in _lines(file, max_line_bytes):
            if not line.strip():
                continue
            entry = _entry(number, line)
            if entry.get("kind") == "callback":
                callbacks.append((float(entry.get("received", 0)), entry.get("body")))
                continue
            request, response = entry["request"], entry.get("response")
            request_body, _ = _body(request)
            response_body, head = _body(response) if response else (None, b"")
            exchanges.append(
                Exchange(
                    line=number,
                    started=float(entry.get("started", 0)),
                    method=request["method"],
                    url=request["url"],
                    request_headers=request.get("headers", {}),
                    request_body=request_body,
                    status=response["status"] if response else None,
                    response_headers=response.get("headers", {}) if response else {},
                    response_body=response_body,
                    response_head=head,
                )
            )
    return exchanges, callbacks


# -- validation with openapi-core ---------------------------------------------------------------


@cache
def _openapi(provider: str) -> OpenAPI:
    """The provider's spec with every server made relative to one placeholder host."""
    spec = copy.deepcopy(load_spec(provider))

    def relative(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "servers" and isinstance(value, list):
                    for server in value:
                        server["url"] = RECORDED_HOST + urlsplit(server["url"]).path
                else:
                    relative(value)
        elif isinstance(node, list):
            for value in node:
                relative(value)

    relative(spec)
    return OpenAPI.from_dict(spec)


@attrs.define
class _Request:
    """openapi-core's request protocol over a recorded request."""

    host_url: str
    path: str
    method: str
    body: bytes | None
    content_type: str
    parameters: RequestParameters


@attrs.frozen
class _Response:
    status_code: int
    data: bytes
    headers: Headers
    content_type: str


def validate_exchange(
    exchange: Exchange, op: Operation, *, check_request: bool = True
) -> list[str]:
    """What in the exchange breaks ``op``'s spec: its request and its answer; [] when nothing."""
    api = _openapi(op.provider)
    base = op.base_of(exchange.method, exchange.path) or ""
    headers = Headers(dict(exchange.request_headers))
    request = _Request(
        host_url=RECORDED_HOST,
        path=exchange.path[len(base) :],
        method=exchange.method.lower(),
        body=exchange.request_body,
        content_type=headers.get("content-type", ""),
        parameters=RequestParameters(
            query=ImmutableMultiDict(list(exchange.query.items())),
            header=headers,
            cookie=ImmutableMultiDict(),
        ),
    )
    problems = []
    if check_request and exchange.request_body is not None:
        problems += _errors("request", lambda: api.validate_request(request))
    if exchange.status is not None and exchange.response_body is not None:
        response_headers = Headers(dict(exchange.response_headers))
        response = _Response(
            status_code=exchange.status,
            data=exchange.response_body,
            headers=response_headers,
            content_type=response_headers.get("content-type", "application/json"),
        )
        problems += _errors("answer", lambda: api.validate_response(request, response))
    return problems


def _errors(what: str, validate: Any) -> list[str]:
    try:
        validate()
    except Exception as exc:  # openapi-core's validation errors share no narrower base
        causes = [
            str(getattr(error, "message", error))
            for error in getattr(exc.__cause__, "schema_errors", ())
        ]
        return [f"{what}: {exc}" if not causes else f"{what}: {'; '.join(causes)}"]
    return []


# -- lifecycle over the recorded sequence ---------------------------------------------------


@attrs.frozen
class Verdict:
    exchanges: int
    validated: int
    outside: int  # exchanges no spec operation matches (uploads to presigned URLs, downloads)
    violations: tuple[str, ...]
    findings: tuple[Finding, ...]
    seen: tuple[Seen, ...]
    tasks: int

    @property
    def ok(self) -> bool:
        return not self.violations and not self.findings


def verify(exchanges: Sequence[Exchange], callbacks: Sequence[tuple[float, Any]] = ()) -> Verdict:
    violations: list[str] = []
    seen: list[Seen] = []
    matched: list[tuple[Exchange, Operation]] = []
    outside: list[Exchange] = []
    for exchange in exchanges:
        found = find_operation(exchange.method, exchange.path)
        if found is None:
            outside.append(exchange)
            continue
        op = found[0]
        matched.append((exchange, op))
        if exchange.status is not None:
            seen.append(
                seen_of(op.provider, op.operation_id, exchange.status, exchange.json(), "traffic")
            )
        for problem in validate_exchange(exchange, op):
            violations.append(
                f"line {exchange.line}: {op.provider} {op.operation_id} "
                f"({exchange.method} {exchange.url}, HTTP {exchange.status}): {problem}"
            )
    runs, findings = _lifecycles(matched, outside, callbacks)
    return Verdict(
        exchanges=len(exchanges),
        validated=len(matched),
        outside=len(outside),
        violations=tuple(violations),
        findings=tuple(findings),
        seen=tuple(seen),
        tasks=len(runs),
    )


def _lifecycles(
    matched: Sequence[tuple[Exchange, Operation]],
    outside: Sequence[Exchange],
    callbacks: Sequence[tuple[float, Any]],
) -> tuple[list[TaskRun], list[Finding]]:
    runs: dict[tuple[str, str], TaskRun] = {}
    balances: dict[str, list[tuple[float, float]]] = {}
    for exchange, op in matched:
        shape = SHAPES[op.provider]
        body = exchange.json()
        if exchange.status is None:
            continue
        if op.operation_id in facts(op.provider).creations:
            task_id = (answered(shape, exchange.status, body) or {}).get(shape.created_id)
            if isinstance(task_id, str) and task_id:
                runs[(op.provider, task_id)] = TaskRun(
                    op.provider, task_id, exchange.started, reads=(), probed=False
                )
        elif op.operation_id in (shape.read, shape.result):
            task_id = _task_id(exchange, op, shape.id_param)
            run = runs.get((op.provider, task_id)) or TaskRun(
                op.provider, task_id, float("-inf"), reads=(), probed=False
            )
            read = Read(exchange.started, exchange.status, body)
            if op.operation_id == shape.read:
                run = attrs.evolve(run, reads=(*run.reads, read))
            else:
                run = attrs.evolve(run, result=read)
            runs[(op.provider, task_id)] = run
        elif op.operation_id == shape.balance:
            value: Any = body
            for part in shape.balance_path:
                value = value.get(part) if isinstance(value, Mapping) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                balances.setdefault(op.provider, []).append((exchange.started, float(value)))
    findings: list[Finding] = []
    finished: list[TaskRun] = []
    for (provider, _), run in runs.items():
        if not run.reads:
            continue  # created, never read: the service may poll elsewhere
        shape = SHAPES[provider]
        final = next(
            (task for read in reversed(run.reads) if (task := task_of(shape, read)) is not None),
            None,
        )
        urls = set(run_result_urls(shape, run, final or {}))
        downloads = [e for e in outside if e.method == "GET" and e.url in urls]
        probes = tuple(
            Probe(
                e.url,
                e.status,
                e.response_headers.get("content-type", "").split(";")[0].strip(),
                e.response_head,
                "" if e.status is not None else "no answer",
            )
            for e in downloads
        )
        carried = tuple(
            Callback(body) for _, body in callbacks if _callback_id(provider, body) == run.task_id
        )
        run = attrs.evolve(run, probes=probes, probed=bool(probes), callbacks=carried)
        findings += check_task(run)
        finished.append(run)
    for provider, reads in balances.items():
        findings += _credits(
            provider, sorted(reads), [r for r in finished if r.provider == provider]
        )
    return finished, findings


def _task_id(exchange: Exchange, op: Operation, name: str) -> str:
    """The task id a call about one task names: in its path, or in its query."""
    if op.takes_in_path(name):
        return op.path_params(exchange.method, exchange.path).get(name, "")
    return exchange.query.get(name, "")


def _callback_id(provider: str, body: Any) -> object:
    return (callback_task(provider, body) or {}).get(SHAPES[provider].created_id)


def _credits(
    provider: str, balances: list[tuple[float, float]], runs: list[TaskRun]
) -> list[Finding]:
    """Balance before the first creation against the balance after every task has ended."""
    created = [run.created_at for run in runs if run.created_at != float("-inf")]
    if not created or len(created) != len(runs):
        return []
    ended = max(run.reads[-1].at for run in runs)
    before = [value for at, value in balances if at <= min(created)]
    after = [value for at, value in balances if at >= ended]
    if not before or not after:
        return []
    return check_credits(provider, before[-1], after[0], runs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--report-dir", type=Path, default=Path("reports"))
    parser.add_argument(
        "--fail-on-unseen",
        action="store_true",
        help="also fail when an operation in the traffic never gave one of its documented answers",
    )
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"no traffic file at {args.file}")
    try:
        exchanges, callbacks = load(args.file)
    except TrafficFileError as exc:
        print(f"{args.file}: {exc.message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{args.file}: cannot read it ({exc.strerror or exc})", file=sys.stderr)
        return 2
    verdict = verify(exchanges, callbacks)
    for violation in verdict.violations:
        print(f"SPEC  {violation}")
    for finding in verdict.findings:
        print(f"LIFECYCLE  {finding}")
    cov = coverage(verdict.seen, PROVIDERS)
    write_reports(cov, args.report_dir, "contract-traffic-coverage")
    used = [op for op in cov.operations if op.seen]
    unseen = [(op, a) for op in used for a in op.missing]
    state = "passed" if verdict.ok else "FAILED"
    print(
        f"traffic {state}: {verdict.exchanges} exchanges, {verdict.validated} validated against "
        f"the specs, {verdict.outside} outside them; {len(verdict.violations)} spec violations; "
        f"{verdict.tasks} tasks followed, {len(verdict.findings)} lifecycle findings; "
        f"coverage {cov.seen}/{cov.documented} documented answers "
        f"({args.report_dir / 'contract-traffic-coverage.md'})"
    )
    failed = not verdict.ok or (args.fail_on_unseen and bool(unseen))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
