"""Lifecycle checks: the job as a whole, not one answer at a time.

Every answer can match its schema while the job is broken: a finished task that reads as
running again, a success whose video URL is dead, a callback off the spec's ``callbacks``
schema, credits that do not move. This module follows tasks to their end and reports each
such break as a named :class:`Finding` with the task id and the answers that show it.

The facts come from the specs (`_spec.py`): the state enum's order, which
states are terminal (the state schema's description names them), each timestamp's unit (its
description: "Unix seconds", "Unix milliseconds"), the callback schema, the creation request's
example. What differs between providers and the specs do not say as data (which field holds
the state, the result URLs, the failure fields, the cost) is each provider's
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
from ._capture import Callback, CallbackReceiver
from ._providers import TaskShape, facts
from ._spec import callback_schema as spec_callback_schema
from ._spec import load_spec, operation, resolve, schema_errors

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
    task = _property(spec, response["content"]["application/json"]["schema"], "data")
    state = _property(spec, task, shape.state) or {}
    states = tuple(state.get("enum", ()))
    # "`success` and `failed` are terminal.": the description names the terminal states.
    named = re.findall(r"`([^`]+)`", str(state.get("description", "")))
    terminal = frozenset(s for s in named if s in states)
    units: dict[str, float] = {}
    for field in (shape.created_at, shape.completed_at):
        text = str((_property(spec, task, field) or {}).get("description", "")).lower()
        units[field] = 0.001 if "milli" in text else 1.0
    found = spec_callback_schema(operation(shape.provider, shape.create))
    return Lifecycle(
        states=states,
        terminal=terminal,
        units=units,
        callback_field=found[0] if found else None,
        callback_schema=found[1] if found else None,
    )


# -- observations ----------------------------------------------------------------------------


@attrs.frozen
class Read:
    """One answer of the read operation: when, the HTTP status and the decoded body."""

    at: float  # Unix seconds on this machine
    status: int
    body: Any

    @property
    def task(self) -> Mapping[str, Any] | None:
        if self.status != 200 or not isinstance(self.body, Mapping):
            return None
        data = self.body.get("data")
        return data if self.body.get("code") == 200 and isinstance(data, Mapping) else None


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


def result_urls(shape: TaskShape, task: Mapping[str, Any]) -> list[str]:
    urls = _get(task, shape.results)
    return [u for u in urls if isinstance(u, str)] if isinstance(urls, list) else []


# -- the checks ------------------------------------------------------------------------------


def check_task(run: TaskRun) -> list[Finding]:
    """Every lifecycle break this task's observations show."""
    shape = SHAPES[run.provider]
    facts = lifecycle(shape)
    findings: list[Finding] = []

    def found(name: str, detail: str, *items: str) -> None:
        findings.append(Finding(name, run.provider, run.task_id, detail, tuple(items)))

    seen = [(read, read.task) for read in run.reads]
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
    if state == shape.success:
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
    created_unit = facts.units[shape.created_at]
    completed_unit = facts.units[shape.completed_at]
    unit_name = {1.0: "Unix seconds", 0.001: "Unix milliseconds"}
    first_created: tuple[Read, float] | None = None
    for read, task in tasks:
        created = _seconds(task.get(shape.created_at), created_unit)
        completed = _seconds(task.get(shape.completed_at), completed_unit)
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
    urls = result_urls(shape, task)
    if not urls:
        where = ".".join(p for p in shape.results if p != "@json")
        return [
            Finding(
                "success-without-result-url",
                run.provider,
                run.task_id,
                f"the task succeeded with no URL in {where}",
                (evidence("answer", read.body),),
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
    missing = [
        ".".join(path) for path in shape.failure_fields if _get(task, path) in (None, "", [], {})
    ]
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
        differences = [
            f"{name}: callback {mine!r}, task {theirs!r}"
            for name, mine, theirs in (
                ("id", carried.get(shape.created_id), run.task_id),
                (shape.state, carried.get(shape.state), task.get(shape.state)),
                ("result URLs", result_urls(shape, carried), result_urls(shape, task)),
            )
            if mine != theirs
        ]
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
        tasks = [read.task for read in run.reads if read.task is not None]
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


@attrs.frozen
class DriveResult:
    provider: str
    runs: tuple[TaskRun, ...]
    findings: tuple[Finding, ...]
    answers: tuple[tuple[str, int, Any], ...]  # (operationId, HTTP status, body) of each answer


def creation_body(provider: str, media: tuple[str, str] | None) -> dict[str, Any]:
    """The spec's own creation example, with the media URLs replaced when given."""
    op = operation(provider, SHAPES[provider].create)
    content = op.definition["requestBody"]["content"]["application/json"]
    examples = [e["value"] for e in content.get("examples", {}).values() if "value" in e]
    candidates = [
        content.get("example"),
        *examples,
        resolve(load_spec(provider), content["schema"]).get("example"),
    ]
    example = next(c for c in candidates if isinstance(c, Mapping))
    body: dict[str, Any] = copy.deepcopy(dict(example))
    if media is not None:
        body["input"]["image_url"], body["input"]["audio_url"] = media
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
        httpx.Client(base_url=base_url, headers=headers, timeout=30, trust_env=False) as http,
        # Result URLs are fetched without the key, by a client of their own.
        httpx.Client(timeout=30, trust_env=False) as bare,
        CallbackReceiver(settings.callback_port) as receiver,
    ):

        def call(operation_id: str, **kwargs: Any) -> tuple[int, Any]:
            op = operation(provider, operation_id)
            try:
                response = http.request(op.method, op.prefix + op.path, **kwargs)
            except httpx.HTTPError as exc:
                return 0, f"{type(exc).__name__}: {exc}"
            try:
                body = response.json()
            except ValueError:
                body = response.text[:EVIDENCE_CHARS]
            answers.append((operation_id, response.status_code, body))
            return response.status_code, body

        before = _balance(shape, call(shape.balance))
        callback_url = receiver.url if settings.callback_url is None else settings.callback_url
        for index in range(count):
            if index == 1 and settings.fail_one is not None:
                settings.fail_one(shape.create)
            body = creation_body(provider, settings.media)
            if facts.callback_field is not None and callback_url:
                body[facts.callback_field] = callback_url
            started = time.time()
            status, created = call(shape.create, json=body)
            task_id = _get(created, ("data", shape.created_id))
            if status != 200 or not isinstance(task_id, str) or not task_id:
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
            finals = [r.task for r in reads if (r.task or {}).get(shape.state) in facts.terminal]
            urls = result_urls(shape, (finals or [{}])[0] or {})[:3]
            probes = [probe(url, bare) for url in urls]
            runs.append(
                TaskRun(
                    provider=provider,
                    task_id=task_id,
                    created_at=started,
                    reads=tuple(reads),
                    probes=tuple(probes),
                    callback_expected=facts.callback_field is not None and bool(callback_url),
                )
            )
        deadline = time.monotonic() + settings.callback_wait
        while time.monotonic() < deadline and not all(
            callbacks_for(receiver, provider, run.task_id) for run in runs
        ):
            time.sleep(0.02)
        runs = [
            attrs.evolve(run, callbacks=callbacks_for(receiver, provider, run.task_id))
            for run in runs
        ]
        after = _balance(shape, call(shape.balance))
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
    try:
        response = http.request(
            op.method, op.prefix + op.path, params={shape.id_param: task_id}, headers=auth
        )
    except httpx.HTTPError:
        return []  # no answer hands nothing over; the reads of the owner judge availability
    try:
        body: Any = response.json()
    except ValueError:
        return []
    data = _get(body, ("data",))
    if response.status_code == 200 and _get(body, ("code",)) == 200 and data is not None:
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
        status, body = call(shape.read, params={shape.id_param: task_id})
        read = Read(time.time(), status, body)
        reads.append(read)
        state = (read.task or {}).get(shape.state)
        if extra is None and state in facts.terminal:
            extra = settings.extra_reads
        elif extra is not None:
            extra -= 1
        if extra == 0 or (extra is None and time.monotonic() > deadline):
            return reads
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
