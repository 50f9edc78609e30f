"""Lifecycle checks: the job as a whole, not one answer at a time.

Every answer can match its schema while the job is broken: a finished task that reads as
running again, a success whose video URL is dead, a callback off the spec's ``callbacks``
schema, credits that do not move. This module follows tasks to their end and reports each
such break as a named :class:`Finding` with the task id and the answers that show it.

The facts come from the specs (`_spec.py`): the state enum's order, which
states are terminal (the state schema's ``x-terminal``, or the names its description gives),
each timestamp's unit (its description: "Unix seconds", "Unix milliseconds"), the callback's
schema and where its URL goes, the creation request's example. What differs between providers
and the specs do not say as data (which field holds the state, where the result URLs are,
what marks a failure, the cost, whether answers come in an envelope) is each provider's
:class:`TaskShape`, in its module of `_providers` (:data:`SHAPES`).

It runs two ways: :func:`drive` creates tasks against a server (the mock always; a real
provider only with CONTRACT_ALLOW_CREATE=1) and :func:`check_task` judges the observations;
`_traffic.py` feeds :func:`check_task` the exchanges a client recorded.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import httpx

from .._providers import auth_headers
from .._registry import PROVIDERS
from .._tls import tls_context
from ._capture import Callback, CallbackReceiver
from ._providers import TaskShape, facts
from ._spec import Operation, callback_spec, load_spec, operation, resolve, schema_errors

# Seconds of clock difference between this machine and a provider that still count as plausible.
CLOCK_SKEW = 300.0
# How much of a result URL is fetched: enough for every container signature below.
PROBE_BYTES = 64
EVIDENCE_CHARS = 400


# Each provider's, from its module of `_providers`.
SHAPES: dict[str, TaskShape] = {name: facts(name).shape for name in PROVIDERS}


@attrs.frozen
class Lifecycle:
    """The lifecycle facts of one provider's spec."""

    states: tuple[str, ...]  # in the documented order
    terminal: frozenset[str]
    units: Mapping[str, float]  # timestamp field -> seconds per unit
    callback_field: str | None
    callback_schema: Any
    callback_in: str | None = None  # where the creation carries the callback URL: body, query
    callback_headers: tuple[str, ...] = ()  # the headers a callback must carry


def _property(spec: Mapping[str, Any], schema: Any, name: str) -> Any:
    """The schema of property ``name`` somewhere in ``schema`` (through allOf/anyOf/$ref)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, Mapping):
        return None
    if name in schema.get("properties", {}):
        return resolve(spec, schema["properties"][name])
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found = _property(spec, part, name)
            if found is not None:
                return found
    return None


def lifecycle(shape: TaskShape) -> Lifecycle:
    spec = load_spec(shape.provider)
    read = operation(shape.provider, shape.read)
    response = resolve(spec, read.definition["responses"]["200"])
    answer = response["content"]["application/json"]["schema"]
    task = _property(spec, answer, "data") if shape.envelope else resolve(spec, answer)
    state = _property(spec, task, shape.state) or {}
    states = tuple(state.get("enum", ()))
    # `x-terminal: [COMPLETED]`, or "`success` and `failed` are terminal." in the description.
    named = state.get("x-terminal") or re.findall(r"`([^`]+)`", str(state.get("description", "")))
    terminal = frozenset(s for s in named if s in states)
    units: dict[str, float] = {}
    for field in (shape.created_at, shape.completed_at):
        if field is not None:
            text = str((_property(spec, task, field) or {}).get("description", "")).lower()
            units[field] = 0.001 if "milli" in text else 1.0
    found = callback_spec(operation(shape.provider, shape.create))
    return Lifecycle(
        states=states,
        terminal=terminal,
        units=units,
        callback_field=found.field if found else None,
        callback_schema=found.schema if found else None,
        callback_in=found.location if found else None,
        callback_headers=found.headers if found else (),
    )


# -- observations ----------------------------------------------------------------------------


@attrs.frozen
class Read:
    """One answer of the read operation (or the result's): when, the HTTP status and the
    decoded body."""

    at: float  # Unix seconds on this machine
    status: int
    body: Any


def answered(shape: TaskShape, status: int, body: Any) -> Mapping[str, Any] | None:
    """What a successful answer carries (the envelope's ``data`` under code 200, or a bare
    answer's body under any 2xx); None for an error or an answer without it."""
    if not isinstance(body, Mapping):
        return None
    if not shape.envelope:
        return body if 200 <= status < 300 else None
    data = body.get("data")
    ok = status == 200 and body.get("code") == 200
    return data if ok and isinstance(data, Mapping) else None


def task_of(shape: TaskShape, read: Read) -> Mapping[str, Any] | None:
    """The task a read answered, or None when it answered none."""
    return answered(shape, read.status, read.body)


def succeeded(shape: TaskShape, task: Mapping[str, Any]) -> bool:
    """Whether the task is in its success state with no mark of a failure."""
    return task.get(shape.state) == shape.success and not any(
        _get(task, path) not in _EMPTY for path in shape.failure_marks
    )


@attrs.frozen
class Probe:
    """A ranged GET of a result URL: status, content type and the first bytes."""

    url: str
    status: int | None  # None: no answer at all
    content_type: str
    head: bytes
    error: str = ""


@attrs.frozen
class TaskRun:
    """Everything seen of one task."""

    provider: str
    task_id: str
    created_at: float  # when the creation was sent (Unix seconds, this machine)
    reads: tuple[Read, ...]
    probes: tuple[Probe, ...] = ()
    callbacks: tuple[Callback, ...] = ()
    callback_expected: bool = False  # a callback URL was sent that the provider can reach
    probed: bool = True  # result URLs were fetched (traffic may not have any)
    # The answer of the shape's result operation, for a provider whose results are there
    # (None: not asked, or not in the traffic).
    result: Read | None = None


@attrs.frozen
class Finding:
    name: str
    provider: str
    task_id: str
    detail: str
    evidence: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [f"{self.name} [{self.provider} task {self.task_id}]: {self.detail}"]
        lines += [f"    {item}" for item in self.evidence]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def evidence(label: str, value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if len(text) > EVIDENCE_CHARS:
        text = text[:EVIDENCE_CHARS] + "..."
    return f"{label}: {text}"


_EMPTY: tuple[object, ...] = (None, "", [], {})


def _get(node: Any, path: Sequence[str]) -> Any:
    for part in path:
        if part == "@json":
            if not isinstance(node, str) or not node:
                return None
            try:
                node = json.loads(node)
            except ValueError:
                return None
            continue
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def result_urls(
    shape: TaskShape, task: Mapping[str, Any], path: Sequence[str] | None = None
) -> list[str]:
    """The result URLs at ``path`` (the shape's ``results``) of ``task``: a list, or one URL."""
    urls = _get(task, shape.results if path is None else path)
    if isinstance(urls, str):
        return [urls]
    return [u for u in urls if isinstance(u, str)] if isinstance(urls, list) else []


def run_result_urls(shape: TaskShape, run: TaskRun, task: Mapping[str, Any]) -> list[str]:
    """The result URLs of a run whose final task is ``task``: from its result answer where
    the shape has a result operation, else from the task."""
    if shape.result is None:
        return result_urls(shape, task)
    answer = None if run.result is None else answered(shape, run.result.status, run.result.body)
    return result_urls(shape, answer or {})


# -- the checks ------------------------------------------------------------------------------


def check_task(run: TaskRun) -> list[Finding]:
    """Every lifecycle break this task's observations show."""
    shape = SHAPES[run.provider]
    facts = lifecycle(shape)
    findings: list[Finding] = []

    def found(name: str, detail: str, *items: str) -> None:
        findings.append(Finding(name, run.provider, run.task_id, detail, tuple(items)))

    seen = [(read, task_of(shape, read)) for read in run.reads]
    tasks = [(read, task) for read, task in seen if task is not None]
    if not tasks:
        last = run.reads[-1] if run.reads else None
        found(
            "task-never-readable",
            f"no read of the task answered it ({len(run.reads)} reads)",
            *([evidence("last answer", last.body)] if last else []),
        )
        return findings

    findings += _check_states(run, shape, facts, tasks)
    # The outcome is the first terminal read: one that changes later is a finding of its own.
    final_read, final = next(
        ((read, task) for read, task in tasks if task.get(shape.state) in facts.terminal),
        tasks[-1],
    )
    state = final.get(shape.state)
    findings += _check_timestamps(run, shape, facts, tasks)
    if state not in facts.terminal:
        found(
            "task-never-finished",
            f"still {state!r} at the last of {len(tasks)} reads",
            evidence("last answer", final_read.body),
        )
        return findings
    if succeeded(shape, final):
        findings += _check_success(run, shape, final_read, final)
    else:
        findings += _check_failure(run, shape, final_read, final)
    findings += _check_callbacks(run, shape, facts, final_read, final)
    return findings


def _check_states(
    run: TaskRun, shape: TaskShape, facts: Lifecycle, tasks: list[tuple[Read, Mapping[str, Any]]]
) -> list[Finding]:
    findings = []
    previous: tuple[Read, str] | None = None
    for read, task in tasks:
        state = task.get(shape.state)
        if not isinstance(state, str) or state not in facts.states:
            findings.append(
                Finding(
                    "state-undocumented",
                    run.provider,
                    run.task_id,
                    f"state {state!r} is not one of {', '.join(facts.states)}",
                    (evidence("answer", read.body),),
                )
            )
            continue
        if previous is not None:
            before_read, before = previous
            if before in facts.terminal and state != before:
                findings.append(
                    Finding(
                        "terminal-state-changed",
                        run.provider,
                        run.task_id,
                        f"the task was {before!r} (terminal) and then read as {state!r}",
                        (evidence("first", before_read.body), evidence("then", read.body)),
                    )
                )
            elif (
                before not in facts.terminal
                and state not in facts.terminal
                and facts.states.index(state) < facts.states.index(before)
            ):
                findings.append(
                    Finding(
                        "state-went-backwards",
                        run.provider,
                        run.task_id,
                        f"{before!r} then {state!r}; the documented order is "
                        + " -> ".join(s for s in facts.states if s not in facts.terminal),
                        (evidence("first", before_read.body), evidence("then", read.body)),
                    )
                )
        previous = (read, state)
    return findings


def _seconds(value: object, unit: float) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * unit
    return None


def _check_timestamps(
    run: TaskRun, shape: TaskShape, facts: Lifecycle, tasks: list[tuple[Read, Mapping[str, Any]]]
) -> list[Finding]:
    findings: list[Finding] = []
    if shape.created_at is None:
        return findings  # the task reports no times
    created_unit = facts.units[shape.created_at]
    completed_at = shape.completed_at
    unit_name = {1.0: "Unix seconds", 0.001: "Unix milliseconds"}
    first_created: tuple[Read, float] | None = None
    for read, task in tasks:
        created = _seconds(task.get(shape.created_at), created_unit)
        completed = (
            None
            if completed_at is None
            else _seconds(task.get(completed_at), facts.units[completed_at])
        )
        if created is not None:
            # A task the suite made was created between the request and this answer.
            low = run.created_at - CLOCK_SKEW
            if not low <= created <= read.at + CLOCK_SKEW:
                findings.append(
                    Finding(
                        "timestamp-implausible",
                        run.provider,
                        run.task_id,
                        f"{shape.created_at}={task.get(shape.created_at)!r} read as "
                        f"{unit_name.get(created_unit)} is not between the creation request and "
                        "the answer",
                        (evidence("answer", read.body),),
                    )
                )
            elif first_created is None:
                first_created = (read, created)
            elif created != first_created[1]:
                findings.append(
                    Finding(
                        "timestamp-changed",
                        run.provider,
                        run.task_id,
                        f"{shape.created_at} moved from {first_created[1]} to {created}",
                        (evidence("first", first_created[0].body), evidence("then", read.body)),
                    )
                )
        if (
            completed is not None
            and created is not None
            and (completed < created or completed > read.at + CLOCK_SKEW)
        ):
            findings.append(
                Finding(
                    "timestamps-out-of-order",
                    run.provider,
                    run.task_id,
                    f"{shape.completed_at} ({completed}) is before {shape.created_at} "
                    f"({created}) or after the answer ({read.at:.0f})",
                    (evidence("answer", read.body),),
                )
            )
    return [f for i, f in enumerate(findings) if f not in findings[:i]]


VIDEO_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftyp", "MP4/MOV"),  # ISO base media: the ftyp box comes first
    (0, b"\x1a\x45\xdf\xa3", "WebM/Matroska"),
)


def container(head: bytes) -> str | None:
    for offset, magic, name in VIDEO_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return name
    return None


def _check_success(
    run: TaskRun, shape: TaskShape, read: Read, task: Mapping[str, Any]
) -> list[Finding]:
    if shape.result is not None and run.result is None:
        return []  # its result was not asked for (traffic of a service that never fetched it)
    urls = run_result_urls(shape, run, task)
    if not urls:
        where = ".".join(p for p in shape.results if p != "@json")
        items = [evidence("answer", read.body)]
        if run.result is not None:
            where += f" of {shape.result}'s answer"
            items.append(evidence(f"{shape.result}: HTTP {run.result.status}", run.result.body))
        return [
            Finding(
                "success-without-result-url",
                run.provider,
                run.task_id,
                f"the task succeeded with no URL in {where}",
                tuple(items),
            )
        ]
    if not run.probed:
        return []
    findings = []
    for probe in run.probes:
        answer = (
            f"HTTP {probe.status}, {probe.content_type or 'no content type'}, "
            f"first bytes {probe.head[:12].hex()}"
            if probe.status is not None
            else probe.error
        )
        if probe.status not in (200, 206):
            findings.append(
                Finding(
                    "result-url-dead",
                    run.provider,
                    run.task_id,
                    f"{probe.url} does not answer with the video ({answer})",
                    (evidence("answer", read.body), evidence("ranged GET", answer)),
                )
            )
        elif not probe.content_type.startswith("video/") or container(probe.head) is None:
            findings.append(
                Finding(
                    "result-url-not-a-video",
                    run.provider,
                    run.task_id,
                    f"{probe.url} answers something else than a video ({answer})",
                    (evidence("answer", read.body), evidence("ranged GET", answer)),
                )
            )
    return findings


def _check_failure(
    run: TaskRun, shape: TaskShape, read: Read, task: Mapping[str, Any]
) -> list[Finding]:
    missing = [".".join(path) for path in shape.failure_fields if _get(task, path) in _EMPTY]
    if not missing:
        return []
    return [
        Finding(
            "failure-without-reason",
            run.provider,
            run.task_id,
            f"the task failed without {', '.join(missing)}",
            (evidence("answer", read.body),),
        )
    ]


def callback_task(provider: str, body: Any) -> Mapping[str, Any] | None:
    """The task object a callback carries: bare (crun may send that) or in the envelope."""
    shape = SHAPES[provider]
    if isinstance(body, Mapping) and isinstance(body.get("data"), Mapping):
        data: Mapping[str, Any] = body["data"]
        return data
    if isinstance(body, Mapping) and shape.state in body:
        return body
    return None


def _check_callbacks(
    run: TaskRun, shape: TaskShape, facts: Lifecycle, read: Read, task: Mapping[str, Any]
) -> list[Finding]:
    findings: list[Finding] = []
    if run.callback_expected and not run.callbacks:
        findings.append(
            Finding(
                "callback-missing",
                run.provider,
                run.task_id,
                "the task finished and no callback arrived",
                (evidence("answer", read.body),),
            )
        )
    for callback in run.callbacks:
        errors = (
            schema_errors(run.provider, facts.callback_schema, callback.body)
            if facts.callback_schema is not None
            else []
        )
        # Headers are judged where they were kept (traffic files keep bodies only).
        sent = {name.lower() for name in callback.headers}
        errors += [
            f"(headers): no {name}"
            for name in facts.callback_headers
            if callback.headers and name.lower() not in sent
        ]
        if errors:
            findings.append(
                Finding(
                    "callback-off-schema",
                    run.provider,
                    run.task_id,
                    "the callback does not match the spec's callbacks schema: " + "; ".join(errors),
                    (evidence("callback", callback.body),),
                )
            )
            continue
        carried = callback_task(run.provider, callback.body) or {}
        differences = []
        said_id = carried.get(shape.created_id)
        if said_id != run.task_id:
            differences.append(f"id: callback {said_id!r}, task {run.task_id!r}")
        said, was = _callback_outcome(shape, facts, carried), _outcome(shape, facts, task)
        if said != was:
            differences.append(
                f"{shape.state}: callback {carried.get(shape.state)!r} ({said}), "
                f"task {task.get(shape.state)!r} ({was})"
            )
        # The results, where they were seen (a result operation's answer may not have been).
        if shape.result is None or run.result is not None:
            mine = result_urls(shape, carried, shape.callback_results)
            theirs = run_result_urls(shape, run, task)
            if mine != theirs:
                differences.append(f"result URLs: callback {mine!r}, task {theirs!r}")
        if differences:
            findings.append(
                Finding(
                    "callback-disagrees-with-task",
                    run.provider,
                    run.task_id,
                    "; ".join(differences),
                    (evidence("callback", callback.body), evidence("task read", read.body)),
                )
            )
    return findings


def _outcome(shape: TaskShape, facts: Lifecycle, task: Mapping[str, Any]) -> str:
    """success, failure, or the state of a task that has not ended."""
    state = task.get(shape.state)
    if state not in facts.terminal:
        return f"still {state!r}"
    return "success" if succeeded(shape, task) else "failure"


def _callback_outcome(shape: TaskShape, facts: Lifecycle, carried: Mapping[str, Any]) -> str:
    if shape.callback_success is None:
        return _outcome(shape, facts, carried)
    state = carried.get(shape.state)
    return "success" if state == shape.callback_success else "failure"


def check_credits(
    provider: str,
    before: float | None,
    after: float | None,
    runs: Sequence[TaskRun],
) -> list[Finding]:
    """The balance moved by what the tasks report they cost (only where a cost is reported)."""
    shape = SHAPES[provider]
    if shape.cost is None or before is None or after is None or not runs:
        return []
    costs = []
    for run in runs:
        tasks = [task for read in run.reads if (task := task_of(shape, read)) is not None]
        cost = tasks[-1].get(shape.cost) if tasks else None
        if not isinstance(cost, int | float) or isinstance(cost, bool):
            return []  # a task that does not report its cost: nothing to compare
        costs.append(cost)
    spent = before - after
    if abs(spent - sum(costs)) <= 1e-6:
        return []
    ids = ", ".join(run.task_id for run in runs)
    return [
        Finding(
            "credits-do-not-match-cost",
            provider,
            ids,
            f"the balance moved by {spent:g} while the tasks report costs {costs} "
            f"(sum {sum(costs):g})",
            (evidence("balance before", before), evidence("balance after", after)),
        )
    ]


# -- driving tasks against a server ---------------------------------------------------------


def callbacks_for(receiver: CallbackReceiver, provider: str, task_id: str) -> tuple[Callback, ...]:
    """The callbacks ``receiver`` got about the task ``task_id``."""
    shape = SHAPES[provider]
    return tuple(
        callback
        for callback in receiver.snapshot()
        if (callback_task(provider, callback.body) or {}).get(shape.created_id) == task_id
    )


@attrs.frozen
class DriveSettings:
    media: tuple[str, str] | None = None  # (image URL, audio URL); None: the spec's example
    # Where the provider is told to POST the callback: None, the local receiver (the mock
    # reaches it); "" none at all (a real provider cannot reach 127.0.0.1); else a public URL
    # that forwards to the receiver on 127.0.0.1:callback_port.
    callback_url: str | None = None
    callback_port: int = 0
    poll: float = 0.05  # first poll interval; doubles up to poll_max
    poll_max: float = 15.0
    timeout: float = 60.0  # per task
    extra_reads: int = 2  # reads after the first terminal one: a terminal state never changes
    callback_wait: float = 5.0
    fail_one: Callable[[str], object] | None = None  # arranges that the next creation fails
    # A second account's key per provider: each task is read with it too, and must not be
    # there (tasks belong to the account that created them). {}: not checked.
    other_keys: Mapping[str, str] = attrs.field(factory=dict)
    # Moves the provider's tasks on by one state (the mock's clock), called after each read
    # of a task that has not ended: each state is read, none waited for. None: wait.
    tick: Callable[[], object] | None = None


@attrs.frozen
class DriveResult:
    provider: str
    runs: tuple[TaskRun, ...]
    findings: tuple[Finding, ...]
    answers: tuple[tuple[str, int, Any], ...]  # (operationId, HTTP status, body) of each answer


def creation_body(provider: str, media: tuple[str, str] | None) -> dict[str, Any]:
    """The spec's own creation example (else its required properties' examples), with the
    media URLs replaced when given."""
    shape = SHAPES[provider]
    spec = load_spec(provider)
    op = operation(provider, shape.create)
    content = op.definition["requestBody"]["content"]["application/json"]
    schema = resolve(spec, content["schema"])
    examples = [e["value"] for e in content.get("examples", {}).values() if "value" in e]
    properties = {
        name: resolve(spec, node).get("example")
        for name, node in schema.get("properties", {}).items()
        if name in schema.get("required", ())
    }
    candidates = [content.get("example"), *examples, schema.get("example"), properties]
    example = next(c for c in candidates if isinstance(c, Mapping))
    body: dict[str, Any] = copy.deepcopy(dict(example))
    if media is not None:
        inputs = _get(body, shape.inputs)
        inputs["image_url"], inputs["audio_url"] = media
    return body


def drive(
    provider: str,
    base_url: str,
    key: str,
    settings: DriveSettings,
    *,
    count: int = 2,
) -> DriveResult:
    """Create ``count`` tasks (the second made to fail when ``settings.fail_one`` can), follow
    each to its end, fetch its result URLs, wait for its callback and check it all."""
    shape = SHAPES[provider]
    facts = lifecycle(shape)
    headers = auth_headers(provider, key)
    answers: list[tuple[str, int, Any]] = []
    runs: list[TaskRun] = []
    findings: list[Finding] = []
    with (
        httpx.Client(
            base_url=base_url, headers=headers, timeout=30, trust_env=False, verify=tls_context()
        ) as http,
        # Result URLs are fetched without the key, by a client of their own.
        httpx.Client(timeout=30, trust_env=False, verify=tls_context()) as bare,
        CallbackReceiver(settings.callback_port) as receiver,
    ):

        def call(operation_id: str, task_id: str | None = None, **kwargs: Any) -> tuple[int, Any]:
            """Call the operation (about task ``task_id``, when given)."""
            op = operation(provider, operation_id)
            path, params = task_call(op, shape, task_id)
            if params:
                kwargs["params"] = {**kwargs.get("params", {}), **params}
            try:
                response = http.request(op.method, path, **kwargs)
            except httpx.HTTPError as exc:
                return 0, f"{type(exc).__name__}: {exc}"
            try:
                body = response.json()
            except ValueError:
                body = response.text[:EVIDENCE_CHARS]
            answers.append((operation_id, response.status_code, body))
            return response.status_code, body

        before = None if shape.balance is None else _balance(shape, call(shape.balance))
        callback_url = receiver.url if settings.callback_url is None else settings.callback_url
        for index in range(count):
            if index == 1 and settings.fail_one is not None:
                settings.fail_one(shape.create)
            body = creation_body(provider, settings.media)
            params: dict[str, str] = {}
            if facts.callback_field is not None and callback_url:
                where = params if facts.callback_in == "query" else body
                where[facts.callback_field] = callback_url
            started = time.time()
            status, created = call(shape.create, json=body, params=params)
            task_id = (answered(shape, status, created) or {}).get(shape.created_id)
            if not isinstance(task_id, str) or not task_id:
                findings.append(
                    Finding(
                        "creation-refused",
                        provider,
                        "-",
                        "a valid creation request made no task, so nothing could be followed",
                        (evidence("request", body), evidence(f"HTTP {status}", created)),
                    )
                )
                continue
            reads = _follow(call, shape, facts, task_id, settings)
            other_key = settings.other_keys.get(provider)
            if other_key:
                findings += _read_as_other_account(http, shape, task_id, other_key)
            tasks = [task for read in reads if (task := task_of(shape, read)) is not None]
            final = next((t for t in tasks if t.get(shape.state) in facts.terminal), {})
            result = None
            if shape.result is not None and final and succeeded(shape, final):
                result = Read(time.time(), *call(shape.result, task_id))
            run = TaskRun(
                provider=provider,
                task_id=task_id,
                created_at=started,
                reads=tuple(reads),
                callback_expected=facts.callback_field is not None and bool(callback_url),
                result=result,
            )
            urls = run_result_urls(shape, run, final)[:3]
            runs.append(attrs.evolve(run, probes=tuple(probe(url, bare) for url in urls)))
        deadline = time.monotonic() + settings.callback_wait
        while time.monotonic() < deadline and not all(
            callbacks_for(receiver, provider, run.task_id) for run in runs
        ):
            time.sleep(0.02)
        runs = [
            attrs.evolve(run, callbacks=callbacks_for(receiver, provider, run.task_id))
            for run in runs
        ]
        after = None if shape.balance is None else _balance(shape, call(shape.balance))
    for run in runs:
        findings += check_task(run)
    findings += check_credits(provider, before, after, runs)
    return DriveResult(provider, tuple(runs), tuple(findings), tuple(answers))


def _read_as_other_account(
    http: httpx.Client, shape: TaskShape, task_id: str, other_key: str
) -> list[Finding]:
    """A read of the task with another account's key must not hand it over: "not found", or
    a refusal, are both fine; the task's data is a breach."""
    op = operation(shape.provider, shape.read)
    auth = auth_headers(shape.provider, other_key)
    path, params = task_call(op, shape, task_id)
    try:
        response = http.request(op.method, path, params=params, headers=auth)
    except httpx.HTTPError:
        return []  # no answer hands nothing over; the reads of the owner judge availability
    try:
        body: Any = response.json()
    except ValueError:
        return []
    if answered(shape, response.status_code, body) is not None:
        return [
            Finding(
                "task-readable-by-another-account",
                shape.provider,
                task_id,
                "a task created with one account's key was read with another account's key",
                (evidence("the other account's read", body),),
            )
        ]
    return []


def task_call(op: Operation, shape: TaskShape, task_id: str | None) -> tuple[str, dict[str, str]]:
    """(path, query parameters) of a call of ``op`` about the task ``task_id``: the id in its
    path where the path has the shape's id parameter, else in its query."""
    if task_id is None:
        return op.url_path(), {}
    if op.takes_in_path(shape.id_param):
        return op.url_path(**{shape.id_param: task_id}), {}
    return op.url_path(), {shape.id_param: task_id}


def _balance(shape: TaskShape, answer: tuple[int, Any]) -> float | None:
    status, body = answer
    value = _get(body, shape.balance_path) if status == 200 else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _follow(
    call: Callable[..., tuple[int, Any]],
    shape: TaskShape,
    facts: Lifecycle,
    task_id: str,
    settings: DriveSettings,
) -> list[Read]:
    """Read the task until it ends (or ``settings.timeout``), then a few more times."""
    reads: list[Read] = []
    delay = settings.poll
    deadline = time.monotonic() + settings.timeout
    extra = None
    while True:
        read = Read(time.time(), *call(shape.read, task_id))
        reads.append(read)
        state = (task_of(shape, read) or {}).get(shape.state)
        if extra is None and state in facts.terminal:
            extra = settings.extra_reads
        elif extra is not None:
            extra -= 1
        if extra == 0 or (extra is None and time.monotonic() > deadline):
            return reads
        if extra is None and settings.tick is not None:
            settings.tick()
        time.sleep(delay)
        delay = min(delay * 2, settings.poll_max)


def probe(url: str, bare: httpx.Client) -> Probe:
    """A ranged GET of the first bytes of ``url`` with ``bare``, a client without the API key."""
    headers = {"Range": f"bytes=0-{PROBE_BYTES - 1}"}
    try:
        with bare.stream("GET", url, headers=headers) as response:
            head = b""
            for chunk in response.iter_bytes():
                head += chunk
                if len(head) >= PROBE_BYTES:
                    break
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            return Probe(url, response.status_code, content_type, head[:PROBE_BYTES])
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Probe(url, None, "", b"", f"{type(exc).__name__}: {exc}")
