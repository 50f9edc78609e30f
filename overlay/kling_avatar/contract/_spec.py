"""What the contract suite reads out of the specs: operations, documented answers, schemas.

The lifecycle checks, the coverage report and the traffic verifier all take their facts from
the specs through this module (states and their order, timestamp units, the callback schema,
the answers each operation documents), so a spec change moves them with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import attrs
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from .._registry import PROVIDERS
from .._yaml import safe_load

# The wheel ships the specs once, under kling_avatar/testing/specs (pyproject's force-include);
# an editable install reads the repository's specs/. They are read as files, so the contract
# suite needs the specs but not the mock's extra.
_CANDIDATES = (
    Path(__file__).resolve().parent.parent / "testing" / "specs",
    Path(__file__).resolve().parents[3] / "specs",
)
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

Spec = dict[str, Any]


def spec_path(provider: str) -> Path:
    """The installed spec of ``provider``: what ``kling-avatar contract spec``
    prints, for ``st run``."""
    if provider not in PROVIDERS:
        raise ValueError(f"no spec for {provider!r}: the providers are {', '.join(PROVIDERS)}")
    for folder in _CANDIDATES:
        if (folder / f"{provider}.yaml").is_file():
            return folder / f"{provider}.yaml"
    raise FileNotFoundError(
        f"the {provider} spec is neither shipped with kling_avatar nor in the repository's specs/"
    )


@cache
def load_spec(provider: str) -> Spec:
    spec: Spec = safe_load(spec_path(provider).read_text(encoding="utf-8"))
    return spec


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/a/b``) until the node is not a reference."""
    while isinstance(node, Mapping) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@attrs.frozen
class Operation:
    provider: str
    operation_id: str
    method: str  # upper case
    path: str  # the spec's path
    prefix: str  # the path of the operation's server (Apikley's uploads: /file-upload)
    definition: Mapping[str, Any] = attrs.field(repr=False, eq=False)
    # The origin (scheme://host) of the operation's own server where it is another host than
    # the API's (fal's storage); None on the API's host.
    origin: str | None = None

    @property
    def label(self) -> str:
        """schemathesis's name for it: ``METHOD /path``."""
        return f"{self.method} {self.path}"

    def base_of(self, method: str, path: str) -> str | None:
        """The base URL's path when a request to ``path`` is this operation, else None.

        A service may mount the API under a path of its own, so the spec's path (after the
        operation's server path) only has to end the URL's path.
        """
        match = self._match(method, path)
        return match.group("base") if match else None

    def path_params(self, method: str, path: str) -> dict[str, str]:
        """The path parameters of a request to ``path`` that is this operation ({} if none)."""
        match = self._match(method, path)
        if match is None:
            return {}
        names = re.findall(r"\{([^}]+)\}", self.path)
        return {name: unquote(match.group(f"p{i}")) for i, name in enumerate(names)}

    def _match(self, method: str, path: str) -> re.Match[str] | None:
        if method.upper() != self.method:
            return None
        parts = re.split(r"\{[^}]+\}", self.prefix + self.path)
        pattern = "".join(
            re.escape(part) + (f"(?P<p{i}>[^/]+)" if i < len(parts) - 1 else "")
            for i, part in enumerate(parts)
        )
        return re.fullmatch(f"(?P<base>.*?){pattern}", path)

    def url_path(self, **params: str) -> str:
        """The operation's path under the base URL, its path parameters filled in."""
        path = self.prefix + self.path
        for name, value in params.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        return path

    def takes_in_path(self, name: str) -> bool:
        return "{" + name + "}" in self.path


@cache
def operations(provider: str) -> tuple[Operation, ...]:
    spec = load_spec(provider)
    found = []
    root_url = urlsplit((spec.get("servers") or [{"url": "/"}])[0]["url"])
    root = root_url.path.rstrip("/")
    for path, item in spec["paths"].items():
        servers = item.get("servers") or spec.get("servers") or [{"url": "/"}]
        own = urlsplit(servers[0]["url"])
        prefix = own.path.rstrip("/")
        other_host = own.netloc and own.netloc != root_url.netloc
        for method in HTTP_METHODS:
            if method in item:
                found.append(
                    Operation(
                        provider=provider,
                        operation_id=item[method]["operationId"],
                        method=method.upper(),
                        path=path,
                        prefix=prefix if other_host else prefix.removeprefix(root),
                        definition=item[method],
                        origin=f"{own.scheme}://{own.netloc}" if other_host else None,
                    )
                )
    return tuple(found)


def api_origins(provider: str) -> frozenset[str]:
    """The origins (scheme://host) of the provider's API servers, from its spec."""
    servers = load_spec(provider).get("servers") or []
    return frozenset(
        f"{parts.scheme}://{parts.netloc}"
        for server in servers
        if (parts := urlsplit(str(server.get("url", "")))).netloc
    )


def operation(provider: str, operation_id: str) -> Operation:
    for op in operations(provider):
        if op.operation_id == operation_id:
            return op
    raise KeyError(f"{provider} has no operation {operation_id!r}")


def find_operation(method: str, path: str) -> tuple[Operation, str] | None:
    """The operation of any provider's spec a request is for, and the base URL's path; None
    for a URL no spec has. The shortest base path wins."""
    found = [
        (op, base)
        for provider in PROVIDERS
        for op in operations(provider)
        if (base := op.base_of(method, path)) is not None
    ]
    return min(found, key=lambda pair: len(pair[1])) if found else None


def _envelope_codes(spec: Spec, schema: Any) -> tuple[int, ...]:
    """The ``code`` enum of an envelope schema (through allOf/anyOf/$ref)."""
    schema = resolve(spec, schema)
    if not isinstance(schema, Mapping):
        return ()
    code = schema.get("properties", {}).get("code")
    if code is not None:
        return tuple(resolve(spec, code).get("enum", ()))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key, []):
            found = _envelope_codes(spec, part)
            if found:
                return found
    return ()


@attrs.frozen(order=True)
class Answer:
    """One documented answer: an HTTP status, and for HTTP 200 the envelope's ``code``."""

    status: int
    code: int | None = None

    def __str__(self) -> str:
        return f"HTTP {self.status}" + (f" code {self.code}" if self.code is not None else "")


@cache  # every answer a run gets is matched against them: once per operation, not per answer
def documented_answers(op: Operation) -> tuple[Answer, ...]:
    """Every answer the operation's responses document.

    Under HTTP 200 each envelope ``code`` is its own answer (a provider with an envelope answers
    errors as HTTP 200 with the error in the body); any other status is one answer whatever its
    body.
    """
    spec = load_spec(op.provider)
    answers: list[Answer] = []
    for status, response in op.definition.get("responses", {}).items():
        if not str(status).isdigit():
            continue
        if int(status) != 200:
            answers.append(Answer(int(status)))
            continue
        response = resolve(spec, response)
        media = response.get("content", {}).get("application/json", {})
        codes = _envelope_codes(spec, media.get("schema"))
        answers += [Answer(200, code) for code in codes] or [Answer(200)]
    return tuple(sorted(set(answers)))


def answer_of(status: int, body: object, op: Operation) -> Answer:
    """Which documented answer a response is (the code counts under HTTP 200 only, and only
    where the spec documents an envelope there)."""
    code = body.get("code") if isinstance(body, Mapping) else None
    documented = documented_answers(op)
    envelope = any(answer.code is not None for answer in documented)
    if status == 200 and envelope and isinstance(code, int) and not isinstance(code, bool):
        return Answer(200, code)
    if Answer(status) in documented or status != 200:
        return Answer(status)
    return Answer(200, None)


def schema_errors(provider: str, schema: Any, instance: object) -> list[str]:
    """Why ``instance`` does not match ``schema`` (a node of the provider's spec); [] if it does."""
    spec = load_spec(provider)
    # Local $refs resolve against the document root, so the spec's components ride along.
    root = {**resolve(spec, schema), "components": spec.get("components", {})}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    errors: Iterator[ValidationError] = validator.iter_errors(instance)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    ][:10]


@attrs.frozen
class CallbackSpec:
    """The callback a task creation documents (its ``callbacks`` entry)."""

    location: str  # where the creation request carries the callback URL: "body" or "query"
    field: str  # the request's field (or query parameter) holding it
    schema: Any = attrs.field(eq=False)  # the callback body's schema
    headers: tuple[str, ...] = ()  # the headers the callback must carry (required parameters)


# A callback's URL expression: a field of the request's body, or a query parameter.
_CALLBACK_URL = re.compile(r"\{\$request\.(?:body#/(?P<body>[^}]+)|query\.(?P<query>[^}]+))\}")


def callback_fields(definition: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The body fields ("body") and query parameters ("query") of a request that its
    operation's ``callbacks`` take their URL from (``definition``: the operation's object)."""
    found: dict[str, tuple[str, ...]] = {"body": (), "query": ()}
    for callback in definition.get("callbacks", {}).values():
        for expression in callback:
            match = _CALLBACK_URL.fullmatch(str(expression))
            if match is not None:
                location = "body" if match.group("body") else "query"
                found[location] += (match.group(location),)
    return found


def callback_spec(op: Operation) -> CallbackSpec | None:
    """The callback ``op`` documents, from its ``callbacks`` entry; None when it has none."""
    spec = load_spec(op.provider)
    for callback in op.definition.get("callbacks", {}).values():
        for expression, item in callback.items():
            match = _CALLBACK_URL.fullmatch(expression)
            post = item.get("post", {})
            body = post.get("requestBody", {})
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            if match is None or schema is None:
                continue
            parameters = [resolve(spec, p) for p in post.get("parameters", [])]
            headers = tuple(
                str(p["name"]) for p in parameters if p.get("in") == "header" and p.get("required")
            )
            location = "body" if match.group("body") else "query"
            return CallbackSpec(location, match.group(location), schema, headers)
    return None
