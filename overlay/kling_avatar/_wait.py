"""The state of one `wait_for_task`: deadline, poll backoff, what counts as not-there-yet."""

from __future__ import annotations

import time
from collections.abc import Callable

import attrs

from ._exceptions import AvatarError, NotFoundError, WaitTimeoutError
from ._models import Task, TaskState
from ._providers import Reader
from ._retry import Backoff, is_retryable, logger

# The shortest time a poll request is given, so that a poll at the deadline can still answer.
_MIN_REQUEST_TIMEOUT = 0.1


@attrs.define
class Poller:
    task_id: str
    reader: Reader
    timeout: float
    backoff: Backoff
    not_found_grace: float
    clock: Callable[[], float] = time.monotonic
    started: float = attrs.field(init=False)
    last: Task | None = None
    last_error: AvatarError | None = None
    polls: int = 0

    def __attrs_post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float:
        return self.started + self.timeout - self.clock()

    def request_timeout(self, default: float) -> float:
        """No poll may run past the deadline by more than a moment."""
        return max(_MIN_REQUEST_TIMEOUT, min(default, self.remaining()))

    def changed(self, task: Task) -> bool:
        """Records `task`; True when its state differs from the last one seen (or is the first)."""
        self.last_error = None
        last, self.last = self.last, task
        return last is None or (last.state, last.provider_state) != (
            task.state,
            task.provider_state,
        )

    def finished(self, task: Task) -> bool:
        """True once succeeded; a failed task raises. Unknown states keep the wait going."""
        if task.state is TaskState.FAILED:
            raise self.reader.failed(task)
        return task.state is TaskState.SUCCEEDED

    def tolerate(self, error: AvatarError) -> None:
        """Keeps polling after a transient error, or after not-found within the grace period
        (Apikley does not see a task it has just created); raises anything else."""
        young = self.clock() - self.started < self.not_found_grace
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
            state = self.last.provider_state or self.last.state.value if self.last else "none seen"
            raise WaitTimeoutError(
                f"task {self.task_id} not finished after {self.timeout:g}s (last state: {state})",
                provider=self.reader.provider,
                task_id=self.task_id,
                task=self.last,
            ) from self.last_error
        delay = self.backoff.delay(self.polls)
        self.polls += 1
        if self.last_error is not None and self.last_error.retry_after is not None:
            delay = max(delay, self.last_error.retry_after)
        return min(delay, remaining)
