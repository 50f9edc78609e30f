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
from urllib.parse import urlsplit

import attrs
import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from .._registry import PROVIDERS

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
    """The installed spec of ``provider`` (crun or apikley): what ``kling-avatar contract spec``
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
    spec: Spec = yaml.safe_load(spec_path(provider).read_text(encoding="utf-8"))
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

    @property
    def label(self) -> str:
        """schemathesis's name for it: ``METHOD /path``."""
        return f"{self.method} {self.path}"

    def base_of(self, method: str, path: str) -> str | None:
        """The base URL's path when a request to ``path`` is this operation, else None.

        A service may mount the API under a path of its own, so the spec's path (after the
        operation's server path) only has to end the URL's path.
        """
        if method.upper() != self.method:
            return None
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(self.prefix + self.path))
        match = re.fullmatch(f"(?P<base>.*?){pattern}", path)
        return match.group("base") if match else None


@cache
def operations(provider: str) -> tuple[Operation, ...]:
    spec = load_spec(provider)
    found = []
    for path, item in spec["paths"].items():
        servers = item.get("servers") or spec.get("servers") or [{"url": "/"}]
        prefix = urlsplit(servers[0]["url"]).path.rstrip("/")
        root = urlsplit((spec.get("servers") or [{"url": "/"}])[0]["url"]).path.rstrip("/")
        for method in HTTP_METHODS:
            if method in item:
                found.append(
                    Operation(
                        provider=provider,
                        operation_id=item[method]["operationId"],
                        method=method.upper(),
                        path=path,
                        prefix=prefix.removeprefix(root),
                        definition=item[method],
                    )
                )
    return tuple(found)


def operation(provider: str, operation_id: str) -> Operation:
    for op in operations(provider):
        if op.operation_id == operation_id:
            return op
    raise KeyError(f"{provider} has no operation {operation_id!r}")


def find_operation(method: str, path: str) -> tuple[Operation, str] | None:
    """The operation of either spec a request is for, and the base URL's path; None for a
    URL neither spec has. The shortest base path wins."""
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


def documented_answers(op: Operation) -> tuple[Answer, ...]:
    """Every answer the operation's responses document.

    Under HTTP 200 each envelope ``code`` is its own answer (both providers answer errors as
    HTTP 200 with the error in the body); any other status is one answer whatever its body.
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
    """Which documented answer a response is (the code counts under HTTP 200 only)."""
    code = body.get("code") if isinstance(body, Mapping) else None
    documented = documented_answers(op)
    if status == 200 and isinstance(code, int) and not isinstance(code, bool):
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


def callback_schema(op: Operation) -> tuple[str, Any] | None:
    """(request field holding the callback URL, the callback body's schema), from ``callbacks``."""
    for callback in op.definition.get("callbacks", {}).values():
        for expression, item in callback.items():
            match = re.fullmatch(r"\{\$request\.body#/([^}]+)\}", expression)
            body = item.get("post", {}).get("requestBody", {})
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            if match and schema is not None:
                return match.group(1), schema
    return None
