"""`kling-avatar <args>` run in this process, as `python -m kling_avatar` would run it."""

from __future__ import annotations

import contextlib
import io
import os
import traceback
from typing import Any
from unittest import mock

from kling_avatar import AvatarClient
from kling_avatar._cli import context as cli_context
from kling_avatar._cli import main
from kling_avatar.testing import MockClock


def run_in_process(
    argv: list[str], env: dict[str, str], clock: MockClock | None = None
) -> tuple[int, str, str]:
    """`main(argv)` as `python -m kling_avatar` runs it, with `env` as the whole environment:
    the exit status, stdout and stderr. With a `clock`, its clients are on the mock's clock."""
    stdout, stderr = io.StringIO(), io.StringIO()
    original = AvatarClient

    def clocked(*args: Any, **kwargs: Any) -> AvatarClient:
        client = original(*args, **kwargs)
        return client if clock is None else clock.attach(client)

    with (
        mock.patch.dict(os.environ, env, clear=True),
        mock.patch.object(cli_context, "AvatarClient", clocked),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            status: object = main(argv)
        except SystemExit as stop:  # argparse's usage errors
            status = stop.code
        except Exception:  # what the interpreter would print and exit 1 for
            traceback.print_exc()
            status = 1
    if not isinstance(status, int):
        if status is not None:
            stderr.write(f"{status}\n")
        status = 0 if status is None else 1
    return status, stdout.getvalue(), stderr.getvalue()
