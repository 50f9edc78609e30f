"""`kling-avatar wait TASK_ID`: wait for a task someone created, then print (and maybe
download) the video."""

from __future__ import annotations

import argparse

from .context import Context
from .options import add_wait_options
from .result import finish

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "wait"
HELP = "wait for a task to finish and print the video URL"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task_id", metavar="TASK_ID")
    add_wait_options(parser)


def run(ctx: Context) -> int:
    ctx.task_id = ctx.args.task_id
    with ctx.client() as client:
        return finish(ctx, client, ctx.args.task_id, known=None)
