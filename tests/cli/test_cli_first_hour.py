"""Ctrl-C's resume hint keeps what the run was for; progress in a pipe is one line per state."""

from __future__ import annotations

import io
import itertools
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from kling_avatar._progress import Progress
from kling_avatar.testing import MockServer

from .helpers import APIKLEY_KEY, CRUN_KEY, Cli


@pytest.fixture(scope="module")
def stepping() -> Iterator[Cli]:
    """Tasks walk through every state, half a second each, and can be pushed on with advance."""
    with MockServer(step=0.5, seed=0, crun_key=CRUN_KEY, apikley_key=APIKLEY_KEY) as mock:
        yield Cli(mock)


def test_ctrl_c_hint_keeps_output_and_the_resumed_run_saves_the_video(
    slow_cli: Cli, provider: str, tmp_path: Path
) -> None:
    target = tmp_path / "videos dir" / "greeting.mp4"  # a space: the hint must quote it
    options = ["--output", str(target), "--json", "--request-timeout", "20", "--timeout", "300"]
    args = ("generate", "--provider", provider, *slow_cli.media_urls(), *options)
    result = slow_cli.interrupted(provider, *args)

    assert result.status == 130, result.stderr
    hint = result.stderr.rstrip("\n").splitlines()[-1].strip()
    words = shlex.split(hint)
    assert words[:2] == ["kling-avatar", "wait"]
    assert words[3:] == ["--provider", provider, *options[3:], "--output", str(target), "--json"]

    slow_cli.mock.advance(600.0)  # the task finishes while nobody waits
    resumed = slow_cli(*words[1:])

    assert resumed.status == 0, resumed.stderr
    assert resumed.json()["output"] == str(target)
    assert target.stat().st_size > 0


def test_progress_in_a_pipe_is_one_line_per_reported_state(stepping: Cli, provider: str) -> None:
    result = stepping("generate", "--provider", provider, *stepping.media_urls())

    assert result.status == 0, result.stderr
    task_lines = [line for line in result.stderr.splitlines() if f"{provider} task " in line]
    words = [re.sub(r"^.*?: (.+) \(\d+\.\d s\)$", r"\1", line) for line in task_lines]
    assert words[-1] == "succeeded", result.stderr
    assert all(a != b for a, b in itertools.pairwise(words)), words
    # The state a just-created task is assumed to be in is not printed: the first line is
    # the provider's first report. Apikley always says more than "pending" (waiting, queuing).
    if provider == "apikley":
        assert "pending" not in words, words


def test_progress_in_a_pipe_writes_a_state_once_and_not_the_assumed_one() -> None:
    stream = io.StringIO()  # not a terminal
    progress = Progress(stream, live=False)
    progress.start("apikley task t", "pending")  # assumed right after creation: not written
    for state in ("pending (waiting)", "pending (waiting)", "pending (queuing)", "succeeded"):
        progress.state(state)
    progress.stop()

    states = [line.split(": ", 1)[1].rsplit(" (", 1)[0] for line in stream.getvalue().splitlines()]
    assert states == ["pending (waiting)", "pending (queuing)", "succeeded"]
