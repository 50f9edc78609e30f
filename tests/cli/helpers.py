"""Running `kling-avatar` against a mock (in this process, or in one of its own), and reading
what it printed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
from command import run_in_process
from kling_avatar.testing import MockClock, MockServer

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
PORTRAIT = MEDIA / "portrait.png"
VOICE = MEDIA / "voice.wav"

# Keys nobody would print by accident, so finding one in any output is a real leak.
CRUN_KEY = "ak_cliSECRETcliSECRETcliSECRET0000"
APIKLEY_KEY = "apikley-cli-SECRET-9f2c"
WRONG_KEY = "ak_wrongSECRETwrongSECRETwrong0000"

# The spec's operationIds, which the mock counts calls by.
CREATE = {"crun": "createTask", "apikley": "kling-ai-avatar-v1-pro"}
GET = {"crun": "getTaskInfo", "apikley": "getTaskDetails"}
UPLOAD = {"crun": "getUploadUrl", "apikley": "uploadFileStream"}
KEY_VARIABLE = {"crun": "CRUN_API_KEY", "apikley": "APIKLEY_API_KEY"}

# Far above what one run needs (about a second): a hang fails the test instead of the suite.
RUN_TIMEOUT = 30


@attrs.frozen
class Result:
    status: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if "error:" in line]


def environment(mock: MockServer, **overrides: str | None) -> dict[str, str]:
    """The user's environment pointed at the mock; an override of None removes a variable.

    No PYTHONPYCACHEPREFIX: `make env` compiles the venv's packages (--compile-bytecode), and
    under a prefix Python reads bytecode from the prefix only, so the first runs of each worker
    compiled httpx, the mock's web stack and the rest again: more CPU than the cache saved."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRUN_", "APIKLEY_"))}
    env.update(
        CRUN_BASE_URL=mock.base_url,
        APIKLEY_BASE_URL=mock.base_url,
        CRUN_API_KEY=mock.crun_key,
        APIKLEY_API_KEY=mock.apikley_key,
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "kling_avatar", *args]


def _ctrl_c_as_in_a_terminal() -> None:
    """SIGINT at its default in the command, as a terminal starts it: a suite started in the
    background by a shell without job control (`make test &` in a script) ignores SIGINT, and
    the command would inherit that and never see the Ctrl-C the test sends."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@attrs.frozen
class Cli:
    mock: MockServer

    def env(self, **overrides: str | None) -> dict[str, str]:
        return environment(self.mock, **overrides)

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        """`kling-avatar <args>`: the command's `main(argv)` in this process, its streams
        captured and the user's environment in place, its client on the mock's clock (a pause
        moves the mock's clock instead of waiting). `--debug` configures the root logger,
        which is the process's: those runs are a process of their own."""
        if "--debug" in args:
            return self.process(*args, env=env)
        status, stdout, stderr = run_in_process(
            list(args), self.env(**(env or {})), MockClock(self.mock)
        )
        return Result(status, stdout, stderr)

    def process(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        """`python -m kling_avatar <args>` in a process of its own, on real time."""
        done = subprocess.run(  # noqa: S603 (our own command, with arguments the test chose)
            command(*args),
            env=self.env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def interrupted(self, provider: str, *args: str) -> Result:
        """`kling-avatar <args>` stopped by Ctrl-C once it waits for the task (a line
        `<provider> task <id>: pending...` on stderr); the whole of stderr is in the result."""
        process = subprocess.Popen(  # noqa: S603 (our own command)
            command(*args),
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_ctrl_c_as_in_a_terminal,
        )
        try:
            assert process.stderr is not None
            seen = []
            for line in process.stderr:  # bounded by the pytest timeout if it never comes
                seen.append(line)
                if re.match(rf"{provider} task \S+: pending", line):
                    break
            process.send_signal(signal.SIGINT)
            stdout, rest = process.communicate(timeout=RUN_TIMEOUT)
        finally:
            process.kill()
            process.wait()
        return Result(process.returncode, stdout, "".join(seen) + rest)

    def media_urls(self) -> list[str]:
        """`--image URL --audio URL` for media the mock serves itself (no upload)."""
        base = self.mock.base_url
        return ["--image", f"{base}/media/portrait.png", "--audio", f"{base}/media/voice.wav"]
