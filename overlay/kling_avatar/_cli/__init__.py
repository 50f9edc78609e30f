"""The `kling-avatar` command: from a portrait and an audio file on disk to a video.

Built on the sync `AvatarClient`, so everything the client guarantees (checked input, retries
that never create a task twice, bounded waits, keys kept out of messages) holds here too. This
package adds only what a person at a terminal needs: argument parsing, progress, one-line errors
with an exit status per error class, and the download of the result.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kling_avatar import AvatarClient, InvalidRequestError, __version__
from kling_avatar._inputs import PATH_ADVICE, check_task_input
from kling_avatar._providers import PROVIDERS, adapter_class

from .context import Context
from .errors import run_reporting
from .exits import EXIT_OK, EXIT_STATUSES
from .options import PROG, add_common_options, add_wait_options, epilog
from .output import human_size, show_debug_log, task_json, task_lines
from .result import finish

if TYPE_CHECKING:
    from kling_avatar import RouteEvent
    from kling_avatar._uploads import UploadFile

__all__ = ["EXIT_STATUSES", "build_parser", "main"]


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

    generate = command(
        "generate", "upload local files, create a task, wait for it and print the video URL"
    )
    generate.add_argument(
        "--image", required=True, type=_media, metavar="PATH|URL", help="the portrait"
    )
    generate.add_argument(
        "--audio", required=True, type=_media, metavar="PATH|URL", help="the speech"
    )
    generate.add_argument(
        "--prompt", default="", metavar="TEXT", help="what the avatar should do (optional)"
    )
    generate.add_argument("--mode", choices=("std", "pro"), default="pro", help="default: pro")
    generate.add_argument("--callback-url", metavar="URL", help="the provider POSTs results here")
    generate.add_argument(
        "--no-wait", action="store_true", help="print the task id and return once it is created"
    )
    add_wait_options(generate)
    generate.set_defaults(run=_generate)

    status = command("status", "show a task's state once")
    status.add_argument("task_id", metavar="TASK_ID")
    status.set_defaults(run=_status)

    wait = command("wait", "wait for a task to finish and print the video URL")
    wait.add_argument("task_id", metavar="TASK_ID")
    add_wait_options(wait)
    wait.set_defaults(run=_wait)

    credits = command("credits", "show the account's remaining credits")
    credits.set_defaults(run=_credits)

    # Listed for --help only: main() hands `contract ...` to kling_avatar.contract before parsing.
    command("contract", "the contract suite: run, traffic FILE, spec PROVIDER (contract extra)")

    # After each command's own options, so that --help lists those first.
    for each in (generate, status, wait, credits):
        add_common_options(each)
    return parser


# --- the commands ---


def _generate(ctx: Context) -> int:
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
        return _generate_routed(ctx)
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


def _generate_routed(ctx: Context) -> int:
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


def _wait(ctx: Context) -> int:
    ctx.task_id = ctx.args.task_id
    with ctx.client() as client:
        return finish(ctx, client, ctx.args.task_id, known=None)


def _status(ctx: Context) -> int:
    with ctx.client() as client:
        task = client.get_task(ctx.args.task_id)
    ctx.emit(task_json(task), task_lines(ctx.provider, task))
    return EXIT_OK


def _credits(ctx: Context) -> int:
    with ctx.client() as client:
        credits = client.get_credits()
    ctx.emit({"provider": ctx.provider, "credits": credits}, [f"{credits:g}"])
    return EXIT_OK


# The client names the fields as its arguments; the user typed options.
_OPTIONS = {
    "image_url": "--image",
    "audio_url": "--audio",
    "prompt": "--prompt",
    "mode": "--mode",
    "callback_url": "--callback-url",
}


def _contract(argv: list[str]) -> int:
    """Imported only here, so the other commands never load schemathesis."""
    from kling_avatar.contract._command import main as contract_main

    return contract_main(argv)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["contract"]:
        return _contract(words[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "generate" and len(args.provider) > 1:
        parser.error(f"{args.command} takes one --provider: the one the task is at")
    ctx = Context(args, sys.stdout, sys.stderr)
    if args.debug:
        show_debug_log()
    run: Callable[[Context], int] = args.run
    return run_reporting(ctx, run)
