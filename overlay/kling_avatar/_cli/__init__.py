"""The `kling-avatar` command: from a portrait and an audio file on disk to a video.

Built on the sync `AvatarClient`, so everything the client guarantees (checked input, retries
that never create a task twice, bounded waits, keys kept out of messages) holds here too. This
package adds only what a person at a terminal needs: argument parsing, progress, one-line errors
with an exit status per error class, and the download of the result.

One module per command (`generate`, `status`, `wait`, `cancel`, `credits`, `contract`), each
with its `NAME`, `HELP`, own arguments and `run`; they share, and import only, the modules below
them: `result` (the end of a waiting command), `errors` (failure to exit status), `context` (the
arguments, clients and streams), `options`, `output` and `exits`. This module, on top, builds
the parser from the commands and runs the one asked for.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Protocol

from kling_avatar import __version__
from kling_avatar._providers import PROVIDERS, adapter_class

from . import cancel, contract, credits, generate, status, wait
from .context import Context
from .errors import run_reporting
from .exits import EXIT_STATUSES
from .options import PROG, add_common_options, epilog
from .output import show_debug_log

__all__ = ["EXIT_STATUSES", "build_parser", "main"]


class _Command(Protocol):
    """What a command's module provides (mypy checks each module against it)."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, ctx: Context) -> int: ...


# In the order --help lists them (`contract` last: it has a parser of its own).
_COMMANDS: tuple[_Command, ...] = (generate, status, wait, cancel, credits)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Make a talking-avatar video with Kling Avatar at "
        + " or ".join(adapter_class(name).title for name in PROVIDERS)
        + ".",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help,
            description=help,
            epilog=epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    for module in _COMMANDS:
        each = command(module.NAME, module.HELP)
        module.add_arguments(each)
        # After the command's own options, so that --help lists those first.
        add_common_options(each)
        each.set_defaults(run=module.run)
    # Listed for --help only: main() hands `contract ...` over before parsing.
    command(contract.NAME, contract.HELP)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == [contract.NAME]:
        return contract.run(words[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != generate.NAME and len(args.provider) > 1:
        parser.error(f"{args.command} takes one --provider: the one the task is at")
    ctx = Context(args, sys.stdout, sys.stderr)
    if args.debug:
        show_debug_log()
    run: Callable[[Context], int] = args.run
    return run_reporting(ctx, run)
