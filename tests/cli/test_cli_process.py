"""The command as its own process: the installed entry point and `python -m kling_avatar` exit
with the status `main` returns, what it printed on the real streams.

The behaviour tests call `main(argv)` in process (helpers.Cli); these keep the process's own
plumbing honest: the console script, `sys.exit(main())`, argparse's exit, the streams.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kling_avatar.testing import MockServer

from .helpers import RUN_TIMEOUT, WRONG_KEY, Cli


def test_the_installed_command_prints_the_credits(cli: Cli, mock: MockServer) -> None:
    mock.set_credits(42.5)
    script = Path(sys.executable).parent / "kling-avatar"

    done = subprocess.run(  # noqa: S603 (the console script the wheel installs)
        [str(script), "credits", "--provider", "crun", "--json"],
        env=cli.env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"provider": "crun", "credits": 42.5}


def test_an_error_is_the_process_exit_status_and_one_line(cli: Cli) -> None:
    result = cli.process("credits", "--provider", "crun", env={"CRUN_API_KEY": WRONG_KEY})

    assert result.status == 3, result.stderr  # AuthenticationError's
    (line,) = result.error_lines
    assert line.startswith("kling-avatar: error: crun 401 AuthenticationError: ")
    assert "Traceback" not in result.stderr and WRONG_KEY not in result.stderr
    assert result.stdout == ""


def test_a_usage_error_exits_2(cli: Cli) -> None:
    result = cli.process("generate", "--provider", "crun", "--image", "a.png")

    assert result.status == 2
    assert "--audio" in result.stderr


def test_a_one_provider_command_loads_neither_the_router_nor_the_contract_suite(cli: Cli) -> None:
    """The command's start time: asyncio (the router's) and schemathesis (the contract suite's)
    load only for the commands that use them."""
    code = (
        "import sys\n"
        "from kling_avatar._cli import main\n"
        "status = main(['credits', '--provider', 'crun'])\n"
        "heavy = {'asyncio', 'schemathesis', 'hypothesis', 'kling_avatar._router'}\n"
        "print(status, sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run(  # noqa: S603 (this interpreter, the code above)
        [sys.executable, "-c", code],
        env=cli.env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )

    assert done.stdout.splitlines()[-1] == "0 []", done.stderr
