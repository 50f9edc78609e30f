"""False alarms of a plain ``st run`` against the local mock, without and with our hooks module.

    .venv/bin/python scripts/st_false_alarms.py [--max-examples 20] [--seed 0]

The mock keeps its contract (``make contract`` passes against it), so every failure a plain
``st run`` reports against it is a false alarm: the envelope (errors as HTTP 200 with a body
``code``), Apikley's per-path upload server, and for fal (real HTTP statuses) the documented
answers a valid request gets because of the state of what it names, and the built-in check
that misreads an unknown header beside a number one. Prints failures per provider, side by
side.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from kling_avatar._providers import auth_headers
from kling_avatar._registry import PROVIDERS
from kling_avatar.contract import spec_path
from kling_avatar.testing import MockServer


def failures(junit: Path) -> list[str]:
    if not junit.exists():
        return ["(no report)"]
    tree = ET.parse(junit)  # noqa: S314 (schemathesis wrote it just now)
    return [
        f"{case.get('name')}: {((problem.get('message') or '').splitlines() or [''])[0][:90]}"
        for case in tree.iter("testcase")
        for problem in [*case.iter("failure"), *case.iter("error")]
    ]


def _counts(found: list[str]) -> str:
    checks = sum(len(re.findall(r"\bST\d+\b", line.split(": ", 1)[-1])) for line in found)
    return f"{checks} checks in {len(found)} cases"


def st_run(provider: str, url: str, key: str, hooks: bool, args: argparse.Namespace) -> list[str]:
    # As the provider's clients send the key (the header's name as its spec spells it).
    header = ": ".join(next(iter(auth_headers(provider, key).items())))
    with tempfile.TemporaryDirectory() as folder:
        junit = Path(folder) / "junit.xml"
        env = {k: v for k, v in os.environ.items() if k != "SCHEMATHESIS_HOOKS"}
        if hooks:
            env["SCHEMATHESIS_HOOKS"] = "kling_avatar.contract.hooks"
            # The mock may be sent task creations; a real provider gets none without it.
            env["CONTRACT_ALLOW_CREATE"] = "1"
        command = [
            sys.executable, "-m", "schemathesis.cli", "run", str(spec_path(provider)),
            "--url", url, "-H", header, "--max-examples", str(args.max_examples),
            "--seed", str(args.seed), "--generation-database", "none",
            "--report", "junit", "--report-junit-path", str(junit),
            *(["--checks", "all"] if args.all_checks else []),
        ]  # fmt: skip
        # In its own folder: st run keeps a crash cache (.schemathesis/) where it runs.
        subprocess.run(command, env=env, cwd=folder, capture_output=True, timeout=900, check=False)
        return failures(junit)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all-checks", action="store_true", help="st run --checks all")
    parser.add_argument("--verbose", action="store_true", help="list each failure")
    parser.add_argument("--provider", choices=PROVIDERS, action="append", help="default: all")
    args = parser.parse_args()
    # A test case (an operation and its phase) may fail several checks: both are counted.
    print(f"{'provider':<10} {'plain st run':>24} {'with hooks':>24}")
    with MockServer(step=0.0, credits=1e9, seed=0) as mock:
        for provider in args.provider or PROVIDERS:
            before = st_run(provider, mock.base_url, mock.keys[provider], False, args)
            after = st_run(provider, mock.base_url, mock.keys[provider], True, args)
            print(f"{provider:<10} {_counts(before):>24} {_counts(after):>24}", flush=True)
            if args.verbose:
                for name, found in (("plain", before), ("hooks", after)):
                    for line in found:
                        print(f"    {name}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
