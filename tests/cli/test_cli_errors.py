"""Every error class: its own exit status, one readable line on stderr, no traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
from kling_avatar._cli import EXIT_STATUSES
from kling_avatar.testing import MockServer

from .helpers import APIKLEY_KEY, CREATE, CRUN_KEY, UPLOAD, WRONG_KEY, Cli

ERROR_LINE = "kling-avatar: error: "


@attrs.frozen
class Case:
    """A way to make the command fail with `error` (exit `status`) for `provider`."""

    error: str
    status: int
    provider: str
    args: tuple[str, ...]
    setup: Callable[[MockServer, str], object] = lambda mock, provider: None
    env: dict[str, str | None] = attrs.field(factory=dict)
    code: int | None = None  # the provider's code, when the provider answered
    says: str = ""  # a piece of the message the user must see
    creations: int | None = None  # task creations that must reach the mock (never twice)
    slow: bool = False  # on the mock whose tasks do not finish


def generate(*extra: str) -> tuple[str, ...]:
    return ("generate", "--image", "{image}", "--audio", "{audio}", *extra)


def fault(kind: str, **params: Any) -> Callable[[MockServer, str], None]:
    def setup(mock: MockServer, provider: str) -> None:
        mock.fault(kind, CREATE[provider], **params)

    return setup


CASES = [
    Case("AuthenticationError", 3, "crun", ("credits",), env={"CRUN_API_KEY": WRONG_KEY},
         code=401),
    Case("AuthenticationError", 3, "apikley", ("credits",), env={"APIKLEY_API_KEY": None},
         says="no API key: set APIKLEY_API_KEY"),
    Case("InsufficientCreditsError", 4, "apikley", generate(),
         setup=lambda mock, provider: mock.set_credits(0.0), code=402, creations=1),
    Case("NotFoundError", 5, "crun", ("status", "no-such-task"), code=404),
    Case("InvalidRequestError", 6, "crun", generate("--prompt", "x" * 2501),
         code=422, says="--prompt: 2501 characters", creations=0),
    Case("InvalidRequestError", 6, "apikley", generate(), setup=fault("envelope", code=422),
         code=422, creations=1),
    Case("RateLimitError", 7, "crun", generate(),
         setup=fault("http", status=429, retry_after=1), code=429, creations=1),
    Case("ServiceUnavailableError", 8, "apikley", generate(),
         setup=fault("envelope", code=455), code=455, creations=1),
    Case("ServerError", 9, "crun", generate(), setup=fault("http", status=500), code=500,
         creations=1),
    Case("GenerationFailedError", 10, "apikley", generate(),
         setup=fault("task_fail", fail_msg="Face not detected"), code=501,
         says="failed (500: Face not detected)",
         creations=1),
    Case("FeatureDisabledError", 11, "crun", generate(), setup=fault("envelope", code=505),
         code=505, creations=1),
    Case("APIConnectionError", 12, "apikley", generate(), setup=fault("drop"), creations=1),
    Case("APITimeoutError", 13, "crun", generate("--request-timeout", "0.5"),
         setup=fault("slow", delay=3.0), creations=1),
    Case("WaitTimeoutError", 14, "apikley", generate("--timeout", "0.5"), creations=1,
         slow=True),
    Case("UnexpectedResponseError", 15, "crun", generate(), setup=fault("non_json"),
         code=200, says="not JSON", creations=1),
    Case("EndpointNotFoundError", 18, "apikley", ("credits", "--base-url", "{base}/wrong"),
         code=404, says="/wrong/api/v1/chat/credit: no such endpoint there; check the base URL"),
    Case("NotSupportedError", 19, "crun", ("cancel", "some-task"),
         says="crun.ai has no way to cancel a task"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.error}-{case.provider}")
def test_error_class_has_its_exit_status_and_one_line(
    case: Case, cli: Cli, slow_cli: Cli, mock: MockServer, slow: MockServer
) -> None:
    run, server = (slow_cli, slow) if case.slow else (cli, mock)
    case.setup(server, case.provider)
    creations = server.calls(CREATE[case.provider])
    urls = run.media_urls()
    args = [arg.format(image=urls[1], audio=urls[3], base=server.base_url) for arg in case.args]

    result = run(*args, "--provider", case.provider, env=case.env)

    assert result.status == case.status, result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.error_lines
    code = f" {case.code}" if case.code is not None else ""
    assert line.startswith(f"{ERROR_LINE}{case.provider}{code} {case.error}: "), line
    assert case.says in line
    assert result.stdout == ""
    if case.creations is not None:
        assert server.calls(CREATE[case.provider]) - creations == case.creations


def test_every_error_class_is_covered_with_a_distinct_status() -> None:
    # Only the base class (for errors no subclass describes) cannot be provoked from outside.
    covered = {case.error for case in CASES} | {"AvatarError"}
    assert covered == {cls.__name__ for cls in EXIT_STATUSES}
    statuses = [*EXIT_STATUSES.values(), 0, 1, 2, 17, 130]
    assert len(statuses) == len(set(statuses))


def test_unreadable_or_unaccepted_files_are_refused_before_any_upload(
    cli: Cli, mock: MockServer, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    uploads = mock.calls(UPLOAD["crun"])
    audio = cli.media_urls()[3]

    for image, says in [
        (tmp_path / "missing.png", "--image: cannot read"),
        (notes, "--image: cannot tell the file's type"),
    ]:
        result = cli("generate", "--provider", "crun", "--image", str(image), "--audio", audio)
        assert result.status == EXIT_STATUSES_BY_NAME["InvalidRequestError"], result.stderr
        (line,) = result.error_lines
        assert line.startswith(f"{ERROR_LINE}crun 422 InvalidRequestError: {says}"), line
    assert mock.calls(UPLOAD["crun"]) == uploads


def test_json_errors_are_parseable_too(cli: Cli, mock: MockServer) -> None:
    result = cli("status", "no-such-task", "--provider", "crun", "--json")

    assert result.status == 5
    assert result.json() == {
        "error": {
            "type": "NotFoundError",
            "provider": "crun",
            "code": 404,
            "message": result.json()["error"]["message"],
            "exit_status": 5,
        }
    }
    assert "no-such-task" in result.json()["error"]["message"]


def test_debug_adds_the_traceback_but_never_the_key(cli: Cli) -> None:
    wrong = cli("credits", "--provider", "crun", "--debug", env={"CRUN_API_KEY": WRONG_KEY})
    assert wrong.status == 3
    assert "Traceback" in wrong.stderr
    assert wrong.stderr.rstrip().splitlines()[-1].startswith(f"{ERROR_LINE}crun 401 ")

    for provider in ("crun", "apikley"):
        ok = cli("generate", "--provider", provider, *cli.media_urls(), "--debug", "--json")
        assert ok.status == 0, ok.stderr
        assert "HTTP Request" in ok.stderr  # the debug log is on ...
        for output in (wrong, ok):  # ... and no key is in it, right or wrong
            for key in (CRUN_KEY, APIKLEY_KEY, WRONG_KEY):
                assert key not in output.stdout + output.stderr


def test_download_failure_has_its_own_status(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the output folder should be")

    result = cli(
        "generate", "--provider", "crun", *cli.media_urls(), "--output", f"{blocker}/video.mp4"
    )

    assert result.status == 17
    (line,) = result.error_lines
    assert line.startswith(f"{ERROR_LINE}could not save the video to {blocker}/video.mp4")


def test_usage_errors_exit_2(cli: Cli) -> None:
    result = cli("generate", "--provider", "crun", "--image", "a.png")

    assert result.status == 2
    assert "--audio" in result.stderr


EXIT_STATUSES_BY_NAME = {cls.__name__: status for cls, status in EXIT_STATUSES.items()}
