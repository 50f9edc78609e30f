"""When a wait polls (by the task's age) and how long "not found" means "not there yet"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kling_avatar import AvatarClient, NotFoundError, TaskState
from kling_avatar._wait import DOCUMENTED_SCHEDULE

from .fake import answer, envelope, fake_client, task_data

NOT_YET = {"code": 422, "msg": "recordInfo is null", "data": None}


@given(st.floats(min_value=0, max_value=86_400))
def test_a_task_that_ends_is_seen_soon_after(age: float) -> None:
    # Under 3 s late while young, at most 5% of its run time once older, and never more often
    # than every 2.5 s (within Apikley's documented 2-3 s) or less often than its 15-30 s.
    pause = DOCUMENTED_SCHEDULE.pause(age)
    assert pause < 3.0 or pause <= 0.05 * age
    assert 2.5 <= pause <= 20.0


def test_a_known_run_time_gathers_the_polls_around_it() -> None:
    age, polls = 0.0, []
    while age < 66:
        age += DOCUMENTED_SCHEDULE.pause(age, expected=60.0)
        polls.append(age)
    late = next(t for t in polls if t >= 60) - 60
    assert late <= 0.03 * 60
    assert len(polls) <= 12  # polling every 0.5 s: 120


class Provider:
    """A fake Apikley on a fake clock: each request takes a second; tasks are never visible."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.now += 1.0
        if request.method == "POST":
            return answer(envelope({"taskId": "t-1"}))
        self.reads += 1
        return answer(NOT_YET)


class ProviderClock:
    """The fake provider's time as the client's clock (its pauses move it on)."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def monotonic(self) -> float:
        return self.provider.now

    def time(self) -> float:
        return 1_790_000_000.0 + self.provider.now

    def sleep(self, seconds: float) -> None:
        self.provider.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@contextmanager
def never_visible() -> Iterator[tuple[Provider, AvatarClient]]:
    """An Apikley client whose clock is the fake provider's."""
    provider = Provider()
    with fake_client("apikley", provider) as client:
        yield provider, client.use_clock(ProviderClock(provider))


def test_an_id_of_unknown_age_is_not_found_after_a_short_grace() -> None:
    with never_visible() as (provider, client), pytest.raises(NotFoundError):
        client.wait_for_task("typed-by-hand", timeout=600)
    assert 6 <= provider.now <= 8  # not the 30 s a just-created task gets


def test_a_task_this_client_created_gets_the_long_grace() -> None:
    with never_visible() as (provider, client):
        created = client.create_task(
            image_url="https://example.com/a.png", audio_url="https://example.com/a.mp3"
        )
        with pytest.raises(NotFoundError):
            client.wait_for_task(created.id, timeout=600)
    assert 30 <= provider.now <= 32  # counted from its creation


def test_a_deadline_before_the_grace_ends_says_not_found_for_an_unknown_id() -> None:
    with never_visible() as (_, client), pytest.raises(NotFoundError):
        client.wait_for_task("typed-by-hand", timeout=3)


def test_the_provider_reported_age_sets_the_pace() -> None:
    # A task created ten minutes ago is polled at the old-task pace at once, not every 3 s.
    now = [1_790_000_000.0]
    created_ms = int((now[0] - 600) * 1000)
    states = iter(["generating", "generating", "success"])
    pauses: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        state = next(states)
        data = task_data("apikley", state, createTime=created_ms, resultJson=None)
        if state == "success":
            data["resultJson"] = '{"resultUrls":["https://cdn.example/v.mp4"]}'
        return answer(envelope(data))

    class Recorded:
        """The wall clock at `now`; pauses recorded, not slept."""

        def monotonic(self) -> float:
            return 0.0

        def time(self) -> float:
            return now[0]

        def sleep(self, seconds: float) -> None:
            pauses.append(seconds)

        async def async_sleep(self, seconds: float) -> None:
            pauses.append(seconds)

    with fake_client("apikley", handler, poll_interval=None) as client:
        task = client.use_clock(Recorded()).wait_for_task("t-1", timeout=3600)
    assert task.state is TaskState.SUCCEEDED
    assert len(pauses) == 2 and min(pauses) >= 0.9 * 20
