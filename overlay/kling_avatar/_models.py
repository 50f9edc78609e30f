"""The provider-neutral task."""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeAlias

import attrs

from ._redact import redact_url
from ._registry import Provider

__all__ = ["LazyModel", "Provider", "RawTask", "Task", "TaskState"]


RawTask: TypeAlias = object
"""What a `Task` was read from: the provider's generated model (its task object, or its creation
answer right after creation), or the decoded JSON object when the provider reported a state the
generated models do not know. Typed `object`: each provider's models are its own."""


class LazyModel:
    """A provider's task object and the generated parser that makes it its model, called on
    first use. The adapters read a task's fields from the checked JSON object itself (building
    the generated model cost each poll 8 us, the overlay's costliest step); they hand on only
    an object the parser takes, so `Task.raw` is still that model."""

    __slots__ = ("_data", "_model", "_parse")

    def __init__(self, parse: Callable[[Any], object], data: object) -> None:
        self._parse = parse
        self._data = data
        self._model: object = None  # a parser gives a model, never None

    def model(self) -> object:
        if self._model is None:  # two threads may both parse: to equal models, one kept
            self._model = self._parse(self._data)
        return self._model


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
    _raw: RawTask | LazyModel | None = attrs.field(default=None, repr=False, eq=False)

    @property
    def raw(self) -> RawTask | None:
        """What the task was read from (see `RawTask`), not blanked."""
        raw = self._raw
        return raw.model() if isinstance(raw, LazyModel) else raw

    @property
    def video_url(self) -> str | None:
        """The first video URL, or None."""
        return self.video_urls[0] if self.video_urls else None

    @property
    def done(self) -> bool:
        """True once the task has succeeded or failed."""
        return self.state.is_terminal
