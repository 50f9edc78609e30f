"""``python -m kling_avatar.testing``: run the mock in the foreground on 127.0.0.1."""

from __future__ import annotations

import argparse
import errno
import gc
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Self

from ._faults import FAULT_KINDS, Fault, parse_fault
from ._lookup import provider_mocks
from ._ratelimit import parse_rate_limit
from ._server import MockServer
from ._state import DEFAULT_CALLBACK_ATTEMPTS, DEFAULT_CALLBACK_BACKOFF, DEFAULT_EXPIRE_AFTER


def _titles(names: Sequence[str]) -> str:
    return " and ".join(names) or "no provider"


def _parser() -> argparse.ArgumentParser:
    kinds = provider_mocks().values()
    signed = _titles([kind.title for kind in kinds if kind.lifecycle.signature is not None])
    null_reads = [kind for kind in kinds if kind.null_read is not None]
    documented = ", ".join(
        f"{kind.name}={limit[0]}/{limit[1]:g}"
        for kind in kinds
        if (limit := kind.documented_rate_limit) is not None
    )
    parser = argparse.ArgumentParser(
        prog="python -m kling_avatar.testing",
        description=(
            f"A local mock of the {_titles([kind.title for kind in kinds])} Kling Avatar APIs"
            " (127.0.0.1 only)."
        ),
        epilog=(
            "fault syntax: KIND[@OPERATION][:key=value,...], KIND one of "
            f"{', '.join(FAULT_KINDS)}; e.g. envelope@getTaskInfo:code=455,times=2 or "
            "http@createTask:status=429,retry_after=2 or task_fail:fail_code=500,times=0 "
            "(times=0: every call; rate=0.1: one call in ten, reproducible with --seed)"
        ),
    )
    parser.add_argument("--port", type=int, default=8123, help="port on 127.0.0.1 (default 8123)")
    parser.add_argument("--seed", type=int, default=None, help="replay task ids and random faults")
    parser.add_argument(
        "--step",
        "--clock",
        dest="step",
        type=float,
        default=2.0,
        help="seconds a task spends in each non-terminal state (default 2; 0: done at once)",
    )
    parser.add_argument("--credits", type=float, default=100.0, help="starting balance")
    parser.add_argument(
        "--webhook-key", default=None, help=f"sign {signed} callbacks with this HMAC key"
    )
    parser.add_argument(
        "--null-reads",
        type=int,
        default=0,
        help="; ".join(
            f"answer {kind.null_read!r} to the first N reads of each {kind.title} task"
            for kind in null_reads
        ),
    )
    parser.add_argument(
        "--fault", action="append", default=[], metavar="SPEC", help="a fault (repeatable)"
    )
    parser.add_argument(
        "--rate-limit",
        action="append",
        default=[],
        metavar="PROVIDER=N/SECONDS",
        help=(
            "reject (HTTP 429, Retry-After) creations beyond N per SECONDS per account, e.g. "
            f"{documented or 'PROVIDER=20/10'}, the documented limit (repeatable; off by default)"
        ),
    )
    parser.add_argument(
        "--expire-after",
        type=float,
        default=DEFAULT_EXPIRE_AFTER,
        metavar="SECONDS",
        help=f"forget finished tasks and files after this long (default {DEFAULT_EXPIRE_AFTER:g})",
    )
    parser.add_argument(
        "--callback-attempts",
        type=int,
        default=DEFAULT_CALLBACK_ATTEMPTS,
        metavar="N",
        help=f"attempts per callback, retries included (default {DEFAULT_CALLBACK_ATTEMPTS})",
    )
    parser.add_argument(
        "--callback-backoff",
        type=float,
        default=DEFAULT_CALLBACK_BACKOFF,
        metavar="SECONDS",
        help=(
            "delay before the first retry of a refused callback, doubling after each "
            f"(default {DEFAULT_CALLBACK_BACKOFF:g}: about 2 hours over 10 attempts)"
        ),
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no line per request (the start-up lines stay)"
    )
    return parser


def _log(line: str) -> None:
    print(line, flush=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _StopSignals:
    """SIGINT/SIGTERM wake the main thread through a socket, re-entrantly.

    The handlers themselves do nothing: CPython's C-level handler writes the signal's number to
    the wake-up socket, and the main thread, blocked reading it, returns. A handler that took a
    lock (``threading.Event.set``) deadlocked when a second signal (a process-group kill and
    ``uv run`` forwarding the same one, or Ctrl-C twice) ran it again inside the first.
    """

    def __init__(self) -> None:
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)  # set_wakeup_fd's requirement: a signal never blocks
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, _ignore)

    def wait(self) -> None:
        self._reader.recv(1)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # The handlers stay: the process is ending, and a signal that arrives while it does
        # (the second of a pair) must not turn a clean exit into a kill or a traceback.
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


def _ignore(number: int, frame: object) -> None:
    """The Python-level handler: nothing, so running it twice, nested, is harmless."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        faults = [parse_fault(text) for text in args.fault]
    except ValueError as exc:
        print(f"--fault: {exc}", file=sys.stderr)
        return 2
    try:
        rate_limits = dict(parse_rate_limit(text) for text in args.rate_limit)
    except ValueError as exc:
        print(f"--rate-limit: {exc}", file=sys.stderr)
        return 2
    try:
        mock = MockServer(
            step=args.step,
            credits=args.credits,
            seed=args.seed,
            webhook_key=args.webhook_key,
            null_reads={
                name: args.null_reads
                for name, kind in provider_mocks().items()
                if kind.null_read is not None
            },
            port=args.port,
            rate_limits=rate_limits or None,
            expire_after=args.expire_after,
            callback_attempts=args.callback_attempts,
            callback_backoff=args.callback_backoff,
            log=None if args.quiet else _log,
        )
    except ValueError as exc:
        print(f"python -m kling_avatar.testing: {exc}", file=sys.stderr)
        return 2
    for fault in faults:
        mock.state.faults.add(fault)
    with _StopSignals() as stop:
        return _serve(mock, args, faults, rate_limits, stop)


def _serve(
    mock: MockServer,
    args: argparse.Namespace,
    faults: list[Fault],
    rate_limits: dict[str, tuple[int, float]],
    stop: _StopSignals,
) -> int:
    try:
        mock.start()
    except (OSError, RuntimeError) as exc:
        print(f"cannot serve on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            print(
                f"port {args.port} is taken (another mock?); choose another: "
                f"make mock PORT={_free_port()}",
                file=sys.stderr,
            )
        return 1
    # What is loaded by now (both specs, connexion's operations) lives as long as the process:
    # the garbage collector need not walk it again at every collection.
    gc.freeze()
    kinds = provider_mocks().values()
    titles = _titles([kind.title for kind in kinds])
    print(f"# kling-avatar mock serving {titles} on {mock.base_url}", flush=True)
    print("# point the client (or kling-avatar) at it:", flush=True)
    # Keys from the environment are never printed; the documented defaults are, so a README
    # curl works as written and the lines can be pasted (or eval'ed) as they are.
    for kind in kinds:
        print(f"export {kind.base_url_variable}={mock.base_url}", flush=True)
        if os.environ.get(kind.key_variable):
            print(f"# {kind.title} key: the one already in ${kind.key_variable}", flush=True)
        else:
            print(f"export {kind.key_variable}={kind.default_key}", flush=True)
    limits = ", ".join(f"{p} {n}/{w:g} s" for p, (n, w) in rate_limits.items()) or "none"
    print(
        f"# step {args.step:g} s, credits {args.credits:g}, faults {len(faults)}, "
        f"rate limits {limits}{'' if args.quiet else '; one line per request follows'}",
        flush=True,
    )
    stop.wait()
    mock.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
