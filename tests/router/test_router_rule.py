"""The failover rule over every answer the mock can give a creation, and as a pure function.

Whatever the code, a creation moves on only for 402, 429, 455 and 505 (and a connection never
made), and no call leaves more than one task behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kling_avatar import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    AvatarError,
    FeatureDisabledError,
    GenerationFailedError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from kling_avatar._router import failover_reason
from kling_avatar.testing import MockServer

from .helpers import CREATE, Counts, media_urls

MOVES_ON = {402, 429, 455, 505}
ENVELOPE_CODES = [401, 402, 404, 422, 429, 455, 500, 501, 505]
HTTP_STATUSES = [400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]


@pytest.mark.parametrize(
    ("kind", "code"),
    [("envelope", c) for c in ENVELOPE_CODES] + [("http", s) for s in HTTP_STATUSES],
)
def test_only_the_no_task_answers_move_on(
    router_for: Callable[..., Any], mock: MockServer, counts: Counts, kind: str, code: int
) -> None:
    option = {"code": code} if kind == "envelope" else {"status": code}
    mock.fault(kind, CREATE["apikley"], **option)
    try:
        task = router_for().create_task(**media_urls(mock))
    except AvatarError:
        moved_on = False
    else:
        moved_on = task.provider == "crun"
    assert moved_on == (code in MOVES_ON)
    assert counts.calls(CREATE["crun"]) == (1 if code in MOVES_ON else 0)
    assert counts.tasks() <= 1


CLASSES = [
    AuthenticationError,
    InsufficientCreditsError,
    NotFoundError,
    InvalidRequestError,
    RateLimitError,
    ServiceUnavailableError,
    ServerError,
    GenerationFailedError,
    FeatureDisabledError,
    UnexpectedResponseError,
    AvatarError,
]


@given(st.sampled_from(CLASSES), st.one_of(st.none(), st.integers(100, 999)))
def test_the_rule_moves_on_only_for_a_documented_no_task_answer(
    cls: type[AvatarError], code: int | None
) -> None:
    reason = failover_reason(cls("x", provider="crun", code=code))
    expected = {
        402: InsufficientCreditsError,
        429: RateLimitError,
        455: ServiceUnavailableError,
        505: FeatureDisabledError,
    }
    assert (reason is not None) == (code in expected and issubclass(cls, expected[code]))


@given(st.sampled_from([APIConnectionError, APITimeoutError]), st.booleans())
def test_a_lost_connection_moves_on_only_when_nothing_was_sent(
    cls: type[APIConnectionError], sent: bool
) -> None:
    reason = failover_reason(cls("x", provider="apikley", request_sent=sent))
    assert (reason is None) == sent
