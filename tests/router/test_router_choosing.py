"""Choosing a provider: priority, price, credits, cool-down; and the whole-call deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kling_avatar import (
    AvatarRouter,
    DeadlineExceededError,
    InvalidRequestError,
    NoProviderError,
    RateLimit,
    RouteEvent,
    WaitTimeoutError,
)
from kling_avatar.testing import MockServer

from .helpers import CREATE, GET, Blocking, Counts, media_urls, router_options

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
Router = Callable[..., Any]


def test_priority_is_the_order_given(router_for: Router, mock: MockServer) -> None:
    assert router_for(["crun", "apikley"]).create_task(**media_urls(mock)).provider == "crun"
    assert router_for(["apikley", "crun"]).create_task(**media_urls(mock)).provider == "apikley"


def test_a_provider_that_failed_is_skipped_for_the_cooldown(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    now = [1000.0]
    events: list[RouteEvent] = []
    router = router_for(cooldown=30.0, on_route=events.append)
    (router.inner if isinstance(router, Blocking) else router)._clock = lambda: now[0]
    mock.fault("envelope", CREATE["apikley"], code=455)
    assert router.create_task(**media_urls(mock)).provider == "crun"
    assert router.create_task(**media_urls(mock)).provider == "crun"
    assert counts.calls(CREATE["apikley"]) == 1  # the second call did not ask apikley
    assert "cooling down" in events[2].reason and events[2].provider == "apikley"
    now[0] += 31.0
    assert router.create_task(**media_urls(mock)).provider == "apikley"
    assert counts.calls(CREATE["apikley"]) == 2


def test_when_every_provider_cools_down_they_are_tried_anyway(
    router_for: Router, mock: MockServer
) -> None:
    router = router_for(cooldown=300.0)
    mock.fault("envelope", CREATE["apikley"], code=455)
    mock.fault("envelope", CREATE["crun"], code=455)
    with pytest.raises(NoProviderError):
        router.create_task(**media_urls(mock))
    assert router.create_task(**media_urls(mock)).provider == "apikley"


def test_by_price_the_cheaper_goes_first(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    # crun's EstimateTask says 2 credits (pro); the caller prices apikley at 5.
    router = router_for(prefer="price", prices={"apikley": 5.0})
    assert router.create_task(**media_urls(mock)).provider == "crun"
    assert counts.calls("estimateTask") == 1
    cheap = router_for(prefer="price", prices={"apikley": 1.0})
    assert cheap.create_task(**media_urls(mock)).provider == "apikley"


def test_by_price_an_estimate_that_cannot_be_paid_skips_the_provider(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.set_credits(1.0, "crun")  # a pro task costs 2
    events: list[RouteEvent] = []
    router = router_for(["crun", "apikley"], prefer="price", on_route=events.append)
    assert router.create_task(**media_urls(mock)).provider == "apikley"
    assert counts.calls(CREATE["crun"]) == 0
    assert events[0].provider == "crun" and "insufficient credits" in events[0].reason


def test_by_credits_the_fuller_account_goes_first(router_for: Router, mock: MockServer) -> None:
    mock.set_credits(10.0, "apikley")
    mock.set_credits(50.0, "crun")
    router = router_for(prefer="credits")
    assert router.create_task(**media_urls(mock)).provider == "crun"
    assert router.balances() == {"apikley": 10.0, "crun": 48.0}
    assert router.get_credits("apikley") == 10.0


def test_by_credits_an_empty_account_is_skipped(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.set_credits(0.0, "crun")
    router = router_for(["crun", "apikley"], prefer="credits")
    assert router.create_task(**media_urls(mock)).provider == "apikley"
    assert counts.calls(CREATE["crun"]) == 0


def test_the_deadline_bounds_the_wait(router_for: Router, mock: MockServer) -> None:
    mock.fault("slow", GET["apikley"], delay=3.0, times=None)
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError) as raised:
        router_for().generate(**media_urls(mock), timeout=600.0, deadline=0.5)
    # Bounded by the deadline, not by the 600 s wait timeout (generous for a loaded machine).
    assert time.monotonic() - started < 5.0
    assert raised.value.task_id


def test_a_rate_limit_slot_after_the_deadline_moves_on(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    router = router_for(rate_limits={"apikley": RateLimit(1, 600.0)})
    assert router.create_task(**media_urls(mock)).provider == "apikley"
    events: list[RouteEvent] = []
    task = router.create_task(**media_urls(mock), deadline=1.0, on_route=events.append)
    assert task.provider == "crun"
    assert "no slot before the deadline" in events[0].reason
    assert counts.calls(CREATE["apikley"]) == 1


def test_a_deadline_passing_before_creation_creates_nothing(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    router = router_for(["apikley"], rate_limits={"apikley": RateLimit(1, 600.0)})
    router.create_task(**media_urls(mock))
    with pytest.raises(NoProviderError, match="no slot before the deadline"):
        router.create_task(**media_urls(mock), deadline=0.5)
    mock.fault("slow", "getUploadUrl", delay=1.0)
    with pytest.raises(DeadlineExceededError):
        router_for(["crun"], timeout=0.3).create_task(
            image_url=MEDIA / "portrait.png",
            audio_url=f"{mock.base_url}/media/voice.wav",
            deadline=0.3,
        )
    assert counts.tasks() == 1


def test_bad_router_arguments_are_refused(mock: MockServer) -> None:
    with pytest.raises(InvalidRequestError, match="providers"):
        AvatarRouter([], **router_options(mock))
    with pytest.raises(InvalidRequestError, match="twice"):
        AvatarRouter(["crun", "crun"], **router_options(mock))
    with pytest.raises(InvalidRequestError, match="api_keys"):
        AvatarRouter(**router_options(mock, api_keys={"krun": mock.crun_key}))
    with pytest.raises(InvalidRequestError, match="prefer"):
        AvatarRouter(**router_options(mock, prefer="cheapest"))
    with pytest.raises(InvalidRequestError, match="rate_limits"):
        AvatarRouter(**router_options(mock, rate_limits={"apikley": (0, 10.0)}))
    with pytest.raises(InvalidRequestError, match="prices"):
        AvatarRouter(**router_options(mock, prices={"crun": float("nan")}))
    with pytest.raises(InvalidRequestError, match="cooldown"):
        AvatarRouter(**router_options(mock, cooldown=-1))


def test_the_router_repr_holds_no_key(mock: MockServer) -> None:
    with AvatarRouter(**router_options(mock)) as router:
        assert mock.crun_key not in repr(router) and mock.apikley_key not in repr(router)
