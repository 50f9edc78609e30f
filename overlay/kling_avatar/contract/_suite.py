"""The contract suite: schemathesis checks each provider's answers against its spec.

    kling-avatar contract run                          # every provider, against the local mock
    CRUN_API_KEY=... kling-avatar contract run --provider crun --base-url https://api.crun.ai

Every operation of the installed specs is exercised with valid and invalid data
(schemathesis's examples, coverage and fuzzing phases), then the specs' ``links`` (create a
task, then query it) drive the stateful phase. The checks are schemathesis's own, with the
envelope-aware ones of :mod:`kling_avatar.contract.hooks` in place of those a provider's
answers defeat (its facts' ``replaced_checks``). Generation is seeded (``--seed``,
no example database), so a run with the same seed and example count sends the same requests;
the seed and the command that replays a failure are printed with every failure. The runs are
schemathesis's own, in this process (:mod:`._run`).

Against a real provider nothing that costs credits is sent unless ``allow_create``: task
creation and uploads get only requests that cannot succeed, and the stateful phase (which
creates tasks) is skipped. The reports (``report_dir``): ``contract.xml`` (JUnit, every run and
finding), ``contract.har`` (every exchange schemathesis sent, keys masked) and
``contract-coverage.{md,json}``.

After the runs, the lifecycle checks (:mod:`._lifecycle`) follow tasks the suite creates to
their end (the mock always; a real provider only with ``allow_create``), and the coverage
report counts the documented answers seen; against the mock its faults reach the answers the
runs did not.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shlex
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from .._inputs import positive_seconds
from .._providers import key_variable
from ._coverage import Coverage, coverage, seen_of, write_reports
from ._lifecycle import DriveSettings, drive
from ._lifecycle import Finding as LifecycleFinding
from ._plan import Run, plan
from ._rules import PROVIDERS

if TYPE_CHECKING:
    from ._run import RunResult
    from ._sweep import SweepProblem

__all__ = ["Finding", "Run", "SuiteResult", "check_baseline", "plan", "run_suite"]

KEY_VARIABLES = {name: key_variable(name) for name in PROVIDERS}


@attrs.frozen
class Finding:
    run: str
    operation: str
    codes: str
    text: str


@attrs.frozen
class SuiteResult:
    results: tuple[RunResult, ...]
    seed: int
    max_examples: int
    seconds: float
    base_url: str | None = None  # None: the local mock
    allow_create: bool = False
    lifecycle: tuple[LifecycleFinding, ...] = ()
    lifecycle_tasks: int = 0
    coverage: Coverage | None = None
    sweep_problems: tuple[SweepProblem, ...] = ()
    baseline_problems: tuple[str, ...] = ()
    fail_on_unseen: bool = False

    @property
    def ok(self) -> bool:
        return (
            all(result.ok for result in self.results)
            and not self.lifecycle
            and not self.sweep_problems
            and not self.baseline_problems
            and not (self.fail_on_unseen and self.coverage is not None and self.coverage.missing)
        )

    def failures(self) -> list[Finding]:
        """Every failed test case of every run, from the JUnit reports."""
        found = []
        for result in self.results:
            if not result.junit.exists():
                continue
            tree = ET.parse(result.junit)  # noqa: S314 (schemathesis wrote it in this run)
            for testcase in tree.iter("testcase"):
                for failure in [*testcase.iter("failure"), *testcase.iter("error")]:
                    found.append(
                        Finding(
                            run=result.run.name,
                            operation=testcase.get("name", ""),
                            codes=failure.get("message", ""),
                            text=failure.text or "",
                        )
                    )
        return found

    def replay_command(self, run: Run) -> str:
        """The command that sends the same requests again (the key comes from the environment)."""
        words = ["kling-avatar", "contract", "run", "--provider", run.provider]
        if self.base_url is not None:
            words += ["--base-url", self.base_url]
            if self.allow_create:
                words.append("--allow-create")
        words += ["--seed", str(self.seed), "--max-examples", str(self.max_examples)]
        return shlex.join(words)

    def summary(self) -> str:
        lines = []
        for result in self.results:
            state = "ok" if result.ok else f"FAILED (exit {result.returncode})"
            lines.append(f"  {result.run.name:<18} {state:<18} {result.seconds:6.1f} s")
            if not result.ok:
                lines.append(f"    seed {self.seed}; replay: {self.replay_command(result.run)}")
        if self.lifecycle_tasks or self.lifecycle:
            lines.append(
                f"  lifecycle          {len(self.lifecycle)} findings over "
                f"{self.lifecycle_tasks} tasks followed to their end"
            )
        lines += [f"    {line}" for f in self.lifecycle for line in str(f).splitlines()]
        lines += [f"  fault sweep: {problem}" for problem in self.sweep_problems]
        lines += [f"  baseline: {problem}" for problem in self.baseline_problems]
        if self.coverage is not None:
            cov = self.coverage
            fails = ", which fails the run" if self.fail_on_unseen and cov.missing else ""
            lines.append(
                f"  coverage           {cov.seen} of {cov.documented} documented answers seen "
                f"({len(cov.missing)} never seen{fails})"
            )
        verdict = "passed" if self.ok else "FAILED"
        lines.append(
            f"contract suite {verdict}: {len(self.results)} runs, {self.max_examples} examples "
            f"per operation, seed {self.seed}, wall time {self.seconds:.1f} s"
        )
        return "\n".join(lines)


def run_suite(
    providers: Sequence[str],
    base_url: str | None = None,
    keys: dict[str, str] | None = None,
    *,
    max_examples: int = 100,
    seed: int = 0,
    report_dir: Path = Path("reports"),
    allow_create: bool = False,
    workers: int = 1,
    rate_limit: str | None = None,
    baseline: Path | None = None,
    update_baseline: bool = False,
    shrink: bool = True,
    echo: bool = False,
    schema: bool = True,
    lifecycle: DriveSettings | bool = True,
    fail_on_unseen: bool = False,
    today: datetime.date | None = None,
    only: Callable[[Run], bool] | None = None,
    phases: str | None = None,
) -> SuiteResult:
    """Run the suite against ``base_url``, or against a fresh local mock when it is None.

    ``keys`` maps a provider to its API key (the mock's own keys when the mock is used).
    ``baseline`` is a schemathesis baseline file: failures recorded there (a provider's known
    deviation, say) no longer fail the run, until the entry's ``expires`` date; every entry
    needs a ``reason`` and an ``expires`` date, and an expired one fails the run.
    ``update_baseline`` records this run's failures (with an expiry CONTRACT_BASELINE_DAYS
    ahead and an empty reason to fill in).
    ``shrink=False`` reports failures as found, without searching for the smallest example.
    ``schema=False`` skips schemathesis's runs (the lifecycle and coverage parts still run).
    ``lifecycle``: how tasks are driven to their end; True: against the mock, or a real
    provider with ``allow_create``, as :func:`lifecycle_settings` says; False: not at all.
    ``fail_on_unseen``: a documented answer no part of the run saw fails it.
    ``only`` keeps the planned runs it is true for; ``phases`` replaces every run's
    schemathesis phases (tests that need only part of the suite use both).
    """
    from ._run import Options, execute  # schemathesis, loaded only when the suite runs

    report_dir.mkdir(parents=True, exist_ok=True)
    for stale in [*report_dir.glob("contract-*.xml"), *report_dir.glob("contract-*.har")]:
        stale.unlink()  # an earlier run's, maybe of other runs
    today = today or datetime.date.today()
    baseline_problems = (
        [] if baseline is None or update_baseline else check_baseline(baseline, today)
    )
    started = time.perf_counter()
    with _target(base_url, keys) as (url, target_keys, mock):
        is_mock = mock is not None
        runs = (
            [
                # The mock fetches and calls back what it is given: keep that on loopback.
                attrs.evolve(run, safe_url=f"{url}/media/{SINK}") if is_mock else run
                for provider in providers
                for run in plan(provider, url, allow_create=allow_create or is_mock)
                if only is None or only(run)
            ]
            if schema
            else []
        )
        if phases is not None:
            runs = [attrs.evolve(run, phases=tuple(phases.split(","))) for run in runs]
        if echo:
            where = "the local mock" if is_mock else url
            print(f"contract suite: {len(runs)} runs against {where}, seed {seed}", flush=True)

        options = Options(
            max_examples=max_examples,
            seed=seed,
            allow_create=allow_create or is_mock,
            workers=workers,
            rate_limit=rate_limit,
            baseline=baseline,
            update_baseline=update_baseline,
            shrink=shrink,
        )

        def one(run: Run) -> RunResult:
            result = execute(run, target_keys[run.provider], options, report_dir)
            if echo:
                print(f"\n===== {run.name} =====\n{result.output}", flush=True)
            return result

        # One run at a time: they share this process, and CPython 3.11's parser is not safe
        # to enter from two threads at once (Hypothesis parses sources while generating).
        results = tuple(one(run) for run in runs)
        seen = [answer for result in results for answer in result.seen]
        # Lifecycle checks after the runs: the balance must move by this part's tasks alone.
        settings = lifecycle if isinstance(lifecycle, DriveSettings) else None
        if lifecycle is True and (is_mock or allow_create):
            settings = lifecycle_settings(mock)
        findings: list[LifecycleFinding] = []
        followed = 0
        if settings is not None:
            for provider in providers:
                driven = drive(provider, url, target_keys[provider], settings)
                findings += driven.findings
                followed += len(driven.runs)
                seen += [
                    seen_of(provider, op, status, body, "lifecycle")
                    for op, status, body in driven.answers
                ]
        cov = coverage(seen, providers)
        problems: list[SweepProblem] = []
        if mock is not None:
            from ._sweep import sweep  # openapi-core, loaded only when there is a mock to sweep

            # The mock's faults reach what the runs did not; each answer is checked on the way.
            swept, problems = sweep(
                mock, cov, target_keys, step=MOCK_STEP, media=f"{url}/media/{SINK}"
            )
            cov = coverage([*seen, *swept], providers)
    write_reports(cov, report_dir)
    if update_baseline and baseline is not None:
        _date_new_entries(baseline, today)
    suite = SuiteResult(
        results=results,
        seed=seed,
        max_examples=max_examples,
        seconds=time.perf_counter() - started,
        base_url=base_url or None,
        allow_create=allow_create,
        lifecycle=tuple(findings),
        lifecycle_tasks=followed,
        coverage=cov,
        sweep_problems=tuple(problems),
        baseline_problems=tuple(baseline_problems),
        fail_on_unseen=fail_on_unseen,
    )
    _merge_reports(suite, report_dir / "contract.xml")
    _merge_har(suite, report_dir / "contract.har")
    return suite


def lifecycle_settings(mock: Any = None) -> DriveSettings:
    """How tasks are driven: against the mock fast, with one made to fail; against a real
    provider from CONTRACT_IMAGE_URL / CONTRACT_AUDIO_URL (default: the spec's example), the
    provider's key variable with _2 (CRUN_API_KEY_2, FAL_KEY_2: a second account, whose key must
    not read the tasks),
    CONTRACT_CALLBACK_URL (a public URL forwarding to 127.0.0.1:CONTRACT_CALLBACK_PORT;
    without it no callback is asked for), CONTRACT_LIFECYCLE_TIMEOUT (seconds per task) and
    CONTRACT_LIFECYCLE_POLL (seconds before the first re-read, doubling up to 15; default 2)."""
    env = os.environ
    if mock is not None:
        sink = f"{mock.base_url}/media/{SINK}"
        # The tasks created from now on take MOCK_STEP seconds of the mock's clock per state,
        # which the drive moves on after each read: every state is read (fal's 202 while a
        # request is queued or running), and nothing is waited for.
        mock.step = MOCK_STEP
        return DriveSettings(
            media=(sink, sink),
            fail_one=lambda op: mock.fault("task_fail", op),
            poll=0.0,
            timeout=10.0,
            other_keys=mock_keys(mock, second=True),
            tick=lambda: mock.advance(MOCK_STEP),
        )
    image, audio = env.get("CONTRACT_IMAGE_URL"), env.get("CONTRACT_AUDIO_URL")
    return DriveSettings(
        media=(image, audio) if image and audio else None,
        callback_url=env.get("CONTRACT_CALLBACK_URL") or "",
        callback_port=int(env.get("CONTRACT_CALLBACK_PORT") or 0),
        poll=_seconds("CONTRACT_LIFECYCLE_POLL", 2.0),
        timeout=_seconds("CONTRACT_LIFECYCLE_TIMEOUT", 900.0),
        callback_wait=120.0 if env.get("CONTRACT_CALLBACK_URL") else 0.0,
        extra_reads=2,
        other_keys={
            provider: env[variable]
            for provider, variable in OTHER_KEY_VARIABLES.items()
            if env.get(variable)
        },
    )


# Seconds of the mock's clock per state of a task the lifecycle part creates: long enough that
# no state passes before it is read, short enough that the clock, moved on by every state of
# every task followed, stays within the lifecycle checks' CLOCK_SKEW of the real one.
MOCK_STEP = 5.0


def _seconds(variable: str, default: float) -> float:
    """A duration from the environment: a finite number of seconds > 0 (InvalidRequestError
    naming the variable otherwise), ``default`` when unset."""
    text = os.environ.get(variable) or ""
    try:
        value: object = float(text) if text else default
    except ValueError:
        value = None
    return positive_seconds(variable, value)


# A second account's key per provider, for the check that one account's task is not another's.
OTHER_KEY_VARIABLES = {name: f"{variable}_2" for name, variable in KEY_VARIABLES.items()}
BASELINE_DAYS = 30


def check_baseline(path: Path, today: datetime.date) -> list[str]:
    """What is wrong with the baseline's entries: no reason, no expiry date, or expired."""
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("entries", [])
    except (ValueError, AttributeError) as exc:
        return [f"{path} is not a baseline file: {exc}"]
    problems = []
    for entry in entries:
        name = f"entry {entry.get('id', '?')} ({entry.get('operation')}, {entry.get('check')})"
        reason = str(entry.get("reason") or "").strip()
        expires = entry.get("expires")
        if not reason:
            problems.append(f"{name} has no reason: say why the deviation is accepted")
        if not expires:
            problems.append(f"{name} has no expiry date (expires: YYYY-MM-DD)")
            continue
        try:
            day = datetime.date.fromisoformat(str(expires))
        except ValueError:
            problems.append(f"{name} expires on {expires!r}, not a YYYY-MM-DD date")
            continue
        if day < today:
            problems.append(
                f"{name} expired on {day.isoformat()}: look at the deviation again, then fix it, "
                f"or extend the entry (reason: {reason or '-'})"
            )
    return problems


def _date_new_entries(path: Path, today: datetime.date) -> None:
    """Entries schemathesis just recorded get an expiry date and a reason to fill in."""
    if not path.exists():
        return
    document = json.loads(path.read_text(encoding="utf-8"))
    days = int(os.environ.get("CONTRACT_BASELINE_DAYS") or BASELINE_DAYS)
    for entry in document.get("entries", []):
        entry.setdefault("expires", (today + datetime.timedelta(days=days)).isoformat())
        entry.setdefault("reason", "")
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _target(
    base_url: str | None, keys: dict[str, str] | None
) -> Iterator[tuple[str, dict[str, str], Any]]:
    """(base URL, keys, the MockServer or None for a real provider)."""
    if base_url:
        yield base_url, dict(keys or {}), None
        return
    from kling_avatar.testing import MockServer

    # Enough credits for every task the suite creates; tasks finish at their first read.
    with MockServer(step=0.0, credits=1e9, seed=0) as mock:
        _store_sink(mock)
        yield mock.base_url, mock_keys(mock), mock


SINK = "contract-sink"


def _store_sink(mock: Any) -> None:
    """Put a file at the URL generated media URLs are pointed at (``/media/contract-sink``), so
    the mock's fetches of it (URL uploads, download links) can succeed, as they would for a
    real provider's own file."""
    mock.state.store_media(SINK, b"contract sink", "application/octet-stream")


def mock_keys(mock: Any, *, second: bool = False) -> dict[str, str]:
    """The mock's key of each provider's account (its second account's with ``second``)."""
    return {name: (mock.other_keys if second else mock.keys)[name] for name in PROVIDERS}


def _merge_har(suite: SuiteResult, path: Path) -> None:
    """One HAR file of every exchange the runs sent, for CI artifacts."""
    entries: list[Any] = []
    creator: Any = {"name": "kling-avatar contract", "version": "1"}
    for result in suite.results:
        har = result.har
        if not har.exists():
            continue
        try:
            log = json.loads(har.read_text(encoding="utf-8"))["log"]
        except (ValueError, KeyError, TypeError):
            continue  # a run that died mid-write; its JUnit report says so
        creator = log.get("creator", creator)
        entries += log.get("entries", [])
    document = {"log": {"version": "1.2", "creator": creator, "entries": entries}}
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _merge_reports(suite: SuiteResult, path: Path) -> None:
    """One JUnit file for CI: each run's testsuite, named after the run."""
    merged = ET.Element("testsuites")
    for result in suite.results:
        if not result.junit.exists():
            continue
        tree = ET.parse(result.junit)  # noqa: S314 (schemathesis wrote it in this run)
        for testsuite in tree.iter("testsuite"):
            testsuite.set("name", f"contract-{result.run.name}")
            merged.append(testsuite)
    # The lifecycle findings, baseline problems and sweep problems, one test case each.
    extra = [
        *((f"{f.name} [{f.provider} {f.task_id}]", str(f)) for f in suite.lifecycle),
        *(
            (f"fault sweep {p.provider} {p.operation_id} {p.answer}", str(p))
            for p in suite.sweep_problems
        ),
        *(("baseline", problem) for problem in suite.baseline_problems),
    ]
    if extra or suite.lifecycle_tasks:
        testsuite = ET.SubElement(merged, "testsuite", name="contract-lifecycle")
        testsuite.set("tests", str(max(len(extra), 1)))
        testsuite.set("failures", str(len(extra)))
        for name, text in extra:
            case = ET.SubElement(testsuite, "testcase", name=name)
            ET.SubElement(case, "failure", message=name).text = text
        if not extra:
            ET.SubElement(testsuite, "testcase", name=f"{suite.lifecycle_tasks} tasks followed")
    for name in ("tests", "failures", "errors", "skipped"):
        merged.set(name, str(sum(int(s.get(name, "0")) for s in merged)))
    merged.set("time", f"{suite.seconds:.3f}")
    ET.ElementTree(merged).write(path, encoding="utf-8", xml_declaration=True)
