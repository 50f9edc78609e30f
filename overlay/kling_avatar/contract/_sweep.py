"""The fault sweep: against the mock, the documented answers the suite's runs did not see.

It scripts the mock's ``envelope`` and ``http`` faults to produce each missing answer, sends the
operation's request, and checks the answer against the spec with openapi-core (`_traffic.py`),
so every documented answer the mock can give is also known to match its schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import httpx

from .._providers import auth_headers
from ._coverage import Coverage, Seen, seen_of
from ._rules import REQUEST_TIMEOUT
from ._spec import Operation, operation
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


def _request(op: Operation, key: str) -> dict[str, Any]:
    """A request for ``op`` (faults fire before the mock looks at it, so any shape will do)."""
    headers = auth_headers(op.provider, key)
    params = {
        p["name"]: str(p.get("example", "contract"))
        for p in op.definition.get("parameters", [])
        if p.get("in") == "query"
    }
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if op.method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return kwargs


def sweep(
    mock: Any, cov: Coverage, keys: Mapping[str, str]
) -> tuple[list[Seen], list[SweepProblem]]:
    """Make the mock give each documented answer ``cov`` misses; check each against the spec.

    ``mock`` is a running ``kling_avatar.testing.MockServer``.
    """
    seen: list[Seen] = []
    problems: list[SweepProblem] = []
    with httpx.Client(base_url=mock.base_url, timeout=REQUEST_TIMEOUT, trust_env=False) as http:
        for op_cov, answer in cov.missing:
            op = operation(op_cov.provider, op_cov.operation_id)
            if answer.status == 200 and answer.code is not None and answer.code != 200:
                mock.fault("envelope", op.operation_id, code=answer.code)
            elif answer.status != 200:
                mock.fault("http", op.operation_id, status=answer.status)
            else:
                continue  # a success needs a valid request: the runs' business
            request = http.build_request(
                op.method, op.prefix + op.path, **_request(op, keys[op.provider])
            )
            response = http.send(request)
            body = _json(response)
            seen.append(
                seen_of(op.provider, op.operation_id, response.status_code, body, "fault sweep")
            )
            errors = validate_exchange(Exchange.of(request, response), op, check_request=False)
            if errors:
                problems.append(
                    SweepProblem(op.provider, op.operation_id, str(answer), tuple(errors))
                )
    mock.clear_faults()
    return seen, problems


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
