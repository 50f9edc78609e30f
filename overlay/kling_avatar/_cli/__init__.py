"""The `kling-avatar` command: from a portrait and an audio file on disk to a video.

Built on the sync `AvatarClient`, so everything the client guarantees (checked input, retries
that never create a task twice, bounded waits, keys kept out of messages) holds here too. This
module adds only what a person at a terminal needs: argument parsing, progress, one-line errors
with an exit status per error class, and the download of the result.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kling_avatar import (
    AuthenticationError,
    AvatarClient,
    AvatarError,
    DownloadError,
    InvalidRequestError,
    Task,
    WaitTimeoutError,
    __version__,
    as_provider,
)
from kling_avatar._base_client import DEFAULT_TIMEOUT
from kling_avatar._inputs import PATH_ADVICE, check_task_input
from kling_avatar._progress import Progress
from kling_avatar._providers import PROVIDERS, adapter_class, key_variable
from kling_avatar._redact import RedactingFilter, printable
from kling_avatar._uploads import UploadFile

from .exits import (
    EXIT_DOWNLOAD,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STATUSES,
    EXIT_UNEXPECTED,
    meanings,
    status_of,
)

if TYPE_CHECKING:  # the router imports asyncio (its async form): only routed runs load it
    from kling_avatar import RouteEvent

__all__ = ["EXIT_STATUSES", "main"]

PROG = "kling-avatar"
# The providers' own polling advice is to give up after 10-15 minutes.
DEFAULT_WAIT_TIMEOUT = 900.0


def _epilog() -> str:
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


class _Progress(Progress):
    """Progress whose text, which carries the provider's task ids and states, reaches the
    terminal with control characters escaped: a hostile id cannot rewrite the screen."""

    def note(self, message: str) -> None:
        super().note(printable(message))

    def start(self, label: str, state: str | None) -> None:
        super().start(printable(label), None if state is None else printable(state))

    def state(self, state: str) -> None:
        super().state(printable(state))


# --- argument parsing ----------------------------------------------------------------------


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


def _add_common_options(parser: argparse.ArgumentParser) -> None:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Make a talking-avatar video with Kling Avatar at "
        + " or ".join(adapter_class(name).title for name in PROVIDERS)
        + ".",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(
            name,
            help=help,
            description=help,
            epilog=_epilog(),
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
    _add_wait_options(generate)
    generate.set_defaults(run=_generate)

    status = command("status", "show a task's state once")
    status.add_argument("task_id", metavar="TASK_ID")
    status.set_defaults(run=_status)

    wait = command("wait", "wait for a task to finish and print the video URL")
    wait.add_argument("task_id", metavar="TASK_ID")
    _add_wait_options(wait)
    wait.set_defaults(run=_wait)

    credits = command("credits", "show the account's remaining credits")
    credits.set_defaults(run=_credits)

    # Listed for --help only: main() hands `contract ...` to kling_avatar.contract before parsing.
    command("contract", "the contract suite: run, traffic FILE, spec PROVIDER (contract extra)")

    # After each command's own options, so that --help lists those first.
    for each in (generate, status, wait, credits):
        _add_common_options(each)
    return parser


def _add_wait_options(parser: argparse.ArgumentParser) -> None:
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


# --- the commands --------------------------------------------------------------------------


class _Context:
    """What every command needs: its arguments, the client, the output streams."""

    def __init__(self, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> None:
        self.args = args
        self.providers: tuple[str, ...] = args.provider
        # With several (generate only), the one that took the task, once one has.
        self.provider: str = ",".join(self.providers)
        self.stdout = stdout
        self.stderr = stderr
        self.progress = _Progress(stderr, live=stderr.isatty())
        # What a Ctrl-C message needs: the task to resume, or whether the creation request was
        # in flight (then nobody knows whether the provider made the task).
        self.task_id: str | None = None
        self.creating = False

    def client(self) -> AvatarClient:
        if not os.environ.get(key_variable(self.provider)):
            # The client would say the same, but suggest `api_key=`, which means nothing here.
            raise AuthenticationError(
                f"no API key: set {key_variable(self.provider)}", provider=self.provider
            )
        provider = as_provider(self.provider)  # one name here: the parser saw to it
        if self.args.request_timeout is not None:
            return AvatarClient(
                provider, base_url=self.args.base_url, timeout=self.args.request_timeout
            )
        return AvatarClient(provider, base_url=self.args.base_url)

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


def _generate(ctx: _Context) -> int:
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
            ctx.emit(_task_json(task), [task.id])
            return EXIT_OK
        return _finish(ctx, client, task.id, known=task)


def _generate_routed(ctx: _Context) -> int:
    """`generate` over several providers: the router picks, the progress says who and why."""
    from kling_avatar import AvatarRouter

    args = ctx.args
    for name in ctx.providers:
        if not os.environ.get(key_variable(name)):
            raise AuthenticationError(f"no API key: set {key_variable(name)}", provider=name)

    skipped: list[str] = []

    def on_route(event: RouteEvent) -> None:
        if event.kind == "skipped":
            skipped.append(event.provider)
            ctx.progress.note(f"{event.provider}: skipped ({event.reason})")

    urls = dict.fromkeys(ctx.providers, args.base_url) if args.base_url else None
    timeout = DEFAULT_TIMEOUT if args.request_timeout is None else args.request_timeout
    with AvatarRouter(ctx.providers, base_urls=urls, on_route=on_route, timeout=timeout) as router:
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
            ctx.emit(_task_json(task), [task.id])
            return EXIT_OK
        return _finish(ctx, router.clients[task.provider], task.id, known=task)


def _wait(ctx: _Context) -> int:
    ctx.task_id = ctx.args.task_id
    with ctx.client() as client:
        return _finish(ctx, client, ctx.args.task_id, known=None)


def _status(ctx: _Context) -> int:
    with ctx.client() as client:
        task = client.get_task(ctx.args.task_id)
    ctx.emit(_task_json(task), _task_lines(ctx.provider, task))
    return EXIT_OK


def _credits(ctx: _Context) -> int:
    with ctx.client() as client:
        credits = client.get_credits()
    ctx.emit({"provider": ctx.provider, "credits": credits}, [f"{credits:g}"])
    return EXIT_OK


def _finish(ctx: _Context, client: AvatarClient, task_id: str, *, known: Task | None) -> int:
    """Wait for the task with progress, then print (and maybe download) the result.

    `known` is the task as last seen, if it was; `wait` deliberately does not read it first:
    Apikley answers "not found" for a task it has just created, which only the client's
    wait tolerates.
    """
    state = _state_text(known) if known is not None else None
    ctx.progress.start(f"{ctx.provider} task {task_id}", state)
    try:
        task = client.wait_for_task(
            task_id,
            timeout=ctx.args.timeout,
            on_update=lambda update: ctx.progress.state(_state_text(update)),
        )
    except WaitTimeoutError:
        ctx.progress.stop()
        ctx.progress.note(f"the task keeps running; resume with: {ctx.resume_command(task_id)}")
        raise
    finally:
        ctx.progress.stop()
    payload = _task_json(task)
    lines = list(task.video_urls)
    if ctx.args.output is not None:
        ctx.progress.note(f"{ctx.provider}: downloading the video to {ctx.args.output}")
        path = client.download(task, ctx.args.output, overwrite=ctx.args.force)
        payload["output"] = str(path)
        lines.append(f"saved {path}")
    ctx.emit(payload, lines)
    return EXIT_OK


def _state_text(task: Task) -> str:
    """Our word for the state, with the provider's own while it says more (`pending (queuing)`)."""
    word = task.provider_state
    if word and word != task.state.value and not task.done:
        return f"{task.state.value} ({word})"
    return task.state.value


def _media(value: str) -> str | Path:
    """An argument that looks like a URL stays one (the client checks it is http(s));
    anything else names a local file: a `Path`, which the client reads (a str it never does)."""
    if not value.strip():
        raise argparse.ArgumentTypeError("empty: give a file's path or an http(s) URL")
    if "://" in value or value.startswith(("http:", "https:")):
        return value
    return Path(value)


def _upload(ctx: _Context, client: AvatarClient, value: str | Path, media: str | UploadFile) -> str:
    """A URL is passed through; a local file (already checked) is uploaded, its URL returned."""
    if isinstance(media, str):
        return media
    ctx.progress.note(f"{ctx.provider}: uploading {media.file_name} ({_size(len(media.content))})")
    url = client.upload_file(Path(value), content_type=media.content_type)
    ctx.progress.note(f"{ctx.provider}: uploaded {media.file_name}")
    return url


# The client names the fields as its arguments; the user typed options.
_OPTIONS = {
    "image_url": "--image",
    "audio_url": "--audio",
    "prompt": "--prompt",
    "mode": "--mode",
    "callback_url": "--callback-url",
}


def _in_option_terms(exc: InvalidRequestError, provider: str) -> InvalidRequestError:
    message, field = exc.message, exc.field or ""
    option = _OPTIONS.get(field)
    if option is not None and message.startswith(f"{field}:"):
        message = option + message[len(field) :]
    # The client's advice for an untyped file, and for a path in a str, is about arguments
    # the command does not have (it makes every non-URL argument a path itself).
    message = message.removesuffix("; pass content_type").removesuffix(PATH_ADVICE)
    return InvalidRequestError(message, provider=exc.provider or provider, field=exc.field)


# --- output --------------------------------------------------------------------------------


def _task_json(task: Task) -> dict[str, object]:
    return {
        "id": task.id,
        "provider": task.provider,
        "state": task.state.value,
        "provider_state": task.provider_state,
        "video_url": task.video_url,
        "video_urls": list(task.video_urls),
        "error_code": task.error_code,
        "error_message": task.error_message,
        "created_at": task.created_at.isoformat() if task.created_at else None,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "credits_used": task.credits_used,
    }


def _task_lines(provider: str, task: Task) -> list[str]:
    head = f"{provider} task {task.id}: {_state_text(task)}"
    if task.error_code or task.error_message:
        head += f" ({task.error_code}: {task.error_message})"
    return [head, *task.video_urls]


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def _one_line(text: str) -> str:
    """One line, control characters escaped: what a provider wrote reaches no terminal raw."""
    return printable(" ".join(str(text).split()))


def _describe(ctx: _Context, exc: AvatarError) -> str:
    """`<provider> <code> <ClassName>: <message> (request id ...)`, on one line."""
    provider = exc.provider or ctx.provider
    code = f" {exc.code}" if exc.code is not None else ""
    text = f"{provider}{code} {type(exc).__name__}: {_one_line(exc.message)}"
    if exc.request_id:
        text += f" (request id {exc.request_id})"
    return text


def _contract(argv: list[str]) -> int:
    """`kling-avatar contract ...`; imported only here, so the other commands never load
    schemathesis."""
    from kling_avatar.contract._command import main as contract_main

    return contract_main(argv)


# --- entry point ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["contract"]:
        return _contract(words[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "generate" and len(args.provider) > 1:
        parser.error(f"{args.command} takes one --provider: the one the task is at")
    ctx = _Context(args, sys.stdout, sys.stderr)
    if args.debug:
        # The client promises no key in any log record; httpx's own INFO lines hold URLs, and
        # a presigned upload URL carries its signature in the query: the filter blanks it (and
        # the keys, in every encoding, wherever a line might echo one).
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
        keys = [os.environ.get(key_variable(name), "") for name in PROVIDERS]
        for handler in logging.getLogger().handlers:
            handler.addFilter(RedactingFilter(*keys, terminal=True))
        logging.getLogger("kling_avatar").setLevel(logging.DEBUG)
    run: Callable[[_Context], int] = args.run
    try:
        return run(ctx)
    except KeyboardInterrupt:
        return _interrupted(ctx)
    except DownloadError as exc:
        return _fail(ctx, EXIT_DOWNLOAD, "DownloadError", _one_line(exc.message), exc)
    except AvatarError as exc:
        status = status_of(exc)
        return _fail(ctx, status, type(exc).__name__, _describe(ctx, exc), exc)
    except Exception as exc:
        text = f"unexpected {type(exc).__name__}: {_one_line(str(exc))}"
        if not args.debug:
            text += " (rerun with --debug for the traceback)"
        return _fail(ctx, EXIT_UNEXPECTED, type(exc).__name__, text, exc)
    finally:
        ctx.progress.stop()


def _fail(ctx: _Context, status: int, kind: str, text: str, exc: BaseException) -> int:
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
                provider=exc.provider or ctx.provider, code=exc.code, message=_one_line(exc.message)
            )
        ctx.stdout.write(json.dumps({"error": error}, indent=2) + "\n")
        ctx.stdout.flush()
    return status


def _interrupted(ctx: _Context) -> int:
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
    ctx.stderr.flush()
    return EXIT_INTERRUPTED
