"""The fault sweep: against the mock, the documented answers the suite's runs did not see.

It scripts the mock's ``envelope`` and ``http`` faults to produce each missing error answer;
a missing success of an operation about one task (fal's status while a request is queued, a
cancel of a queued and of a running request) it reaches for real, asking the operation about
a new task in each of its states in turn (the mock's clock moved on one state at a time). Each
answer is checked against the spec with openapi-core (`_traffic.py`), so every documented
answer the mock can give is also known to match its schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
import httpx

from .._providers import auth_headers
from .._tls import tls_context
from ._coverage import Coverage, Seen, seen_of
from ._lifecycle import SHAPES, answered, creation_body, lifecycle, task_call
from ._rules import REQUEST_TIMEOUT
from ._spec import Answer, Operation, load_spec, operation, resolve
from ._traffic import Exchange, validate_exchange


@attrs.frozen
class SweepProblem:
    """A fault answer of the mock that its own spec does not allow."""

    provider: str
    operation_id: str
    answer: str
    errors: tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"{self.provider} {self.operation_id} {self.answer}: the mock's answer does not "
            f"match the spec: {'; '.join(self.errors)}"
        )


def _request(op: Operation, key: str) -> tuple[str, dict[str, Any]]:
    """The path and the rest of a request for ``op`` (faults fire before the mock looks at it,
    so any shape will do)."""
    headers = auth_headers(op.provider, key)
    spec = load_spec(op.provider)
    parameters = [resolve(spec, p) for p in op.definition.get("parameters", [])]
    values = {p["name"]: str(p.get("example", "contract")) for p in parameters}
    params = {p["name"]: values[p["name"]] for p in parameters if p.get("in") == "query"}
    path = op.url_path(
        **{p["name"]: values[p["name"]] for p in parameters if p.get("in") == "path"}
    )
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if op.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return path, kwargs


def sweep(
    mock: Any, cov: Coverage, keys: Mapping[str, str], *, step: float, media: str
) -> tuple[list[Seen], list[SweepProblem]]:
    """Make the mock give each documented answer ``cov`` misses; check each against the spec.

    ``mock`` is a running ``kling_avatar.testing.MockServer``; the tasks made for the answers
    about a task take ``step`` seconds of its clock per state, and are made with ``media``
    as their image and audio URLs.
    """
    seen: list[Seen] = []
    problems: list[SweepProblem] = []
    with httpx.Client(
        base_url=mock.base_url, timeout=REQUEST_TIMEOUT, trust_env=False, verify=tls_context()
    ) as http:

        def send(op: Operation, answer: Answer, request: httpx.Request) -> Answer:
            """Send ``request`` (one for ``op``, to get ``answer``), check what it answers."""
            response = http.send(request)
            got = seen_of(
                op.provider, op.operation_id, response.status_code, _json(response), SWEEP
            )
            seen.append(got)
            errors = validate_exchange(Exchange.of(request, response), op, check_request=False)
            if errors:
                problems.append(
                    SweepProblem(op.provider, op.operation_id, str(answer), tuple(errors))
                )
            return Answer(got.status, got.code)

        for op_cov, answer in cov.missing:
            op = operation(op_cov.provider, op_cov.operation_id)
            key = keys[op.provider]
            if answer.status == 200 and answer.code is not None and answer.code != 200:
                mock.fault("envelope", op.operation_id, code=answer.code)
            elif not 200 <= answer.status < 300:
                mock.fault("http", op.operation_id, status=answer.status)
            else:
                # A success needs a valid request: the runs' business, but for one about a task
                # in a state they did not meet it in.
                for request in _about_a_task(http, mock, op, key, step=step, media=media):
                    if send(op, answer, request) == answer:
                        break
                continue
            path, kwargs = _request(op, key)
            send(op, answer, http.build_request(op.method, path, **kwargs))
    mock.clear_faults()
    return seen, problems


SWEEP = "fault sweep"


def _about_a_task(
    http: httpx.Client, mock: Any, op: Operation, key: str, *, step: float, media: str
) -> Iterator[httpx.Request]:
    """Requests of ``op`` about a new task in each of its states in turn (none when ``op`` is
    not about one task): a task is created for each, and the mock's clock moved on to the
    state before the request is made."""
    shape = SHAPES[op.provider]
    about_one = op.takes_in_path(shape.id_param) or any(
        resolve(load_spec(op.provider), p).get("name") == shape.id_param
        for p in op.definition.get("parameters", [])
    )
    if op.operation_id == shape.create or not about_one:
        return
    headers = auth_headers(op.provider, key)
    create = operation(op.provider, shape.create)
    mock.step = step
    for states in range(len(lifecycle(shape).states) + 1):
        body = creation_body(op.provider, (media, media))
        created = http.request(create.method, create.url_path(), json=body, headers=headers)
        task_id = (answered(shape, created.status_code, _json(created)) or {}).get(shape.created_id)
        if not isinstance(task_id, str):
            return  # no task to ask about: the lifecycle part's creation-refused says why
        if states:
            mock.advance(states * step)
        path, params = task_call(op, shape, task_id)
        yield http.build_request(op.method, path, params=params, headers=headers)


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
