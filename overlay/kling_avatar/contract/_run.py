"""One schemathesis run of the suite, in this process.

The run is schemathesis's own: the spec loaded with :func:`schemathesis.openapi.from_path`, a
:class:`schemathesis.Config` built here (the settings ``st run`` would read from its command line
and ``schemathesis.toml``), and :func:`schemathesis.engine.from_schema` generating, sending and
checking. Its events go to the consumers ``st run`` feeds them to, which schemathesis has no
other API for: the run's verdict and baseline (``ExecutionContext``: the same exit codes, the
same baseline file) and the JUnit and HAR reports. What the run answered is read off the same
events, for the coverage report.

Not reused: ``st run``'s terminal output, whose summary is written to the process's stdout
with ``click.echo``, not to a stream the caller could give it (a library's caller, pytest say,
would get it in the middle of its own). A run's text is its own summary line and each failure
as schemathesis formats it for the JUnit report, with the ``curl`` command that replays it.

The provider's key is set in the run's configuration, on the spec's own security scheme; it is
never in an argument list or the environment.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import attrs
import schemathesis
from schemathesis.cli.commands.run.context import ExecutionContext
from schemathesis.cli.commands.run.handlers.base import EventHandler
from schemathesis.cli.commands.run.handlers.har import HarHandler
from schemathesis.cli.commands.run.handlers.junitxml import JunitXMLHandler
from schemathesis.cli.constants import ExitCode
from schemathesis.cli.events import LoadingFinished, LoadingStarted
from schemathesis.engine import events, from_schema

from .._providers import auth_headers
from . import _checks
from ._coverage import Seen, seen_of
from ._plan import ALL_PHASES, Run
from ._providers import facts
from ._rules import REQUEST_TIMEOUT
from ._spec import load_spec, spec_path


@attrs.frozen
class RunResult:
    run: Run
    returncode: int  # what `st run` exits with: 0 passed, 1 failures, 2 the run could not run
    output: str  # a summary line, then each failure and error (see _text)
    junit: Path
    seconds: float
    seen: tuple[Seen, ...] = ()  # every answer the run got

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def har(self) -> Path:
        return self.junit.with_suffix(".har")


@attrs.frozen
class Options:
    """How every run of one suite is made."""

    max_examples: int
    seed: int
    allow_create: bool
    workers: int = 1
    rate_limit: str | None = None
    baseline: Path | None = None
    update_baseline: bool = False
    shrink: bool = True


def execute(run: Run, key: str, options: Options, report_dir: Path) -> RunResult:
    """Run ``run`` with ``key``; its JUnit and HAR reports go to ``report_dir``."""
    junit = report_dir / f"contract-{run.name}.xml"
    junit.unlink(missing_ok=True)
    junit.with_suffix(".har").unlink(missing_ok=True)
    started = time.perf_counter()
    seen: list[Seen] = []
    try:
        schema = load(run, key, options)
        context = ExecutionContext(config=schema.config, baseline_update=options.update_baseline)
    except Exception as exc:  # the spec, the settings or the baseline file: nothing ran
        return RunResult(run, ExitCode.ERROR, _error(exc), junit, time.perf_counter() - started)
    handlers: list[EventHandler[Any]] = [
        JunitXMLHandler(junit),
        HarHandler(junit.with_suffix(".har"), config=schema.config.output),
    ]
    settings = _checks.RunSettings(allow_create=options.allow_create, safe_url=run.safe_url)
    crash = ""
    with _checks.run_settings(schema, settings), _started(handlers, context) as handled:
        stream = _events(schema, str(spec_path(run.provider)))
        try:
            for event in stream:
                context.on_event(event)
                handled(event)
                if isinstance(event, events.ScenarioFinished):
                    seen += _answers(run.provider, event)
        except Exception as exc:  # a hook's or a handler's: the run stops, as `st run` would
            context.exit_code = ExitCode.ERROR
            crash = _error(exc)
        finally:
            stream.close()
    seconds = time.perf_counter() - started
    return RunResult(
        run=run,
        returncode=int(context.exit_code),
        output=_text(run, context, seconds) + crash,
        junit=junit,
        seconds=seconds,
        seen=tuple(seen),
    )


def load(run: Run, key: str, options: Options) -> Any:
    """The spec as schemathesis's schema, with the run's settings and only its operations."""
    spec = load_spec(run.provider)
    config = schemathesis.Config.from_dict(
        {
            "seed": options.seed,
            # Every request is bounded in time, a real provider's too.
            "request-timeout": REQUEST_TIMEOUT,
            "workers": options.workers,
            **({"rate-limit": options.rate_limit} if options.rate_limit else {}),
            **({"baseline": str(options.baseline)} if options.baseline is not None else {}),
            "generation": {
                "max-examples": options.max_examples,
                "mode": run.mode,
                "no-shrink": not options.shrink,
                # No example database: a run depends on its seed alone, not on earlier runs.
                "database": "none",
            },
            "phases": {phase: {"enabled": phase in run.phases} for phase in ALL_PHASES},
            # The only required headers in the specs carry the API key.
            "checks": {"missing_required_header": {"expected-statuses": ["401"]}},
            "auth": {"openapi": credentials(run.provider, spec, key)},
        }
    )
    schema = schemathesis.openapi.from_path(spec_path(run.provider), config=config)
    schema.config.update(base_url=run.base_url)
    # Every check schemathesis has, the envelope-aware ones in place of those the provider's
    # answers defeat (left out of this run only: the process's other runs keep them).
    schema.config.checks.update(
        included_check_names=["all"],
        excluded_check_names=list(facts(run.provider).replaced_checks),
    )
    return schema.include(operation_id=list(run.operations))


def credentials(provider: str, spec: dict[str, Any], key: str) -> dict[str, dict[str, str]]:
    """``key`` for each of the spec's security schemes, the way schemathesis's ``auth.openapi``
    takes it: a bearer token, or an API key header's value as the provider's clients send it
    (``Key <key>`` where the provider puts a word before it)."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    sent = {name.lower(): value for name, value in auth_headers(provider, key).items()}
    found: dict[str, dict[str, str]] = {}
    for name, scheme in schemes.items():
        if scheme.get("type") == "apiKey":
            found[name] = {"api_key": sent.get(str(scheme.get("name", "")).lower(), key)}
        elif scheme.get("type") == "http" and scheme.get("scheme") == "bearer":
            found[name] = {"bearer": key}
    return found


def _events(schema: Any, location: str) -> Generator[events.EngineEvent, None, None]:
    """The events ``st run`` sees: the spec loaded, then the engine's."""
    loading = LoadingStarted(location=location)
    yield loading
    yield LoadingFinished.from_schema(
        schema, location=location, start_time=loading.timestamp, base_url=schema.get_base_url()
    )
    yield from from_schema(schema).execute()


@contextlib.contextmanager
def _started(handlers: list[EventHandler[Any]], context: ExecutionContext) -> Iterator[Any]:
    """The handlers started, a function handing each of them an event, and all shut down at
    the end (the reports are written then)."""
    for handler in handlers:
        handler.start(context)

    def handled(event: events.EngineEvent) -> None:
        for handler in handlers:
            handler.handle_event(context, event)

    try:
        yield handled
    finally:
        for handler in handlers:
            handler.shutdown(context)


def _answers(provider: str, event: events.ScenarioFinished) -> list[Seen]:
    found = []
    recorder = event.recorder
    for case_id, node in recorder.cases.items():
        interaction = recorder.interactions.get(case_id)
        response = None if interaction is None else interaction.response
        case = node.value
        # schemathesis also sends other methods to a path: those are no answer of the operation.
        if response is None or case.method.upper() != case.operation.method.upper():
            continue
        operation_id = case.operation.definition.raw.get("operationId")
        if not isinstance(operation_id, str):
            continue
        found.append(
            seen_of(provider, operation_id, response.status_code, _json(response), "schemathesis")
        )
    return found


def _json(response: Any) -> object:
    try:
        return response.json()
    except Exception:  # any undecodable body: the answer is its status alone
        return None


def _text(run: Run, context: ExecutionContext, seconds: float) -> str:
    """The run's summary line, then each failure and error as the JUnit report has it."""
    statistic = context.statistic
    failures = statistic.total_failures
    lines = [
        f"{run.name}: {len(statistic.tested_operations)} of {len(run.operations)} operations "
        f"tested, {statistic.total_cases} test cases, {failures} failures, "
        f"{len(context.errors)} errors in {seconds:.1f} s (exit {int(context.exit_code)})"
    ]
    for label, groups in sorted(statistic.failures.items()):
        lines += ["", f"___ {label} ___"]
        lines += [
            group.format(index=index, curl=group.code_sample, config=context.config.output)
            for index, group in enumerate(groups.values(), 1)
        ]
    for error in sorted(context.errors, key=lambda error: error.label):
        lines += ["", f"___ error: {error.label} ___", error.info.format(base_url_is_set=True)]
    return "\n".join(lines) + "\n"


def _error(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))
