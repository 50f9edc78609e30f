"""`kling-avatar generate --provider apikley,crun`: the router behind the command."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli.helpers import PORTRAIT, VOICE, Cli
from kling_avatar.testing import MockServer

from .helpers import CREATE, UPLOAD, Counts


@pytest.fixture
def cli(mock: MockServer) -> Cli:
    return Cli(mock)


def test_the_progress_says_who_took_the_task_and_why_one_was_skipped(
    cli: Cli, mock: MockServer, counts: Counts
) -> None:
    mock.set_credits(0.0, "apikley")
    result = cli(
        "generate",
        "--provider",
        "apikley,crun",
        "--image",
        str(PORTRAIT),
        "--audio",
        str(VOICE),
        "--json",
    )
    assert result.status == 0, result.stderr
    assert result.json()["provider"] == "crun" and result.json()["state"] == "succeeded"
    assert "apikley: skipped (insufficient credits (402))" in result.stderr
    assert "crun: created task" in result.stderr and "after skipping apikley" in result.stderr
    assert counts.tasks() == 1 and counts.calls(UPLOAD["crun"]) == 2


def test_the_first_provider_takes_the_task_when_it_can(cli: Cli, mock: MockServer) -> None:
    result = cli("generate", "--provider", "crun,apikley", *cli.media_urls(), "--no-wait")
    assert result.status == 0, result.stderr
    assert "crun: created task" in result.stderr and "skipped" not in result.stderr
    assert "--provider crun" in result.stderr  # the resume hint names the one provider


def test_an_ambiguous_creation_is_not_sent_elsewhere(
    cli: Cli, mock: MockServer, counts: Counts
) -> None:
    mock.fault("drop", CREATE["apikley"], after=True)
    result = cli("generate", "--provider", "apikley,crun", *cli.media_urls())
    assert result.status == 12  # APIConnectionError
    assert "may have been created at apikley" in result.stderr
    assert counts.calls(CREATE["crun"]) == 0


def test_other_commands_take_one_provider(cli: Cli, tmp_path: Path) -> None:
    result = cli("status", "some-task", "--provider", "apikley,crun")
    assert result.status == 2 and "one --provider" in result.stderr
    result = cli("credits", "--provider", "apikley,kling")
    assert result.status == 2 and "invalid choice: 'kling'" in result.stderr
