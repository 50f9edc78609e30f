"""`credits`, `status`, `wait`; Ctrl-C during a wait; the redrawn line on a real terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

from kling_avatar.testing import MockServer

from .helpers import APIKLEY_KEY, CRUN_KEY, RUN_TIMEOUT, Cli, command


def test_credits(cli: Cli, mock: MockServer, provider: str) -> None:
    mock.set_credits(42.5)

    human = cli("credits", "--provider", provider)
    as_json = cli("credits", "--provider", provider, "--json")

    assert (human.status, human.stdout) == (0, "42.5\n")
    assert as_json.status == 0
    assert as_json.json() == {"provider": provider, "credits": 42.5}


def test_status_of_a_running_task(slow_cli: Cli, provider: str) -> None:
    created = slow_cli("generate", "--provider", provider, *slow_cli.media_urls(), "--no-wait")
    assert created.status == 0, created.stderr
    task_id = created.stdout.strip()

    status = slow_cli("status", task_id, "--provider", provider, "--json")

    assert status.status == 0, status.stderr
    task = status.json()
    assert (task["id"], task["provider"], task["state"]) == (task_id, provider, "pending")
    assert task["video_url"] is None
    assert task["video_urls"] == []
    assert task["provider_state"]  # the provider's own word, e.g. "queuing"
    assert task["created_at"] is not None


def test_wait_right_after_creation_outlasts_apikley_not_seeing_the_task_yet() -> None:
    # Apikley answers "recordInfo is null" for a task it has just created.
    with MockServer(crun_key=CRUN_KEY, apikley_key=APIKLEY_KEY, apikley_null_reads=2) as mock:
        cli = Cli(mock)
        created = cli("generate", "--provider", "apikley", *cli.media_urls(), "--no-wait")
        assert created.status == 0, created.stderr
        task_id = created.stdout.strip()

        waited = cli("wait", task_id, "--provider", "apikley", "--json")

        assert waited.status == 0, waited.stderr
        assert waited.json()["state"] == "succeeded"
        assert mock.calls("getTaskDetails") == 3  # two "null" answers, then the task


def test_ctrl_c_during_a_wait_says_how_to_resume(slow_cli: Cli) -> None:
    result = slow_cli.interrupted("crun", "generate", "--provider", "crun", *slow_cli.media_urls())
    task_id = re.findall(r"created task (\S+)", result.stderr)[0]
    stdout, rest = result.stdout, result.stderr

    assert result.status == 130
    assert stdout == ""
    assert "Traceback" not in rest
    resume = f"kling-avatar wait {task_id} --provider crun"
    assert f"task {task_id} keeps running at crun. Resume with:\n  {resume}\n" in rest
    assert "cancel" not in rest.replace("cancelled", ""), "crun has no cancel to suggest"
    # ... and it does keep running: the command it suggests finds it.
    status = slow_cli("status", task_id, "--provider", "crun")
    assert status.stdout.startswith(f"crun task {task_id}: ")


def test_progress_is_redrawn_in_place_on_a_terminal(cli: Cli) -> None:
    # stderr on a pseudo-terminal, stdout on a pipe: the URL stays clean for `$(...)`.
    main, tty = pty.openpty()
    columns = 60  # narrower than the task's line, which must then be cut, not wrapped
    fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(  # noqa: S603 (our own command)
        command("generate", "--provider", "apikley", *cli.media_urls()),
        env=cli.env(),
        stdout=subprocess.PIPE,
        stderr=tty,
    )
    os.close(tty)
    screen = b""
    deadline = time.monotonic() + RUN_TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif process.poll() is not None:
                break
        stdout = process.communicate(timeout=RUN_TIMEOUT)[0].decode()
    finally:
        os.close(main)
        process.kill()
        process.wait()

    assert process.returncode == 0, screen
    text = screen.decode()
    task_line = re.compile(r"apikley task \w+~?: ")
    redraws = [part for part in text.split("\r\x1b[K") if task_line.search(part)]
    # The task's line is drawn, redrawn on the same terminal line, and finally left standing
    # with its last state and no spinner.
    assert len(redraws) >= 2, text
    assert re.fullmatch(r"  apikley task \w+~?: succeeded  \d+\.\d s\r?\n", redraws[-1]), text
    assert all(len(part.rstrip("\r\n")) < columns for part in redraws), redraws
    assert re.fullmatch(r"http://\S+\.mp4\n", stdout)
