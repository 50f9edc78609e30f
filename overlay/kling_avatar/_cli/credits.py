"""`kling-avatar credits`: the account's balance."""

from __future__ import annotations

import argparse

from .context import Context
from .exits import EXIT_OK

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "credits"
HELP = "show the account's remaining credits"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """None but the common ones."""


def run(ctx: Context) -> int:
    with ctx.client() as client:
        credits = client.get_credits()
    ctx.emit({"provider": ctx.provider, "credits": credits}, [f"{credits:g}"])
    return EXIT_OK
