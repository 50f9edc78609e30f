"""The options more than one command takes, their types, and the help's epilog."""

from __future__ import annotations

import argparse

from kling_avatar._providers import PROVIDERS, adapter_class

from .exits import meanings

__all__ = [
    "DEFAULT_WAIT_TIMEOUT",
    "PROG",
    "add_common_options",
    "add_wait_options",
    "epilog",
]

PROG = "kling-avatar"
# The providers' own polling advice is to give up after 10-15 minutes.
DEFAULT_WAIT_TIMEOUT = 900.0


def epilog() -> str:
    rows = [f"  {status:>3}  {meaning}" for status, meaning in sorted(meanings().items())]
    kinds = [adapter_class(name) for name in PROVIDERS]
    keys = ", ".join(kind.key_env for kind in kinds)
    urls = ", ".join(kind.base_url_env for kind in kinds)
    width = max(len(keys), len(urls)) + 2
    return (
        "environment:\n"
        f"  {keys:<{width}}the API keys (never taken on the command line)\n"
        f"  {urls:<{width}}other base URLs (the local mock); --base-url wins\n"
        "\nexit status:\n" + "\n".join(rows)
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _provider_list(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(","))
    for name in names:
        if name not in PROVIDERS:
            raise argparse.ArgumentTypeError(
                f"invalid choice: {name!r} (choose from {', '.join(PROVIDERS)})"
            )
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"a provider is listed twice: {text!r}")
    return names


def add_common_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("options of every command")
    group.add_argument(
        "--provider",
        required=True,
        type=_provider_list,
        metavar="{" + ",".join(PROVIDERS) + "}",
        help="the reseller to call; `generate` also takes a list in priority order "
        f"({','.join(PROVIDERS)}): the first that can take the task gets it, never two",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        help="API base URL (default: "
        + "/".join(f"${adapter_class(name).base_url_env}" for name in PROVIDERS)
        + ")",
    )
    group.add_argument(
        "--json", action="store_true", help="print one JSON object on stdout, for scripts"
    )
    group.add_argument(
        "--request-timeout",
        type=_positive_float,
        metavar="S",
        help="seconds to wait for each HTTP answer (default: the client's)",
    )
    group.add_argument(
        "--debug", action="store_true", help="show tracebacks and the client's log (never the key)"
    )


def add_wait_options(parser: argparse.ArgumentParser) -> None:
    """The options of a command that waits for a task: how long, and where the video goes."""
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="S",
        help=f"give up waiting after S seconds (default: {DEFAULT_WAIT_TIMEOUT:.0f})",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="download the video to FILE (or into FILE/ if it is a folder)",
    )
    parser.add_argument(
        "--force", action="store_true", help="let --output replace an existing file"
    )
