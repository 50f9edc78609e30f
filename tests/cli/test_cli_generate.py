"""`kling-avatar generate`: local files in, a video URL out, the video on disk with --output."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from kling_avatar.testing import MockServer

from .helpers import CREATE, GET, PORTRAIT, UPLOAD, VOICE, Cli

LOCAL = ["--image", str(PORTRAIT), "--audio", str(VOICE)]


def test_local_files_are_uploaded_and_the_video_downloaded(
    cli: Cli, mock: MockServer, provider: str, tmp_path: Path
) -> None:
    uploads, creations = mock.calls(UPLOAD[provider]), mock.calls(CREATE[provider])
    target = tmp_path / "videos" / "avatar.mp4"

    result = cli("generate", "--provider", provider, *LOCAL, "--output", str(target), "--json")

    assert result.status == 0, result.stderr
    task = result.json()
    assert task["provider"] == provider
    assert task["state"] == "succeeded"
    assert task["video_url"].startswith(mock.base_url + "/media/")
    assert task["video_urls"] == [task["video_url"]]
    assert task["output"] == str(target)
    assert mock.calls(UPLOAD[provider]) - uploads == 2  # the portrait and the voice
    assert mock.calls(CREATE[provider]) - creations == 1
    assert target.read_bytes() == httpx.get(task["video_url"]).content
    assert not target.with_name("avatar.mp4.part").exists()


def test_urls_are_passed_through_without_upload(cli: Cli, mock: MockServer, provider: str) -> None:
    uploads = mock.calls(UPLOAD[provider])

    result = cli("generate", "--provider", provider, *cli.media_urls())

    assert result.status == 0, result.stderr
    assert mock.calls(UPLOAD[provider]) == uploads
    # Without --json, stdout is just the URL, ready for `$(...)`.
    (url,) = result.stdout.splitlines()
    assert url.startswith(mock.base_url + "/media/")


def test_output_folder_gets_a_file_named_after_the_task(
    cli: Cli, provider: str, tmp_path: Path
) -> None:
    result = cli("generate", "--provider", provider, *LOCAL, "--output", f"{tmp_path}/")

    assert result.status == 0, result.stderr
    url, saved = result.stdout.splitlines()
    (video,) = tmp_path.iterdir()
    assert saved == f"saved {video}"
    assert video.suffix == ".mp4"
    assert video.read_bytes() == httpx.get(url).content


def test_progress_is_plain_lines_when_not_on_a_terminal(cli: Cli, provider: str) -> None:
    result = cli("generate", "--provider", provider, *LOCAL)

    assert result.status == 0, result.stderr
    # Nothing meant for a terminal leaks into a pipe or a log file.
    assert "\r" not in result.stderr
    assert "\x1b" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[:4] == [
        f"{provider}: uploading portrait.png (2.5 kB)",
        f"{provider}: uploaded portrait.png",
        f"{provider}: uploading voice.wav (64.0 kB)",
        f"{provider}: uploaded voice.wav",
    ]
    created = re.fullmatch(rf"{provider}: created task (\S+)", lines[4])
    assert created is not None
    states = [
        re.fullmatch(rf"{provider} task {re.escape(created[1])}: (.+) \(\d+\.\d s\)", line)
        for line in lines[5:]
    ]
    assert all(states), lines[5:]
    words = [match[1] for match in states if match]
    # Only what the provider reported: on this mock the first read already finds it done.
    assert words[-1] == "succeeded"
    assert len(words) == len(set(words)), "a state is printed once, when it changes"


def test_no_wait_returns_the_task_id_for_status_and_wait(
    cli: Cli, mock: MockServer, provider: str
) -> None:
    reads = mock.calls(GET[provider])

    created = cli("generate", "--provider", provider, *cli.media_urls(), "--no-wait")

    assert created.status == 0, created.stderr
    (task_id,) = created.stdout.splitlines()
    assert f"kling-avatar wait {task_id} --provider {provider}" in created.stderr
    assert mock.calls(GET[provider]) == reads  # --no-wait polled nothing

    waited = cli("wait", task_id, "--provider", provider, "--json")
    assert waited.status == 0, waited.stderr
    assert waited.json()["id"] == task_id
    assert waited.json()["state"] == "succeeded"

    status = cli("status", task_id, "--provider", provider)
    assert status.status == 0, status.stderr
    head, url = status.stdout.splitlines()
    assert head == f"{provider} task {task_id}: succeeded"
    assert url == waited.json()["video_url"]
