"""``kling-avatar contract``: the contract suite, traffic verification and the installed specs.

    kling-avatar contract run [--provider NAME|all] [--base-url URL] [--allow-create]
                              [--max-examples N] [--seed N] [--report-dir DIR] ...
    kling-avatar contract traffic FILE [--report-dir DIR] [--fail-on-unseen]
    kling-avatar contract spec NAME

NAME is one of the providers: apikley, crun, fal.

Exit status: 0 the contract holds; 1 a finding (a check failed, a lifecycle finding, a broken
exchange in the traffic, an expired baseline entry); 2 a usage error (a missing key, an
unknown provider, no such file).

Each option of ``run`` may also come from the environment (what ``make contract`` passes):
PROVIDER, CONTRACT_BASE_URL, CRUN_API_KEY / APIKLEY_API_KEY, CONTRACT_ALLOW_CREATE,
CONTRACT_MAX_EXAMPLES (default 100), CONTRACT_SEED (default 0), CONTRACT_WORKERS,
CONTRACT_RATE_LIMIT (e.g. ``5/s``), CONTRACT_REPORT_DIR (default ``reports``),
CONTRACT_BASELINE (+ CONTRACT_BASELINE_UPDATE=1 to record into it; every entry needs a
``reason`` and an ``expires`` date, and an expired one fails the run), CONTRACT_COVERAGE_FAIL=1,
and for live lifecycle runs CONTRACT_IMAGE_URL, CONTRACT_AUDIO_URL, CONTRACT_CALLBACK_URL,
CONTRACT_CALLBACK_PORT, CONTRACT_LIFECYCLE_TIMEOUT, CONTRACT_LIFECYCLE_POLL.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from .._exceptions import InvalidRequestError
from .._providers import key_variable
from ._extra import require_extra
from ._rules import PROVIDERS

_ONE_OF = ", ".join(PROVIDERS)
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="kling-avatar contract",
        description="Check a provider (or the local mock) against its spec, or check recorded "
        "traffic.",
        epilog="exit status: 0 the contract holds, 1 findings, 2 usage error",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="the contract suite against the local mock, or --base-url with the provider's key",
        description="the contract suite: schemathesis over the spec, the job's lifecycle, "
        "coverage; reports (JUnit, HAR, coverage) in --report-dir",
    )
    run.add_argument("--provider", default=env.get("PROVIDER") or "all", help=f"{_ONE_OF} or all")
    run.add_argument(
        "--base-url",
        default=env.get("CONTRACT_BASE_URL") or None,
        help="a real provider's API (its key from "
        + " / ".join(key_variable(name) for name in PROVIDERS)
        + "); default: a local mock",
    )
    run.add_argument(
        "--allow-create",
        action="store_true",
        default=_flag("CONTRACT_ALLOW_CREATE"),
        help="let requests that can create a task or upload a file reach a real provider",
    )
    run.add_argument(
        "--max-examples", type=int, default=int(env.get("CONTRACT_MAX_EXAMPLES") or 100)
    )
    run.add_argument("--seed", type=int, default=int(env.get("CONTRACT_SEED") or 0))
    run.add_argument("--workers", type=int, default=int(env.get("CONTRACT_WORKERS") or 1))
    run.add_argument("--rate-limit", default=env.get("CONTRACT_RATE_LIMIT") or None)
    run.add_argument(
        "--report-dir", type=Path, default=Path(env.get("CONTRACT_REPORT_DIR") or "reports")
    )
    run.add_argument(
        "--baseline",
        type=Path,
        default=env.get("CONTRACT_BASELINE") or None,
        help="schemathesis baseline file: the failures it records do not fail the run",
    )
    run.add_argument(
        "--update-baseline",
        action="store_true",
        default=_flag("CONTRACT_BASELINE_UPDATE"),
        help="record this run's failures in the baseline file",
    )
    run.add_argument(
        "--fail-on-unseen",
        action="store_true",
        default=_flag("CONTRACT_COVERAGE_FAIL"),
        help="fail when a documented answer (HTTP status, envelope code) was never seen",
    )
    run.set_defaults(run=_run)

    traffic = commands.add_parser(
        "traffic",
        help="check traffic a client recorded (record_traffic=FILE) against the specs",
    )
    traffic.add_argument("file", type=Path, metavar="FILE")
    traffic.add_argument("--report-dir", type=Path, default=Path("reports"))
    traffic.add_argument(
        "--fail-on-unseen",
        action="store_true",
        help="also fail when an operation in the traffic never gave one of its documented answers",
    )
    traffic.set_defaults(run=_traffic)

    spec = commands.add_parser("spec", help="print the path of the installed spec (for `st run`)")
    spec.add_argument("provider", choices=PROVIDERS)
    spec.set_defaults(run=_spec)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        require_extra()
    except ModuleNotFoundError as exc:
        print(f"kling-avatar contract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(argv)
    code: int = args.run(parser, args)
    return code


def _spec(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._spec import spec_path

    print(spec_path(args.provider))
    return EXIT_OK


def _traffic(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._traffic import main as traffic_main

    argv = [str(args.file), "--report-dir", str(args.report_dir)]
    return traffic_main([*argv, "--fail-on-unseen"] if args.fail_on_unseen else argv)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from ._suite import lifecycle_settings, run_suite

    env = os.environ
    if args.update_baseline and args.baseline is None:
        parser.error("--update-baseline needs --baseline (or CONTRACT_BASELINE)")
    providers = PROVIDERS if args.provider == "all" else (args.provider,)
    if any(provider not in PROVIDERS for provider in providers):
        parser.error(f"--provider must be one of {_ONE_OF} or all (got {args.provider!r})")
    keys: dict[str, str] = {}
    if args.base_url:
        try:
            parts = urlsplit(args.base_url)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            parser.error("--base-url must be an http(s) URL")
        if parts.username is not None or parts.password is not None:
            # It would be printed in every summary and replay command; keys come from variables.
            parser.error("--base-url must not carry credentials (user:password@)")
        if len(providers) != 1:
            parser.error(
                "--base-url needs " + " or ".join(f"--provider {name}" for name in PROVIDERS)
            )
        variable = key_variable(providers[0])
        if not env.get(variable):
            parser.error(f"{variable} must hold the API key for {args.base_url}")
        keys = {providers[0]: env[variable]}
        try:
            lifecycle_settings()  # its settings come from the environment: checked up front
        except InvalidRequestError as exc:
            parser.error(exc.message)
    suite = run_suite(
        providers,
        args.base_url,
        keys,
        max_examples=args.max_examples,
        seed=args.seed,
        report_dir=args.report_dir,
        allow_create=args.allow_create,
        workers=args.workers,
        rate_limit=args.rate_limit,
        baseline=args.baseline,
        update_baseline=args.update_baseline,
        echo=True,
        fail_on_unseen=args.fail_on_unseen,
    )
    print()
    print(suite.summary())
    report = args.report_dir
    print(f"JUnit report: {report / 'contract.xml'}; every exchange: {report / 'contract.har'}")
    coverage_md = report / "contract-coverage.md"
    print(f"coverage: {coverage_md} and {coverage_md.with_suffix('.json')}")
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:  # a GitHub Actions job summary
        with open(summary, "a", encoding="utf-8") as file:
            file.write(coverage_md.read_text(encoding="utf-8"))
    return EXIT_OK if suite.ok else EXIT_FINDINGS


def _flag(name: str) -> bool:
    return os.environ.get(name, "") in ("1", "true", "yes")


if __name__ == "__main__":
    sys.exit(main())
