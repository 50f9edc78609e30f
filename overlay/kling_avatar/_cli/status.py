"""`kling-avatar status TASK_ID`: a task's state, read once."""

from __future__ import annotations

import argparse

from .context import Context
from .exits import EXIT_OK
from .output import task_json, task_lines

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "status"
HELP = "show a task's state once"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task_id", metavar="TASK_ID")


def run(ctx: Context) -> int:
    with ctx.client() as client:
        task = client.get_task(ctx.args.task_id)
    ctx.emit(task_json(task), task_lines(ctx.provider, task))
    return EXIT_OK
