"""The mock's clock, shared with a client: the client's pauses move it instead of waiting."""

from __future__ import annotations

from typing import Any, TypeVar

from ._controls import MockControls

C = TypeVar("C")


class MockClock:
    """One clock for a mock and the clients attached to it.

    An attached client reads the mock's time (its waits' deadlines, a task's age, grace
    periods) and, where it would pause (between polls, before a retry), moves the mock's clock
    forward by the pause with ``advance`` instead of sleeping. A ``wait_for_task`` of 600 s of
    task time then takes milliseconds, with every poll, pause and deadline the schedule has::

        mock = InProcessMock(step=200.0)
        clock = MockClock(mock)
        client = clock.attach(AvatarClient("crun", api_key=mock.crun_key,
                                           transport=mock.transport()))

    Works with :class:`InProcessMock` and :class:`MockServer` alike; pauses a client takes
    while waiting for a :class:`~kling_avatar.Receiver`'s callback stay real waits.
    """

    def __init__(self, mock: MockControls) -> None:
        self.mock = mock
        self.slept = 0.0  # seconds of pauses skipped so far

    def monotonic(self) -> float:
        return self.mock.state.monotonic()

    def time(self) -> float:
        """Unix seconds on the mock's clock (its answers' timestamps move with it)."""
        return self.mock.state.wall()

    def sleep(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        self.slept += seconds
        self.mock.advance(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def attach(self, client: C) -> C:
        """Put an AvatarClient, an AsyncAvatarClient or a router's clients on this clock."""
        target: Any = client
        target.use_clock(self)
        return client
