"""`kling-avatar generate`: check the input, upload local files, create the task (at one
provider, or the first of several that takes it), then wait for it like `wait`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from kling_avatar import AvatarClient, InvalidRequestError
from kling_avatar._inputs import PATH_ADVICE, check_task_input
from kling_avatar._providers import adapter_class

from .context import Context
from .exits import EXIT_OK
from .options import add_wait_options
from .output import human_size, task_json
from .result import finish

if TYPE_CHECKING:
    from kling_avatar import RouteEvent
    from kling_avatar._uploads import UploadFile

__all__ = ["HELP", "NAME", "add_arguments", "run"]

NAME = "generate"
HELP = "upload local files, create a task, wait for it and print the video URL"

# The client names the fields as its arguments; the user typed options.
_OPTIONS = {
    "image_url": "--image",
    "audio_url": "--audio",
    "prompt": "--prompt",
    "mode": "--mode",
    "callback_url": "--callback-url",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--image", required=True, type=_media, metavar="PATH|URL", help="the portrait"
    )
    parser.add_argument(
        "--audio", required=True, type=_media, metavar="PATH|URL", help="the speech"
    )
    parser.add_argument(
        "--prompt", default="", metavar="TEXT", help="what the avatar should do (optional)"
    )
    parser.add_argument("--mode", choices=("std", "pro"), default="pro", help="default: pro")
    parser.add_argument("--callback-url", metavar="URL", help="the provider POSTs results here")
    parser.add_argument(
        "--no-wait", action="store_true", help="print the task id and return once it is created"
    )
    add_wait_options(parser)


def run(ctx: Context) -> int:
    args = ctx.args
    # Everything is checked (files read, typed, sized; prompt, mode, callback URL) before the
    # first upload, so a bad --prompt does not cost two uploads first.
    try:
        checked = check_task_input(
            args.image,
            args.audio,
            args.prompt,
            args.mode,
            args.callback_url,
            # A routed generate may land on any of them: the prompt must fit each one's limit.
            max_prompt=min(adapter_class(name).max_prompt for name in ctx.providers),
        )
    except InvalidRequestError as exc:
        raise _in_option_terms(exc, ctx.provider) from exc
    if len(ctx.providers) > 1:
        return _routed(ctx)
    with ctx.client() as client:
        image_url = _upload(ctx, client, args.image, checked.image)
        audio_url = _upload(ctx, client, args.audio, checked.audio)
        ctx.creating = True
        task = client.create_task(
            image_url=image_url,
            audio_url=audio_url,
            prompt=args.prompt,
            mode=args.mode,
            callback_url=args.callback_url,
        )
        ctx.creating = False
        ctx.task_id = task.id
        ctx.progress.note(f"{ctx.provider}: created task {task.id}")
        if args.no_wait:
            ctx.progress.note(f"follow it with: {ctx.resume_command(task.id)}")
            ctx.emit(task_json(task), [task.id])
            return EXIT_OK
        return finish(ctx, client, task.id, known=task)


def _routed(ctx: Context) -> int:
    """`generate` over several providers: the router picks, the progress says who and why."""
    args = ctx.args
    skipped: list[str] = []

    def on_route(event: RouteEvent) -> None:
        if event.kind == "skipped":
            skipped.append(event.provider)
            ctx.progress.note(f"{event.provider}: skipped ({event.reason})")

    with ctx.router(on_route) as router:
        ctx.creating = True
        task = router.create_task(
            image_url=args.image,
            audio_url=args.audio,
            prompt=args.prompt,
            mode=args.mode,
            callback_url=args.callback_url,
        )
        ctx.creating = False
        ctx.provider, ctx.task_id = task.provider, task.id
        why = f" (after skipping {', '.join(skipped)})" if skipped else ""
        ctx.progress.note(f"{task.provider}: created task {task.id}{why}")
        if args.no_wait:
            ctx.progress.note(f"follow it with: {ctx.resume_command(task.id)}")
            ctx.emit(task_json(task), [task.id])
            return EXIT_OK
        return finish(ctx, router.clients[task.provider], task.id, known=task)


def _media(value: str) -> str | Path:
    """An argument that looks like a URL stays one (the client checks it is http(s));
    anything else names a local file: a `Path`, which the client reads (a str it never does)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("empty: give a file's path or an http(s) URL")
    if "://" in value or value.startswith(("http:", "https:")):
        return value
    return Path(value)


def _upload(ctx: Context, client: AvatarClient, value: str | Path, media: str | UploadFile) -> str:
    """A URL is passed through; a local file (already checked) is uploaded, its URL returned."""
    if isinstance(media, str):
        return media
    ctx.progress.note(
        f"{ctx.provider}: uploading {media.file_name} ({human_size(len(media.content))})"
    )
    url = client.upload_file(Path(value), content_type=media.content_type)
    ctx.progress.note(f"{ctx.provider}: uploaded {media.file_name}")
    return url


def _in_option_terms(exc: InvalidRequestError, provider: str) -> InvalidRequestError:
    message, field = exc.message, exc.field or ""
    option = _OPTIONS.get(field)
    if option is not None and message.startswith(f"{field}:"):
        message = option + message[len(field) :]
    # The client's advice for an untyped file, and for a path in a str, is about arguments
    # the command does not have (it makes every non-URL argument a path itself).
    message = message.removesuffix("; pass content_type").removesuffix(PATH_ADVICE)
    return InvalidRequestError(message, provider=exc.provider or provider, field=exc.field)
