"""The end of `generate` and `wait`: wait for the task with progress, then print (and maybe
download) the video."""

from __future__ import annotations

from kling_avatar import AvatarClient, Task, WaitTimeoutError

from .context import Context
from .exits import EXIT_OK
from .output import state_text, task_json

__all__ = ["finish"]


def finish(ctx: Context, client: AvatarClient, task_id: str, *, known: Task | None) -> int:
    """Wait for the task with progress, then print (and maybe download) the result.

    `known` is the task as last seen, if it was; `wait` deliberately does not read it first:
    Apikley answers "not found" for a task it has just created, which only the client's
    wait tolerates.
    """
    state = state_text(known) if known is not None else None
    ctx.progress.start(f"{ctx.provider} task {task_id}", state)
    try:
        task = client.wait_for_task(
            task_id,
            timeout=ctx.args.timeout,
            on_update=lambda update: ctx.progress.state(state_text(update)),
        )
    except WaitTimeoutError:
        ctx.progress.stop()
        ctx.progress.note(f"the task keeps running; resume with: {ctx.resume_command(task_id)}")
        raise
    finally:
        ctx.progress.stop()
    payload = task_json(task)
    lines = list(task.video_urls)
    if ctx.args.output is not None:
        ctx.progress.note(f"{ctx.provider}: downloading the video to {ctx.args.output}")
        path = client.download(task, ctx.args.output, overwrite=ctx.args.force)
        payload["output"] = str(path)
        lines.append(f"saved {path}")
    ctx.emit(payload, lines)
    return EXIT_OK
