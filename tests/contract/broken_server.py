"""A deliberately broken provider: the mock behind a proxy that breaks one operation per fault.

The proxy forwards every request to a faithful mock and spoils the answers of one operation per
fault, so a contract suite run against it must report exactly those operations:

- a field of the wrong type (a number answered as a string),
- a missing field (of the envelope, or of fal's bare answer),
- invalid input accepted (an error turned into a success),
- auth ignored (every request forwarded with the right key),
- valid input rejected (every answer turned into a 422), for Apikley and fal only: on crun the
  one operation left is task creation, which the stateful phase needs.

With :class:`LifecycleFaults` it breaks the job instead, with answers that each stay
spec-valid: a finished task reads as running again, result URLs are dead, callbacks leave the
spec's ``callbacks`` schema, any account's key reads every task. For that the proxy puts itself
in the path of the result URLs (answers name the proxy, not the mock) and of the callbacks (it
relays them).

It is a Starlette app served by uvicorn on 127.0.0.1, like the mock itself.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import attrs
import httpx
from kling_avatar._inputs import is_loopback_url
from kling_avatar._serving import serve as serve  # the proxy is served as the mock is
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@attrs.frozen
class Faults:
    """Which operation (by path) gets which fault, for one provider."""

    wrong_type: str  # path whose answer's `wrong_type_path` is answered as a string
    wrong_type_path: tuple[str, ...]
    missing_field: str  # path whose answer loses its top-level `missing_field_name`
    missing_field_name: str
    accepts_invalid: str  # path whose error answers become successes
    accepted_body: dict[str, Any]
    ignores_auth: str  # path that never checks the key
    auth_header: str
    auth_value: str
    rejects_valid: str | None = None  # path whose every answer is a 422
    # Whether answers are the envelope (errors as HTTP 200 with a body `code`); False: errors
    # are HTTP statuses and the bodies bare (fal).
    envelope: bool = True

    def rejection(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of a 422 in the provider's way."""
        if self.envelope:
            return 200, {"code": 422, "msg": "file is invalid", "data": None}
        return 422, {"detail": [{"loc": ["body"], "msg": "file is invalid", "type": "value_error"}]}


def crun_faults(key: str) -> Faults:
    return Faults(
        wrong_type="/api/v1/client/account/balance",
        wrong_type_path=("data", "balance"),
        missing_field="/api/v1/client/job/TaskInfo",
        missing_field_name="message",
        accepts_invalid="/api/v1/client/job/EstimateTask",
        accepted_body={
            "code": 200,
            "message": "success",
            "data": {"estimated_credits": 2, "balance": 50, "affordable": True},
        },
        ignores_auth="/api/v1/client/files/upload-url",
        auth_header="x-api-key",
        auth_value=key,
    )


def apikley_faults(key: str) -> Faults:
    return Faults(
        wrong_type="/api/v1/chat/credit",
        wrong_type_path=("data",),
        missing_field="/api/v1/jobs/recordInfo",
        missing_field_name="code",
        accepts_invalid="/api/v1/common/download-url",
        accepted_body={"code": 200, "msg": "success", "data": "https://tempfile.apikley.ru/a.mp4"},
        ignores_auth="/file-upload/api/file-base64-upload",
        auth_header="authorization",
        auth_value=f"Bearer {key}",
        rejects_valid="/file-upload/api/file-stream-upload",
    )


def fal_faults(key: str) -> Faults:
    return Faults(
        wrong_type="/.well-known/jwks.json",
        wrong_type_path=("keys",),
        missing_field="/storage/upload/initiate",
        missing_field_name="file_url",
        accepts_invalid="/fal-ai/kling-video/v1/pro/ai-avatar",
        accepted_body={"status": "IN_QUEUE", "request_id": "r-accepted"},
        ignores_auth="/fal-ai/kling-video/v1/standard/ai-avatar",
        auth_header="authorization",
        auth_value=f"Key {key}",
        rejects_valid="/fal-ai/kling-video/ai-avatar/v2/pro",
        envelope=False,
    )


def faults_of(provider: str, key: str) -> Faults:
    """The faults of ``provider``'s broken server, which forwards with ``key``."""
    return {"crun": crun_faults, "apikley": apikley_faults, "fal": fal_faults}[provider](key)


def auth_header(provider: str, key: str) -> tuple[str, str]:
    """(header, value) carrying ``key`` to ``provider``, as its clients send it."""
    return {
        "crun": ("x-api-key", key),
        "apikley": ("Authorization", f"Bearer {key}"),
        "fal": ("Authorization", f"Key {key}"),
    }[provider]


@attrs.frozen
class LifecycleFaults:
    """Breaks of the job whose every answer still matches the spec."""

    regress: bool = False  # a task read after it finished reads as running again
    dead_results: bool = False  # result URLs answer 404
    bad_callback: bool = False  # callbacks arrive off the spec's callbacks schema
    # (header, value): task reads go upstream with this key whatever key they came with, so
    # every account reads every task.
    reads_as: tuple[str, str] | None = None


@attrs.frozen
class _Reads:
    """A provider's task read: the field holding the id and the state (in the envelope's
    `data`, or the bare answer), a running state, the terminal ones."""

    id_field: str | None  # None: the id is in the path
    state_field: str
    running: str
    terminal: tuple[str, ...]
    envelope: bool = True
    running_status: int = 200  # the HTTP status a running task reads with


# Each provider's read path (a regular expression; fal's holds the request id).
_READS = {
    "/api/v1/client/job/TaskInfo": _Reads("task_id", "status", "running", ("success", "failed")),
    "/api/v1/jobs/recordInfo": _Reads("taskId", "state", "generating", ("success", "fail")),
    "/fal-ai/kling-video/requests/(?P<id>[^/]+)/status": _Reads(
        None, "status", "IN_PROGRESS", ("COMPLETED",), envelope=False, running_status=202
    ),
}
_CALLBACK_FIELDS = ("callback_url", "callBackUrl")  # in the creation's body
_CALLBACK_PARAMETERS = ("fal_webhook",)  # in the creation's query


def _reads(path: str) -> tuple[_Reads, str | None] | None:
    """The read ``path`` is, and the id it names (None when the id is in the body)."""
    for pattern, reads in _READS.items():
        match = re.fullmatch(pattern, path)
        if match is not None:
            return reads, match.groupdict().get("id")
    return None


# Hop-by-hop and length headers are the proxy's own business.
_DROPPED = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


def broken_app(
    upstream: str, faults: Faults | None = None, lifecycle: LifecycleFaults | None = None
) -> Starlette:
    client = httpx.AsyncClient(timeout=30)
    lifecycle = lifecycle or LifecycleFaults()
    finished: set[str] = set()  # tasks read as finished once
    # In the path of result URLs and callbacks only when a break needs it, so that the
    # callbacks and the answers always name the same URLs.
    in_path = lifecycle.dead_results or lifecycle.bad_callback

    async def forward(request: Request) -> Response:
        path = request.url.path
        own = str(request.base_url).rstrip("/")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
        if faults is not None and path == faults.ignores_auth:
            headers = {k: v for k, v in headers.items() if k.lower() != faults.auth_header}
            headers[faults.auth_header] = faults.auth_value
        if lifecycle.reads_as is not None and _reads(path) is not None:
            name, value = lifecycle.reads_as
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name] = value
        if lifecycle.dead_results and path.startswith("/media/results/"):
            return Response(b"gone", status_code=404, media_type="text/plain")
        content = await request.body()
        query = request.scope["query_string"].decode("latin-1")
        if in_path and request.method == "POST":
            content = _relay_callbacks(content, own)
            query = _relay_parameters(query, own)
        # The path and query go upstream byte for byte, however odd the generated values are.
        target = request.scope["raw_path"].decode("latin-1")
        if query:
            target += "?" + query
        answer = await client.request(
            request.method, upstream + target, headers=headers, content=content
        )
        content = answer.content
        status = answer.status_code
        body = _json(content)
        if isinstance(body, dict):
            if faults is not None:
                status, body = _spoil(path, status, body, faults)
            if lifecycle.regress:
                status = _regress(path, status, body, finished)
            content = json.dumps(body).encode()
            if in_path:  # result URLs name the proxy, so it answers them (or not)
                content = content.replace(upstream.encode(), own.encode())
        out_headers = {k: v for k, v in answer.headers.items() if k.lower() not in _DROPPED}
        return Response(content, status_code=status, headers=out_headers)

    async def relay(request: Request) -> Response:
        """A callback from the mock, spoiled and passed on to the URL the caller gave."""
        body = _json(await request.body())
        own = str(request.base_url).rstrip("/")
        if isinstance(body, dict) and lifecycle.bad_callback:
            if isinstance(body.get("data"), dict):
                body["data"].pop("state", None)  # Apikley: the record without its state
                body["code"] = 299
            else:
                body["status"] = "finished"  # crun and fal: a state the enum does not have
        content = json.dumps(body).encode().replace(upstream.encode(), own.encode())
        # The callback's own headers go along (fal signs its webhooks in them).
        passed = {k: v for k, v in request.headers.items() if k.lower() not in _DROPPED}
        to = request.query_params["to"]
        # Like the mock, it contacts this machine only: a generated host name costs a DNS
        # lookup, which takes seconds where there is no network.
        if not is_loopback_url(to):
            return Response(b"{}", status_code=502, media_type="application/json")
        await client.post(to, content=content, headers=passed)
        return Response(b"{}", media_type="application/json")

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]
    return Starlette(
        routes=[
            Route("/contract-relay", relay, methods=["POST"]),
            Route("/{path:path}", forward, methods=methods),
        ]
    )


def _relay_parameters(query: str, own: str) -> str:
    """The query with each callback URL parameter pointed at the relay."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name in _CALLBACK_PARAMETERS for name, _ in pairs):
        return query
    return urlencode(
        [
            (name, f"{own}/contract-relay?to={quote(value, safe='')}")
            if name in _CALLBACK_PARAMETERS
            else (name, value)
            for name, value in pairs
        ]
    )


def _relay_callbacks(content: bytes, own: str) -> bytes:
    body = _json(content)
    if not isinstance(body, dict):
        return content
    for field in _CALLBACK_FIELDS:
        if isinstance(body.get(field), str):
            body[field] = f"{own}/contract-relay?to={quote(body[field], safe='')}"
    return json.dumps(body).encode()


def _regress(path: str, status: int, body: dict[str, Any], finished: set[str]) -> int:
    """The HTTP status of a read answer, which is made to read as running again (with the
    status a running task reads with) when its task was read as finished before."""
    found = _reads(path)
    if found is None:
        return status
    reads, path_id = found
    task = body.get("data") if reads.envelope else body
    if not isinstance(task, dict):
        return status
    task_id = path_id if reads.id_field is None else task.get(reads.id_field)
    if task.get(reads.state_field) in reads.terminal:
        if task_id in finished:
            task[reads.state_field] = reads.running
            for name in ("error", "error_type", "metrics"):  # a finished fal request's own
                task.pop(name, None)
            return reads.running_status
        finished.add(str(task_id))
    return status


def _spoil(
    path: str, status: int, body: dict[str, Any], faults: Faults
) -> tuple[int, dict[str, Any]]:
    succeeded = body.get("code") == 200 if faults.envelope else status == 200
    if path == faults.wrong_type and succeeded:
        *parents, last = faults.wrong_type_path
        node: Any = body
        for part in parents:
            node = node[part]
        node[last] = str(node[last])
    if path == faults.missing_field:
        body.pop(faults.missing_field_name, None)
    refused = body.get("code") == 422 if faults.envelope else status == 422
    if path == faults.accepts_invalid and refused:
        status, body = 200, dict(faults.accepted_body)
    if path == faults.rejects_valid:
        status, body = faults.rejection()
    return status, body


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
