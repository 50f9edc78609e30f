"""The provider-neutral task."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TypeAlias

import attrs

from ._redact import redact_url
from ._registry import Provider

__all__ = ["Provider", "RawTask", "Task", "TaskState"]


RawTask: TypeAlias = object
"""What a `Task` was read from: the provider's generated model (its task object, or its creation
answer right after creation), or the decoded JSON object when the provider reported a state the
generated models do not know. Typed `object`: each provider's models are its own."""


class TaskState(enum.StrEnum):
    """Both providers' states, folded into four (plus `unknown` for a state nobody documents)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.FAILED)


def _urls_repr(urls: list[str]) -> str:
    # A presigned video URL is a credential; a repr goes into logs and tracebacks.
    return repr([redact_url(url) for url in urls])


@attrs.frozen(kw_only=True)
class Task:
    """A generation task as either provider reports it.

    `provider_state` is the provider's own word (`queuing`, `generating`, ...); `progress` what
    it says of how far the task has got, where it says (a place in its queue, its last log
    line); `error_code` and
    `error_message` are set when the task failed; `created_at`/`completed_at` are timezone-aware
    whatever unit the provider used; `credits_used` is known only where the provider reports it
    (crun, once finished).
    """

    id: str
    provider: Provider
    state: TaskState
    provider_state: str | None = None
    progress: str | None = None
    video_urls: list[str] = attrs.field(factory=list, repr=_urls_repr)
    error_code: str | None = None
    error_message: str | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    credits_used: float | None = None
    raw: RawTask | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def video_url(self) -> str | None:
        """The first video URL, or None."""
        return self.video_urls[0] if self.video_urls else None

    @property
    def done(self) -> bool:
        """True once the task has succeeded or failed."""
        return self.state.is_terminal
