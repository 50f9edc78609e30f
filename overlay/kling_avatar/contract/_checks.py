"""Envelope-aware schemathesis checks and hooks, for the provider specs' schemas only.

Providers with an envelope answer most errors as HTTP 200 with the real status in the body's
``code``, so schemathesis's status-based checks misjudge them: an accepted invalid body and a
rejected one look alike. The checks here judge the envelope instead, in place of
``negative_data_rejection``, ``positive_data_acceptance``, ``missing_required_header`` and
``ignored_auth`` (the envelope checks call the built-ins on the envelope's status). Which of the
four a provider's answers defeat is its facts' ``replaced_checks``: a provider without an
envelope keeps the built-ins but ``positive_data_acceptance``, whose replacement knows the
answers a valid request gets because of what it names (not found; not ready yet).

The hooks send Apikley's upload operations to their own server (the spec gives them a
``servers`` entry of their own, ``/file-upload`` under the API's host, which schemathesis
ignores once a base URL is given); against a real provider they generate writes (task creation,
uploads) only as requests that cannot succeed unless allowed, and point every generated URL the
provider would fetch or call back at a safe one.

schemathesis registers checks and hooks for the whole process. Importing this module registers
them, but they act only on a schema a suite run has registered (:func:`run_settings`, with that
run's settings), or on every schema once :func:`everywhere` was called (what
:mod:`kling_avatar.contract.hooks` does for a plain ``st run``, with the settings from the
environment). A service's own schemathesis tests in the same process see neither, and keep the
four built-ins: the suite's runs leave out their provider's replaced ones in their own
configuration. Where :func:`everywhere` took a built-in out of schemathesis's registry, the
check standing in its place runs the built-in itself for every schema that does not replace
it (a provider without an envelope, or a schema that is none of the providers').
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import attrs
import requests
import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response
from schemathesis.checks import CHECKS
from schemathesis.core.failures import Failure, Severity
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    is_unexpected_http_status_case,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
)

from .._registry import PROVIDERS
from ._providers import ContractFacts, facts
from ._rules import (
    FETCHED_FIELDS,
    REPLACED_CHECKS,
    REQUEST_TIMEOUT,
    TRANSIENT_STATUSES,
    WRITE_OPERATIONS,
)
from ._spec import callback_fields, load_spec, resolve

AnyCase = Case[Any]

WRONG_KEYS = {"apiKey": "ak_" + "0" * 32, "http": "Bearer not-a-real-key-0000000000000000"}


class RejectedValidData(Failure):
    """Schema-valid input answered with an error ``code``."""

    code = "ST912"
    kind_title = "Valid request rejected in the envelope"


class IgnoredAuth(Failure):
    """A request without the key, or with a wrong one, answered with something else than 401."""

    code = "ST914"
    kind_title = "Request without a valid key not refused"


@attrs.frozen
class RunSettings:
    """What one run may send: valid writes (``allow_create``), and the URL every generated URL
    the provider would fetch or call back is replaced with (``safe_url``)."""

    allow_create: bool = False
    safe_url: str | None = None

    @classmethod
    def from_environment(cls) -> RunSettings:
        """A plain ``st run``'s: CONTRACT_ALLOW_CREATE=1 and CONTRACT_SAFE_URL."""
        env = os.environ
        return cls(env.get("CONTRACT_ALLOW_CREATE", "") == "1", env.get("CONTRACT_SAFE_URL"))


@attrs.define
class _RunState:
    settings: RunSettings
    # Operations whose key enforcement is confirmed: each is probed once per run.
    auth_confirmed: set[str] = attrs.field(factory=set)
    lock: threading.Lock = attrs.field(factory=threading.Lock)


# The runs in progress in this process, by the identity of their loaded spec (shared by every
# clone schemathesis makes of the schema); the spec object is kept alive with its entry, so
# its identity is never reused meanwhile.
_runs: dict[int, tuple[object, _RunState]] = {}
# Set by `everywhere`: every other schema's cases follow the environment's settings.
_environment_state: _RunState | None = None


def everywhere() -> None:
    """Act on every schema, with the environment's settings where no run gave its own; take the
    four replaced built-ins out of schemathesis's registry, so that the default checks and
    ``--checks all`` run the envelope-aware ones instead (a plain ``st run``)."""
    global _environment_state
    if _environment_state is None:
        _environment_state = _RunState(RunSettings.from_environment())
    for name in REPLACED_CHECKS:
        if name in CHECKS.get_all_names():
            CHECKS.unregister(name)


@contextlib.contextmanager
def run_settings(schema: Any, settings: RunSettings) -> Iterator[None]:
    """While in the block, cases of ``schema`` follow ``settings`` instead of the environment."""
    raw = schema.raw_schema
    _runs[id(raw)] = (raw, _RunState(settings))
    try:
        yield
    finally:
        del _runs[id(raw)]


def _state(case: AnyCase) -> _RunState | None:
    """The settings ``case`` follows; None for a schema none of this is for."""
    found = _runs.get(id(case.operation.schema.raw_schema))
    if found is not None:
        return found[1]
    state = _environment_state
    if state is not None:
        state.settings = RunSettings.from_environment()
    return state


def _paths(provider: str) -> frozenset[str]:
    return frozenset(load_spec(provider).get("paths", {}))


def provider_of(case: AnyCase) -> str | None:
    """The provider whose spec ``case``'s schema is (its paths are that spec's), or None."""
    paths = frozenset(case.operation.schema.raw_schema.get("paths", {}))
    return next((name for name in PROVIDERS if _paths(name) == paths), None)


def _facts_of(case: AnyCase) -> ContractFacts | None:
    provider = provider_of(case)
    return None if provider is None else facts(provider)


def _replaces(case: AnyCase, builtin: str) -> bool | None:
    """True: judge ``case`` with the envelope-aware check in place of the built-in ``builtin``;
    False: run the built-in itself (a plain ``st run`` took it out of the registry, and this
    schema does not replace it); None: neither (not a schema of ours, or the built-in runs)."""
    if _state(case) is None:
        return None
    found = _facts_of(case)
    if found is not None and builtin in found.replaced_checks:
        return True
    return False if builtin not in CHECKS.get_all_names() else None


def _status(response: Response, case: AnyCase) -> int | None:
    """The status the provider meant: the envelope's (:func:`effective_status`) where the
    provider has one, else the HTTP status."""
    found = _facts_of(case)
    if found is not None and not found.shape.envelope:
        return response.status_code
    return effective_status(response)


def envelope(response: Response) -> Mapping[str, Any] | None:
    """The JSON object the provider answered, or None when the body is not one."""
    try:
        body = response.json()
    except Exception:  # any undecodable body: response_schema_conformance reports it
        return None
    return body if isinstance(body, Mapping) else None


def effective_status(response: Response) -> int | None:
    """The status the provider meant: the HTTP one, or the body's ``code`` under HTTP 200.

    None when an HTTP 200 carries no integer ``code``; response_schema_conformance reports that.
    """
    if response.status_code != 200:
        return response.status_code
    body = envelope(response)
    code = body.get("code") if body is not None else None
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    return None


def _is_not_found(response: Response, case: AnyCase) -> bool:
    """Whether the answer is a correct one to a valid request for something that does not
    exist (a lookup's "not found"), or is not in a state to give it (the facts' ``not_now``)."""
    found = _facts_of(case)
    if found is None:
        return False
    operation_id = _operation_id(case)
    status = _status(response, case)
    body = envelope(response) or {}
    message = body.get("msg", body.get("message"))
    answers = [*(found.not_found if operation_id in found.lookups else ()), *found.not_now]
    return any(
        answer.status == status
        and answer.message in (None, message)
        and answer.operation in (None, operation_id)
        for answer in answers
    )


def _with_status(response: Response, status: int) -> Response:
    view = copy.copy(response)
    view.status_code = status
    return view


def _operation_id(case: AnyCase) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


@schemathesis.check
def envelope_negative_data_rejection(
    ctx: CheckContext, response: Response, case: AnyCase
) -> bool | None:
    """Invalid input must be rejected: an error ``code`` in the body, or an HTTP error status.

    It runs the built-in check on the envelope's status, so the built-in's knowledge of which
    generated "invalid" values turn valid once serialized stays in force.
    """
    replaces = _replaces(case, "negative_data_rejection")
    if replaces is False:
        return negative_data_rejection(ctx, response, case)
    status = _status(response, case)
    if (
        not replaces
        or status is None
        or _only_text_made_non_text_in_a_form(case)
        or _only_an_unknown_parameter(case)
    ):
        return None
    return negative_data_rejection(ctx, _with_status(response, status), case)


def _only_an_unknown_parameter(case: AnyCase) -> bool:
    """Whether the case's only invalidity is a header, query or cookie parameter the spec does
    not name: servers ignore those, and the built-in check means to let them pass, but it
    judges the named headers' values as the text they are on the wire, so beside a number
    header (fal's X-Fal-Request-Timeout) it reads the case as invalid in more ways."""
    data = None if case.meta is None else case.meta.phase.data
    return (
        isinstance(data, CoveragePhaseData)
        and data.scenario is CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES
        and data.parameter_location
        in (ParameterLocation.HEADER, ParameterLocation.QUERY, ParameterLocation.COOKIE)
    )


def _only_text_made_non_text_in_a_form(case: AnyCase) -> bool:
    """Whether the case's only invalidity is a string field generated as another type in a
    multipart form: a form field is text on the wire whatever it was generated as, so the
    request the server gets is valid (the built-in check knows this for JSON, not for forms)."""
    if not str(case.media_type or "").startswith("multipart/form-data") or case.meta is None:
        return False
    mutations = getattr(case.meta.phase.data, "mutations", None) or ()
    return bool(mutations) and all(
        tuple(mutation.keywords) == ("type",) and mutation.original_value == "string"
        for mutation in mutations
    )


@schemathesis.check
def envelope_positive_data_acceptance(
    ctx: CheckContext, response: Response, case: AnyCase
) -> bool | None:
    """Valid input must be accepted: body ``code`` 200 (a 2xx without an envelope), or "not
    found" for an unknown id, or an answer the state of what it names explains."""
    replaces = _replaces(case, "positive_data_acceptance")
    if replaces is False:
        return positive_data_acceptance(ctx, response, case)
    meta = case.meta
    if not replaces or meta is None or not meta.generation.mode.is_positive:
        return None
    if is_unexpected_http_status_case(case) or response.status_code in TRANSIENT_STATUSES:
        return None
    status = _status(response, case)
    if status is None or 200 <= status < 300 or _is_not_found(response, case):
        return None
    body = envelope(response) or {}
    message = body.get("msg", body.get("message"))
    found = _facts_of(case)
    lookup = found is not None and _operation_id(case) in found.lookups
    expected = "200 or not found" if lookup else "200"
    raise RejectedValidData(
        operation=case.operation.label,
        message=(
            f"Valid data should have been accepted: HTTP {response.status_code}, body code "
            f"{status} ({message!r}); expected code {expected}"
        ),
        severity=Severity.HIGH,
    )


@schemathesis.check
def envelope_missing_required_header(
    ctx: CheckContext, response: Response, case: AnyCase
) -> bool | None:
    """A request missing a required header (here: the key) must get an error ``code``."""
    replaces = _replaces(case, "missing_required_header")
    if replaces is False:
        return missing_required_header(ctx, response, case)
    status = _status(response, case)
    if not replaces or status is None:
        return None
    return missing_required_header(ctx, _with_status(response, status), case)


def _auth_header(case: AnyCase) -> tuple[str, str] | None:
    """(header name, security scheme type) of the operation's key, from the spec."""
    raw = case.operation.schema.raw_schema
    requirements = case.operation.definition.raw.get("security", raw.get("security", []))
    schemes = raw.get("components", {}).get("securitySchemes", {})
    for requirement in requirements:
        for name in requirement:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                return str(scheme["name"]), "apiKey"
            if scheme.get("type") == "http" and scheme.get("scheme") == "bearer":
                return "Authorization", "http"
    return None


@schemathesis.check
def envelope_ignored_auth(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """A request the provider accepted (or answered "not found") must be refused with code 401
    without the key or with a wrong one.

    Enforcement belongs to the operation, so each operation is probed once per run, on its
    first accepted request.
    """
    replaces = _replaces(case, "ignored_auth")
    if replaces is False:
        return ignored_auth(ctx, response, case)
    state = _state(case)
    found = _auth_header(case)
    # Only an answer past the key check says anything: a success, or "not found" for an id.
    if (
        not replaces
        or state is None
        or found is None
        or (_status(response, case) != 200 and not _is_not_found(response, case))
    ):
        return None
    label = case.operation.label
    with state.lock:
        if label in state.auth_confirmed:
            return None
    header, scheme_type = found
    for scenario, value in (("without a key", None), ("with a wrong key", WRONG_KEYS[scheme_type])):
        probe = response.request.copy()
        for name in [name for name in probe.headers if name.lower() == header.lower()]:
            del probe.headers[name]
        if value is not None:
            probe.headers[header] = value
        with requests.Session() as session:
            answer = session.send(probe, timeout=REQUEST_TIMEOUT, allow_redirects=False)
        code = _code_of(answer)
        if answer.status_code != 401 and code != 401:
            raise IgnoredAuth(
                operation=label,
                message=(
                    f"The API answers a request {scenario}: HTTP {answer.status_code}, body "
                    f"code {code}; expected code 401"
                ),
                severity=Severity.CRITICAL,
            )
    with state.lock:
        state.auth_confirmed.add(label)
    return None


def _code_of(answer: requests.Response) -> object:
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _surely_rejected(case: AnyCase) -> bool:
    """Whether a write request cannot create anything whatever the provider's validation.

    True when the body is not an object, misses a required top-level field, or (for a task)
    names no model its spec lists (where it has a model field) or gives no image and audio URL
    strings.
    """
    body = case.body
    if not isinstance(body, Mapping):
        return True
    raw = case.operation.schema.raw_schema
    schema = case.operation.definition.raw["requestBody"]["content"]
    media = resolve(raw, next(iter(schema.values()))["schema"])
    if any(field not in body for field in media.get("required", [])):
        return True
    found = _facts_of(case)
    if found is None or _operation_id(case) not in found.creations:
        return False
    model = media.get("properties", {}).get("model")
    models = None if model is None else (resolve(raw, model).get("enum") or [])
    inputs = _inputs(body, found.shape.inputs)
    return (
        (models is not None and body.get("model") not in models)
        or inputs is None
        or not isinstance(inputs.get("image_url"), str)
        or not isinstance(inputs.get("audio_url"), str)
    )


def _inputs(body: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The object at ``path`` in a creation's body (where image_url and audio_url are)."""
    node: Any = body
    for part in path:
        node = node.get(part) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else None


@schemathesis.hook
def filter_case(ctx: HookContext, case: AnyCase) -> bool:
    """Without CONTRACT_ALLOW_CREATE=1, writes are generated only as requests that must fail."""
    state = _state(case)
    if state is None or state.settings.allow_create or _operation_id(case) not in WRITE_OPERATIONS:
        return True
    return _surely_rejected(case)


@schemathesis.hook
def before_call(ctx: HookContext, case: AnyCase, kwargs: dict[str, Any]) -> None:
    """Last guard against spending credits: refuse to send a write that could succeed."""
    state = _state(case)
    if (
        state is not None
        and not state.settings.allow_create
        and _operation_id(case) in WRITE_OPERATIONS
        and not _surely_rejected(case)
    ):
        raise RuntimeError(
            f"refusing to send a {_operation_id(case)} request that could succeed; "
            "set CONTRACT_ALLOW_CREATE=1 to allow it"
        )


@schemathesis.hook("before_call")
def redirect_fetched_urls(ctx: HookContext, case: AnyCase, kwargs: dict[str, Any]) -> None:
    """Point every generated web URL the provider would fetch or call back at CONTRACT_SAFE_URL.

    Generated URLs name arbitrary hosts (``https://0.com``); the provider would fetch them or
    POST results to them. The suite sets CONTRACT_SAFE_URL to the mock itself, or to a
    reserved domain for a real provider. Values that are not web URLs (the invalid ones
    negative cases carry) are left as generated.

    Done as the request is sent, in every phase: a ``map_case`` hook, even one changing
    nothing, wraps generation so that for an operation with little to vary (a PUT whose only
    parameter is a path string: fal's cancel) schemathesis gives up on it with a
    ``filter_too_much`` health check.
    """
    state = _state(case)
    target = None if state is None else state.settings.safe_url
    if not target:
        return
    # The operation's own callbacks name the request field or query parameter of their URL.
    called_back = callback_fields(case.operation.definition.raw)
    body: object = case.body
    if isinstance(body, MutableMapping):
        found = _facts_of(case)
        _redirect(body, target, (*FETCHED_FIELDS, *called_back["body"]))
        inputs = _inputs(body, found.shape.inputs if found is not None else ("input",))
        if isinstance(inputs, MutableMapping):
            _redirect(inputs, target, FETCHED_FIELDS)
    if isinstance(case.query, MutableMapping) and called_back["query"]:
        _redirect(case.query, target, called_back["query"])


def _redirect(fields: MutableMapping[str, Any], target: str, names: tuple[str, ...]) -> None:
    for name in names:
        if _is_web_url(fields.get(name)):
            fields[name] = target


def _is_web_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _server_prefix(case: AnyCase) -> str:
    """The path an operation's own ``servers`` entry adds to the API's (Apikley's uploads:
    ``/file-upload``); "" for an operation on the API's server."""
    raw = case.operation.schema.raw_schema
    item = raw.get("paths", {}).get(case.operation.path, {})
    own = item.get("servers") or case.operation.definition.raw.get("servers")
    root = raw.get("servers") or [{"url": "/"}]
    if not own:
        return ""
    try:
        own_path = urlsplit(str(own[0].get("url", ""))).path.rstrip("/")
        root_path = urlsplit(str(root[0].get("url", ""))).path.rstrip("/")
    except (ValueError, AttributeError):
        return ""
    return own_path.removeprefix(root_path) if own_path.startswith(root_path) else ""


@schemathesis.hook("before_call")
def route_to_operation_server(ctx: HookContext, case: AnyCase, kwargs: dict[str, Any]) -> None:
    """Send an operation with a ``servers`` entry of its own under that server's path.

    Skipped when the base URL already ends with it (the suite's own upload runs pass it)."""
    if _state(case) is None:
        return
    prefix = _server_prefix(case)
    if not prefix or case.path.startswith(prefix + "/"):
        return
    base = str(case.operation.base_url or "")
    if urlsplit(base).path.rstrip("/").endswith(prefix):
        return
    object.__setattr__(case, "path", prefix + case.path)
