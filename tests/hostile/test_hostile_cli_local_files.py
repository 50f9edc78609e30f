"""`kling-avatar generate --image X` on what is not a regular file: exit 6 (InvalidRequestError)
with a one-line reason, before any request and after reading at most the limit plus one byte
(issue 21, item 3: `--image /dev/zero` read 1.9 GB and ended in MemoryError, a FIFO hung)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from kling_avatar import MAX_UPLOAD_BYTES

from .provider import KEY
from .server import HostileServer, answer

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
EXIT_INVALID_REQUEST = 6

# The command as `python -m kling_avatar` runs it, reporting what the process read during
# `main` (/proc/self/io `rchar`: every byte a read call returned, whatever the file). Its
# address space is capped so that a regression fails with MemoryError instead of taking the
# machine's memory.
MEASURED = """
import resource, sys
cap = 2 << 30
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
def rchar():
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])
from kling_avatar._cli import main
before = rchar()
try:
    status = main(sys.argv[1:])
finally:
    sys.stderr.write(f"\\nread during main: {rchar() - before}\\n")
sys.exit(status)
"""

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc"),
]


@attrs.frozen
class Run:
    status: int
    stderr: str

    @property
    def read(self) -> int:
        line = self.stderr.strip().splitlines()[-1]
        assert line.startswith("read during main: "), self.stderr
        return int(line.split(": ")[1])

    @property
    def error(self) -> str:
        return next(line for line in self.stderr.splitlines() if "error:" in line)


def generate(server: HostileServer, image: str, *, stdin: int | None = None) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRUN_", "APIKLEY_"))}
    env.update(CRUN_API_KEY=KEY, CRUN_BASE_URL=server.url)
    argv = ["generate", "--provider", "crun", "--image", image, "--audio", str(MEDIA / "voice.wav")]
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", MEASURED, *argv],
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,  # far above the fraction of a second it takes: a hang fails, not blocks
        check=False,
    )
    return Run(done.returncode, done.stderr)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer(lambda request: [answer({"code": 500, "msg": "no"}, 500)]) as server:
        yield server


@pytest.fixture
def terminal() -> Iterator[int]:
    """A terminal nobody types into, as the command's standard input."""
    try:
        leader, follower = os.openpty()
    except OSError:  # pragma: no cover - a sandbox without pseudo-terminals
        pytest.skip("no pseudo-terminal here")
    try:
        yield follower
    finally:
        os.close(leader)
        os.close(follower)


def test_dev_zero_is_refused_at_once_having_read_next_to_nothing(server: HostileServer) -> None:
    run = generate(server, "/dev/zero")
    assert run.status == EXIT_INVALID_REQUEST, run.stderr
    assert (
        "crun 422 InvalidRequestError: --image: cannot read '/dev/zero': it is a device; "
        "only a regular file is read"
    ) in run.error
    assert run.read <= MAX_UPLOAD_BYTES + 1
    assert server.requests == []


def test_a_fifo_and_dev_stdin_on_a_terminal_are_refused_without_hanging(
    server: HostileServer, tmp_path: Path, terminal: int
) -> None:
    fifo = tmp_path / "portrait.png"
    os.mkfifo(fifo)
    try:
        piped = generate(server, str(fifo))
        typed = generate(server, "/dev/stdin", stdin=terminal)
    finally:
        with contextlib.suppress(OSError):  # release the old code's blocked open
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert piped.status == EXIT_INVALID_REQUEST, piped.stderr
    assert "it is a FIFO (named pipe); only a regular file is read" in piped.error
    assert typed.status == EXIT_INVALID_REQUEST, typed.stderr
    assert "--image: cannot read '/dev/stdin': it is a device" in typed.error
    assert server.requests == []
