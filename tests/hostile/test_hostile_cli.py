"""`kling-avatar generate --output` against a hostile crun: where files land, what is shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import attrs
from command import run_in_process

from .provider import KEY, SIGNATURE, VIDEO, hostile_crun
from .server import HostileServer

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
EVIL_ID = "../../\x1b]0;owned\x07\x1b[2J\x1b[31mevil"
URLS = ["--image", "https://media.example/p.png", "--audio", "https://media.example/v.wav"]


@attrs.frozen
class Run:
    status: int
    stdout: str
    stderr: str


def cli(server: HostileServer, *args: str) -> Run:
    """The command against `server`: its `main` in this process (a process of its own with
    `--debug`, which configures the process's root logger)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRUN_", "APIKLEY_"))}
    env.update(CRUN_API_KEY=KEY, CRUN_BASE_URL=server.url)
    argv = ["generate", "--provider", "crun", *args]
    if "--debug" not in args:
        return Run(*run_in_process(argv, env))
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "kling_avatar", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def test_a_hostile_task_id_writes_inside_the_folder_and_shows_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b" / "out"
    with hostile_crun(EVIL_ID) as server:
        first = cli(server, *URLS, "--output", f"{folder}/")
        again = cli(server, *URLS, "--output", f"{folder}/")
        forced = cli(server, *URLS, "--output", f"{folder}/", "--force", "--json")
    assert first.status == 0, first.stderr
    (saved,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert saved.parent == folder and saved.suffix == ".mp4" and saved.read_bytes() == VIDEO
    for run in (first, again, forced):
        assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout + run.stderr
    assert "\\x1b" in first.stderr  # shown, escaped
    assert again.status == 17 and "exists" in again.stderr and "--force" in again.stderr
    assert forced.status == 0, forced.stderr


def test_an_existing_output_file_needs_force(tmp_path: Path) -> None:
    target = tmp_path / "mine.mp4"
    target.write_bytes(b"precious")
    with hostile_crun("t1") as server:
        refused = cli(server, *URLS, "--output", str(target))
        assert target.read_bytes() == b"precious"
        forced = cli(server, *URLS, "--output", str(target), "--force")
    assert refused.status == 17, refused.stderr
    assert forced.status == 0, forced.stderr
    assert target.read_bytes() == VIDEO


def test_an_escaping_failure_message_is_shown_escaped() -> None:
    with hostile_crun("\x1b[2Jt1", "failed") as server:
        run = cli(server, *URLS)
    assert run.status == 10
    assert "\x1b" not in run.stdout + run.stderr


def test_debug_logs_show_no_presigned_signature() -> None:
    with hostile_crun("t1") as server:
        run = cli(server, "--image", str(MEDIA / "portrait.png"), "--audio", URLS[3], "--debug")
        puts = [r for r in server.requests if r.path == "/put"]
    assert run.status == 0, run.stderr
    assert puts and "HTTP Request: PUT" in run.stderr  # the debug log is on, the PUT logged ...
    assert SIGNATURE not in run.stderr + run.stdout  # ... without its signature
    assert KEY not in run.stderr + run.stdout
