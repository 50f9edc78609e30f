"""What every command runs with: its arguments, the clients they configure, the streams."""

from __future__ import annotations

import argparse
import json
import os
import shlex
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from kling_avatar import AuthenticationError, AvatarClient, as_provider
from kling_avatar._providers import adapter_class, key_variable

from .options import DEFAULT_WAIT_TIMEOUT, PROG
from .output import TerminalProgress, printable

if TYPE_CHECKING:  # the router imports asyncio (its async form): only routed runs load it
    from kling_avatar import AvatarRouter, RouteEvent

__all__ = ["Context"]


class Context:
    """What every command needs: its arguments, the client, the output streams."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
        self.args = args
        self.providers: tuple[str, ...] = args.provider
        # With several (generate only), the one that took the task, once one has.
        self.provider: str = ",".join(self.providers)
        self.stdout = stdout
        self.stderr = stderr
        self.progress = TerminalProgress(stderr, live=stderr.isatty())
        # What a Ctrl-C message needs: the task to resume, or whether the creation request was
        # in flight (then nobody knows whether the provider made the task).
        self.task_id: str | None = None
        self.creating = False

    def client(self) -> AvatarClient:
        """The client of the one provider (the parser saw to it that there is one)."""
        _require_key(self.provider)
        provider = as_provider(self.provider)
        if self.args.request_timeout is not None:
            return AvatarClient(
                provider, base_url=self.args.base_url, timeout=self.args.request_timeout
            )
        return AvatarClient(provider, base_url=self.args.base_url)

    def router(self, on_route: Callable[[RouteEvent], None]) -> AvatarRouter:
        """The router over the providers, in the order given."""
        from kling_avatar import AvatarRouter

        for name in self.providers:
            _require_key(name)
        args = self.args
        urls = dict.fromkeys(self.providers, args.base_url) if args.base_url else None
        if args.request_timeout is not None:
            return AvatarRouter(
                self.providers, base_urls=urls, on_route=on_route, timeout=args.request_timeout
            )
        return AvatarRouter(self.providers, base_urls=urls, on_route=on_route)

    def emit(self, payload: dict[str, object], lines: Sequence[str]) -> None:
        if self.args.json:
            self.stdout.write(json.dumps(payload, indent=2) + "\n")
        else:
            self.stdout.write("".join(printable(line) + "\n" for line in lines))
        self.stdout.flush()

    def resume_command(self, task_id: str) -> str:
        """The `wait` that picks the task up again with the options that shape its result: the
        same address, limits, output format, and the file the video was to be saved to."""
        args = self.args
        words = [PROG, "wait", task_id, "--provider", self.provider]
        if args.base_url:
            words += ["--base-url", args.base_url]
        if args.request_timeout is not None:
            words += ["--request-timeout", f"{args.request_timeout:g}"]
        if args.timeout != DEFAULT_WAIT_TIMEOUT:
            words += ["--timeout", f"{args.timeout:g}"]
        if args.output is not None:
            words += ["--output", args.output]
        if args.json:
            words.append("--json")
        return shlex.join(words)

    def status_command(self, task_id: str) -> str:
        """The `status` that reads the task once, at the same address."""
        return shlex.join([PROG, "status", task_id, *self._where()])

    def cancel_command(self, task_id: str) -> str | None:
        """The `cancel` of the task, where its provider has one (None elsewhere)."""
        if not adapter_class(self.provider).can_cancel():
            return None
        return shlex.join([PROG, "cancel", task_id, *self._where()])

    def _where(self) -> list[str]:
        words = ["--provider", self.provider]
        if self.args.base_url:
            words += ["--base-url", self.args.base_url]
        return words


def _require_key(provider: str) -> None:
    if not os.environ.get(key_variable(provider)):
        # The client would say the same, but suggest `api_key=`, which means nothing here.
        raise AuthenticationError(f"no API key: set {key_variable(provider)}", provider=provider)
