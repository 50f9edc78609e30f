"""The state of one `wait_for_task`: deadline, when to poll next, what counts as not-there-yet."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import attrs

from ._exceptions import AvatarError, GenerationFailedError, NotFoundError, WaitTimeoutError
from ._models import Task, TaskState
from ._retry import Backoff, is_retryable, logger

if TYPE_CHECKING:
    from ._models import Provider


class Reader(Protocol):
    """What a wait needs of the provider's answer reader (`_providers.Reader`)."""

    @property
    def provider(self) -> Provider: ...
    def failed(self, task: Task) -> GenerationFailedError: ...


# The shortest time a poll request is given, so that a poll at the deadline can still answer.
_MIN_REQUEST_TIMEOUT = 0.1


@attrs.frozen
class PollSchedule:
    """The pause before each poll, by the task's age.

    `bands` are (age from which, pause) pairs; the pause is also kept under `share` of the
    age, so a task that ends is seen at most that share of its run time late (and at most the
    first band's pause late while young). When the run time to expect is known (`expected`),
    the polls gather around it instead: few pauses of at most `longest` before, pauses of
    `share_near` of it near it, and the age rule again once it has passed.
    """

    bands: tuple[tuple[float, float], ...]
    share: float = 0.05
    near: float = 0.1  # "near the expected end": within this share of it, either side
    share_near: float = 0.03
    longest: float = 30.0
    jitter: float = 0.1  # taken off at random, so that many waits do not poll in step

    def pause(self, age: float, expected: float | None = None, scale: float = 1.0) -> float:
        if expected is not None and age < expected * (1 + self.near):
            start = expected * (1 - self.near)
            near = self.share_near * expected
            base = near if age >= start else max(near, min(self.longest, start - age))
        else:
            band = next(p for since, p in reversed(self.bands) if age >= since)
            base = min(band, max(self.bands[0][1], self.share * age))
        return scale * base * (1.0 - self.jitter * random.random())  # noqa: S311 - not crypto


# Apikley's documented advice (get-task-detail): 2-3 s for the first 30 s, then 5-10 s, 15-30 s
# after 2 minutes. crun documents none, so it gets the same. The first pause is the longest the
# advice allows that keeps a young task's end, the poll's own request time included, within
# 3 s: every poll saved there is one of the few a job of a minute or two may have.
DOCUMENTED_SCHEDULE = PollSchedule(bands=((0.0, 2.9), (30.0, 7.5), (120.0, 20.0)))


class RunTimes:
    """The run times of the last tasks a client saw finish: what to expect of the next one."""

    def __init__(self, keep: int = 8) -> None:
        self._keep = keep
        self._seen: list[float] = []

    def add(self, task: Task) -> None:
        if task.state is TaskState.SUCCEEDED and task.created_at and task.completed_at:
            seconds = (task.completed_at - task.created_at).total_seconds()
            if 0 < seconds < 86_400:
                self._seen = [*self._seen[-(self._keep - 1) :], seconds]

    def expected(self) -> float | None:
        """The shortest recent run time once two are known (a later poll is the cheaper
        mistake), or None."""
        return min(self._seen) if len(self._seen) >= 2 else None


@attrs.define
class Poller:
    task_id: str
    reader: Reader
    timeout: float
    schedule: PollSchedule
    not_found_grace: float
    # When this client created the task (its clock), if it did: the task's age is then known.
    created: float | None = None
    expected: float | None = None
    scale: float = 1.0
    fallback: Backoff | None = None  # replaces the schedule (a receiver's backup polling)
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    started: float = attrs.field(init=False)
    born: float = attrs.field(init=False)
    last: Task | None = None
    last_error: AvatarError | None = None
    polls: int = 0

    def __attrs_post_init__(self) -> None:
        self.started = self.clock()
        self.born = self.started if self.created is None else min(self.created, self.started)

    def remaining(self) -> float:
        return self.started + self.timeout - self.clock()

    def request_timeout(self, default: float) -> float:
        """No poll may run past the deadline by more than a moment."""
        return max(_MIN_REQUEST_TIMEOUT, min(default, self.remaining()))

    def changed(self, task: Task) -> bool:
        """Records `task`; True when its state or its progress differs from the last one seen
        (or is the first)."""
        self.last_error = None
        if self.created is None and self.last is None and task.created_at is not None:
            # The provider says how old the task is: the schedule starts at that age.
            age = max(0.0, self.wall() - task.created_at.timestamp())
            self.born = min(self.born, self.clock() - age)
        last, self.last = self.last, task
        return last is None or (last.state, last.provider_state, last.progress) != (
            task.state,
            task.provider_state,
            task.progress,
        )

    def finished(self, task: Task) -> bool:
        """True once succeeded; a failed task raises. Unknown states keep the wait going."""
        if task.state is TaskState.FAILED:
            raise self.reader.failed(task)
        return task.state is TaskState.SUCCEEDED

    def tolerate(self, error: AvatarError) -> None:
        """Keeps polling after a transient error, or after not-found within the grace period
        (Apikley does not see a task it has just created); raises anything else."""
        young = self.clock() - self.born < self.not_found_grace
        if not (
            is_retryable(error, idempotent=True) or (young and isinstance(error, NotFoundError))
        ):
            raise error
        self.last_error = error
        logger.info("still waiting for task %s after: %s", self.task_id, error)

    def next_delay(self) -> float:
        """The pause before the next poll, never past the deadline; at the deadline, raises
        WaitTimeoutError (after one last poll made right at it)."""
        remaining = self.remaining()
        if remaining <= 0:
            if (
                self.created is None
                and self.last is None
                and isinstance(self.last_error, NotFoundError)
            ):
                raise self.last_error  # never seen, age unknown: not "still running"
            state = self.last.provider_state or self.last.state.value if self.last else "none seen"
            raise WaitTimeoutError(
                f"task {self.task_id} not finished after {self.timeout:g}s (last state: {state})",
                provider=self.reader.provider,
                task_id=self.task_id,
                task=self.last,
            ) from self.last_error
        if self.fallback is not None:
            delay = self.fallback.delay(self.polls)
        else:
            delay = self.schedule.pause(self.clock() - self.born, self.expected, self.scale)
        self.polls += 1
        if self.last_error is not None and self.last_error.retry_after is not None:
            delay = max(delay, self.last_error.retry_after)
        return min(delay, remaining)
