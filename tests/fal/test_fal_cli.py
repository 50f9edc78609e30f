"""`kling-avatar ... --provider fal` against the mock: generate leaves a playable video, a list
of all three providers routes, cancel cancels, and Ctrl-C's hint names cancel."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from cli.helpers import Cli
from kling_avatar._cli import EXIT_STATUSES
from kling_avatar.testing import MockServer

from .helpers import KEY, MEDIA


@pytest.fixture
def cli(mock: MockServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The command as a user runs it, with fal's key and the mock's address in the
    environment (the other providers' are the helper's own)."""
    monkeypatch.setenv("FAL_KEY", KEY)
    monkeypatch.setenv("FAL_BASE_URL", mock.base_url)
    return Cli(mock)


def test_generate_at_fal_leaves_a_playable_video(
    cli: Cli, mock: MockServer, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = cli(
        "generate", "--provider", "fal",
        "--image", str(MEDIA / "portrait.png"), "--audio", str(MEDIA / "voice.wav"),
        "--output", str(out), "--json"
    )  # fmt: skip
    assert result.status == 0, result.stderr
    payload = result.json()
    assert payload["provider"] == "fal" and payload["state"] == "succeeded"
    saved = Path(payload["output"])
    assert saved.parent == out and saved.stat().st_size > 1000
    with av.open(str(saved)) as container:
        assert len(container.streams.video) == 1 and len(container.streams.audio) == 1
    assert "fal: uploading portrait.png" in result.stderr
    assert KEY not in result.stdout + result.stderr


def test_a_list_of_all_three_routes_to_the_one_that_can_take_it(cli: Cli, mock: MockServer) -> None:
    mock.set_credits(0.0, "apikley")
    mock.set_credits(0.0, "crun")
    result = cli("generate", "--provider", "apikley,crun,fal", *cli.media_urls())
    assert result.status == 0, result.stderr
    assert "apikley: skipped (insufficient credits (402))" in result.stderr
    assert "crun: skipped (insufficient credits (402))" in result.stderr
    assert "fal: created task" in result.stderr


def test_cancel_a_task_then_one_already_finished(cli: Cli, mock: MockServer) -> None:
    mock.step = 3600.0
    created = cli("generate", "--provider", "fal", "--no-wait", *cli.media_urls())
    task_id = created.stdout.strip()
    first = cli("cancel", task_id, "--provider", "fal", "--json")
    second = cli("cancel", task_id, "--provider", "fal")
    assert first.status == 0 and first.json()["cancel_requested"] is True
    assert f"kling-avatar status {task_id} --provider fal" in first.stderr
    assert second.status == 0 and "had already finished; nothing was cancelled" in second.stdout


def test_fal_has_no_balance_and_crun_no_cancel(cli: Cli, mock: MockServer) -> None:
    credits = cli("credits", "--provider", "fal")
    cancel = cli("cancel", "t1", "--provider", "crun")
    for result in (credits, cancel):
        assert result.status == EXIT_STATUSES_BY_NAME["NotSupportedError"], result.stderr
    assert "fal.ai has no balance API" in credits.stderr


def test_ctrl_c_names_cancel_where_the_provider_has_it(cli: Cli, mock: MockServer) -> None:
    mock.step = 3600.0
    fal = cli.interrupted("fal", "generate", "--provider", "fal", *cli.media_urls())
    assert fal.status == 130
    assert "kling-avatar wait " in fal.stderr and "or cancel it with:" in fal.stderr
    assert "--provider fal" in fal.stderr.split("or cancel it with:")[1]
    # crun's, which names no cancel, is the same run as tests/cli's Ctrl-C test: checked there.


EXIT_STATUSES_BY_NAME = {cls.__name__: status for cls, status in EXIT_STATUSES.items()}
