"""How a command's failure reaches the user: one line on stderr (the traceback too with
--debug), a JSON error with --json, and the exit status of the error's class."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable

from kling_avatar import AvatarError, DownloadError

from .context import Context
from .exits import EXIT_DOWNLOAD, EXIT_INTERRUPTED, EXIT_UNEXPECTED, status_of
from .options import PROG
from .output import one_line, printable

__all__ = ["run_reporting"]


def run_reporting(ctx: Context, run: Callable[[Context], int]) -> int:
    """`run(ctx)`'s exit status; an error it raises is reported, and mapped to its status."""
    try:
        return run(ctx)
    except KeyboardInterrupt:
        return _interrupted(ctx)
    except DownloadError as exc:
        return _fail(ctx, EXIT_DOWNLOAD, "DownloadError", one_line(exc.message), exc)
    except AvatarError as exc:
        return _fail(ctx, status_of(exc), type(exc).__name__, _describe(ctx, exc), exc)
    except Exception as exc:
        text = f"unexpected {type(exc).__name__}: {one_line(str(exc))}"
        if not ctx.args.debug:
            text += " (rerun with --debug for the traceback)"
        return _fail(ctx, EXIT_UNEXPECTED, type(exc).__name__, text, exc)
    finally:
        ctx.progress.stop()


def _describe(ctx: Context, exc: AvatarError) -> str:
    """`<provider> <code> <ClassName>: <message> (request id ...)`, on one line."""
    provider = exc.provider or ctx.provider
    code = f" {exc.code}" if exc.code is not None else ""
    text = f"{provider}{code} {type(exc).__name__}: {one_line(exc.message)}"
    if exc.request_id:
        text += f" (request id {exc.request_id})"
    return text


def _fail(ctx: Context, status: int, kind: str, text: str, exc: BaseException) -> int:
    ctx.progress.stop()
    if ctx.args.debug:
        for line in "".join(traceback.format_exception(exc)).splitlines():
            ctx.stderr.write(printable(line) + "\n")
    ctx.stderr.write(f"{PROG}: error: {text}\n")
    ctx.stderr.flush()
    if ctx.args.json:
        error: dict[str, object] = {"type": kind, "message": text, "exit_status": status}
        if isinstance(exc, AvatarError):
            error.update(
                provider=exc.provider or ctx.provider, code=exc.code, message=one_line(exc.message)
            )
        ctx.stdout.write(json.dumps({"error": error}, indent=2) + "\n")
        ctx.stdout.flush()
    return status


def _interrupted(ctx: Context) -> int:
    ctx.progress.stop()
    task_id = ctx.task_id
    if task_id is None and ctx.creating:
        ctx.stderr.write(
            f"{PROG}: interrupted while the task was being created; {ctx.provider} may have "
            "created it anyway (look for it in your account before trying again)\n"
        )
    elif task_id is None:
        done = "; no task was created" if ctx.args.command == "generate" else ""
        ctx.stderr.write(f"{PROG}: interrupted{done}\n")
    else:
        ctx.stderr.write(
            f"{PROG}: interrupted; task {task_id} keeps running at {ctx.provider}. Resume with:\n"
            f"  {ctx.resume_command(task_id)}\n"
        )
        cancel = ctx.cancel_command(task_id)
        if cancel is not None:
            ctx.stderr.write(f"or cancel it with:\n  {cancel}\n")
    ctx.stderr.flush()
    return EXIT_INTERRUPTED
