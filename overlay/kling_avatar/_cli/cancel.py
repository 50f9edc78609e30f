"""`kling-avatar cancel TASK_ID`: ask the provider to cancel a task, where it can."""

from __future__ import annotations

import argparse

from .context import Context
from .exits import EXIT_OK

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "cancel"
HELP = "ask the provider to cancel a task (where it has a cancel)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task_id", metavar="TASK_ID")


def run(ctx: Context) -> int:
    task_id = ctx.args.task_id
    with ctx.client() as client:
        taken = client.cancel_task(task_id)
    if taken:
        # The provider may still finish it (and bill it): only a read says how it ended.
        line = f"{ctx.provider}: cancellation of task {task_id} requested; it may still finish"
        ctx.progress.note(f"see how it ended with: {ctx.status_command(task_id)}")
    else:
        line = f"{ctx.provider}: task {task_id} had already finished; nothing was cancelled"
    ctx.emit({"id": task_id, "provider": ctx.provider, "cancel_requested": taken}, [line])
    return EXIT_OK
