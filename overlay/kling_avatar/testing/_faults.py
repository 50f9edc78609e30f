"""Misbehaviour on demand: what can go wrong, for which operation, how many times."""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping
from typing import Any, Literal, get_args

import attrs

FaultKind = Literal["envelope", "http", "slow", "drop", "truncated", "non_json", "task_fail"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

# The error codes both specs' envelopes allow (ResponseCode / ApiResponse.code).
# The Market API's error codes, and 400/405 of the file-upload API's own set.
ENVELOPE_ERROR_CODES = frozenset({400, 401, 402, 404, 405, 422, 429, 455, 500, 501, 505})

# What each kind accepts besides operation/times/rate, with its default.
_PARAMS: dict[str, dict[str, Any]] = {
    "envelope": {"code": 500, "message": None},
    "http": {"status": 503, "retry_after": None, "message": None},
    "slow": {"delay": 1.0},
    "drop": {"after": False},  # after=True: the request is carried out, the answer lost
    "truncated": {},
    "non_json": {},
    "task_fail": {"fail_code": "500", "fail_msg": "Internal server error"},
}


@attrs.define
class Fault:
    """One scripted fault. ``times=None`` means every matching call."""

    kind: FaultKind
    operation: str | None
    times: int | None
    rate: float
    params: dict[str, Any]
    remaining: int | None = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.remaining = self.times

    def get(self, name: str) -> Any:
        return self.params[name]


def make_fault(
    kind: str,
    operation: str | None = None,
    *,
    times: int | None = 1,
    rate: float = 1.0,
    **params: Any,
) -> Fault:
    if kind not in _PARAMS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    allowed = _PARAMS[kind]
    unknown = set(params) - set(allowed)
    if unknown:
        raise ValueError(f"fault {kind!r} takes no {', '.join(sorted(unknown))}")
    if times is not None and times < 1:
        raise ValueError("times must be at least 1 (or None for every call)")
    if not 0.0 < rate <= 1.0:
        raise ValueError("rate must be in (0, 1]")
    merged = {**allowed, **params}
    if kind == "envelope" and merged["code"] not in ENVELOPE_ERROR_CODES:
        codes = ", ".join(map(str, sorted(ENVELOPE_ERROR_CODES)))
        raise ValueError(f"an envelope code is one the specs list: {codes}")
    if kind == "http" and merged["retry_after"] is not None:
        retry_after = merged["retry_after"]
        if not isinstance(retry_after, int | float | str) or isinstance(retry_after, bool):
            raise ValueError("retry_after is seconds (a number) or an HTTP-date (a string)")
    return Fault(kind=kind, operation=operation, times=times, rate=rate, params=merged)  # type: ignore[arg-type]


class FaultBook:
    """The faults in force. Scripted from the test's thread, consumed on the server's loop."""

    def __init__(self, seed: int | None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        # Faults with a rate below 1 draw from their own generator, so a seed replays them
        # no matter what else (task ids) draws random numbers.
        self._random = random.Random(seed)  # noqa: S311  (reproducible, not secret)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, operation: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first fault of one of ``kinds`` that fires for this call of ``operation``."""
        if not self._faults:  # the common case, without taking the lock
            return None
        with self._lock:
            for fault in self._faults:
                if fault.kind not in kinds or fault.operation not in (None, operation):
                    continue
                if fault.rate < 1.0 and self._random.random() >= fault.rate:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None


def parse_fault(text: str) -> Fault:
    """The command line's form: ``kind[@operation][:key=value,...]``.

    e.g. ``envelope@getTaskInfo:code=455,times=2`` or ``http:status=429,retry_after=2``;
    ``times=0`` means every call.
    """
    head, _, tail = text.partition(":")
    kind, _, operation = head.partition("@")
    options: dict[str, Any] = {}
    # An HTTP-date has a comma followed by a space; options are separated by a bare comma.
    for item in filter(None, re.split(r",(?! )", tail)):
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"fault option {item!r} is not key=value")
        options[key.strip()] = _scalar(raw.strip())
    times = options.pop("times", 1)
    rate = options.pop("rate", 1.0)
    if not isinstance(times, int) or not isinstance(rate, int | float):
        raise ValueError("times is an integer and rate a number")
    return make_fault(
        kind.strip(),
        operation.strip() or None,
        times=None if times == 0 else times,
        rate=float(rate),
        **_typed(kind.strip(), options),
    )


def _scalar(raw: str) -> int | float | str:
    for convert in (int, float):
        try:
            return convert(raw)
        except ValueError:
            pass
    return raw


def _typed(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    # failCode is a string in the spec even when it looks like a number.
    typed = dict(options)
    if kind == "task_fail" and "fail_code" in typed:
        typed["fail_code"] = str(typed["fail_code"])
    for text_key in ("message", "fail_msg"):
        if text_key in typed:
            typed[text_key] = str(typed[text_key])
    return typed
