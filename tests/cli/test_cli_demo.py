"""`make demo`, the README's first command: every provider, from the sample media to files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av

from .helpers import RUN_TIMEOUT

ROOT = Path(__file__).resolve().parents[2]


def test_demo_ends_with_every_video_on_disk(tmp_path: Path) -> None:
    # The user's own keys and base URLs must not matter: the demo brings its mock and keys.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRUN_", "APIKLEY_", "FAL_"))}
    env.update(
        CRUN_API_KEY="ak_someonesREALkeyREALkeyREALkey00",
        FAL_KEY="someones-REAL-fal-key:REALREAL",
        APIKLEY_BASE_URL="http://127.0.0.1:9",
    )

    done = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "scripts/demo.py", "--step", "0", "--out", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=2 * RUN_TIMEOUT,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    # The files are playable videos: one picture and one sound stream, as long as the voice
    # (what ffprobe would show; PyAV reads them with the same FFmpeg) ...
    videos = [tmp_path / "crun.mp4", tmp_path / "apikley.mp4", tmp_path / "fal.mp4"]
    with av.open(str(ROOT / "examples" / "media" / "voice.wav"), "r") as voice:
        assert voice.duration is not None
        voice_seconds = voice.duration / 1e6
    for video in videos:
        with av.open(str(video), "r") as container:
            assert sorted(s.type for s in container.streams) == ["audio", "video"]
            assert container.duration is not None
            assert abs(container.duration / 1e6 - voice_seconds) <= 0.1
    # ... and the last lines say where they are.
    listed = done.stdout.rstrip().splitlines()[-3:]
    assert [line.split()[0] for line in listed] == [str(video) for video in videos]
    # The uploads happened: the sample media are local files.
    for provider in ("crun", "apikley", "fal"):
        assert f"{provider}: uploaded portrait.png" in done.stderr
        assert f"{provider}: uploaded voice.wav" in done.stderr
    assert "ak_someonesREALkey" not in done.stdout + done.stderr
    assert "someones-REAL-fal-key" not in done.stdout + done.stderr
