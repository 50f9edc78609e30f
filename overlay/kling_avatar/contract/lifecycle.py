"""The lifecycle rules, to judge observations of a task of one's own: a :class:`TaskRun` (its
reads, result probes and callbacks) goes to :func:`check_task`, balances to
:func:`check_credits`; each break is a named :class:`Finding`. :func:`task_of` reads the task
out of a read's answer (its envelope's ``data``, or the bare answer), and :func:`succeeded`
says whether it ended well."""

from ._capture import Callback
from ._lifecycle import (
    SHAPES,
    Finding,
    Probe,
    Read,
    TaskRun,
    check_credits,
    check_task,
    lifecycle,
    succeeded,
    task_of,
)
from ._providers import TaskShape

__all__ = [
    "SHAPES",
    "Callback",
    "Finding",
    "Probe",
    "Read",
    "TaskRun",
    "TaskShape",
    "check_credits",
    "check_task",
    "lifecycle",
    "succeeded",
    "task_of",
]
