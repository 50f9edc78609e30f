"""The common case without connexion's per-request machinery: the same spec checks, compiled once.

For each request connexion (see _validation) builds a parameter validator that deep-copies every
parameter's schema into a new Draft4Validator, a body validator, a Starlette request and its
routing; that was most of the mock's CPU. Here each operation's parameter and body schemas,
taken from connexion's own operation objects (so the same resolved schemas), are compiled once
with jsonschema-rs, with jsonschema's own format checkers (the ones connexion checks formats
with) and OpenAPI's ``nullable`` written as the JSON Schema it means. A request found valid here
goes straight to its handler. Anything else (an invalid request, a form, a repeated or missing
parameter, a parameter connexion would convert, a Content-Type that is not plainly JSON) goes
through connexion, which stays the authority and words the error messages; so a request is
never accepted here that connexion would refuse, short of a jsonschema-rs bug.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import attrs
import jsonschema_rs
from jsonschema import Draft4Validator

with warnings.catch_warnings():
    # connexion imports starlette's test client, which warns about httpx on import.
    warnings.simplefilter("ignore")
    from connexion.operations import OpenAPIOperation
    from connexion.resolver import Resolver
    from connexion.spec import Specification

from ._asgi import Scope

# Marks a request without a JSON body (a GET, a form, a body that did not parse).
NO_BODY: Any = object()

_JSON_TYPES = frozenset({"application/json"})


def _format_checker(name: str) -> Callable[[str], bool]:
    checker = Draft4Validator.FORMAT_CHECKER

    def conforms(value: str) -> bool:
        return bool(checker.conforms(value, name))

    return conforms


# jsonschema's checkers for every format it knows (with the libraries installed), so a format
# means here exactly what it means to connexion; formats it does not know are not checked.
_FORMATS = {name: _format_checker(name) for name in Draft4Validator.FORMAT_CHECKER.checkers}


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema: null is one more allowed type and value.

    connexion's request validator lets None pass a nullable schema's ``type`` and ``enum``
    and nothing else, which is what this says.
    """
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _as_json_schema(value) for key, value in node.items()}
    if out.get("nullable") is True or out.get("x-nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _compile(schema: Any) -> Any:
    return jsonschema_rs.Draft4Validator(
        _as_json_schema(copy.deepcopy(schema)), formats=_FORMATS, validate_formats=True
    )


@attrs.frozen
class FastOperation:
    """One operation's checks, compiled."""

    query: tuple[tuple[str, bool, Any], ...]  # (name, required, validator)
    body: Any | None  # the JSON body's validator; None when the operation takes no body

    def accept(self, scope: Scope, body: Any) -> dict[str, Any] | None:
        """The handler's keyword arguments when the request is valid, else None."""
        try:
            raw = parse_qs(scope["query_string"].decode("latin-1"))
            kwargs: dict[str, Any] = {}
            for name, values in raw.items():
                if len(values) > 1:
                    return None  # which one counts is connexion's call
                kwargs[name] = values[0]
            for name, required, validator in self.query:
                value = kwargs.get(name)
                if value is None:
                    if required:
                        return None
                elif not validator.is_valid(value):
                    return None
            if self.body is not None:
                if body is NO_BODY or not _plain_json(scope) or not self.body.is_valid(body):
                    return None
                kwargs["body"] = body
            return kwargs
        except Exception:  # whatever it is, connexion will say
            return None


def _plain_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            mime, _, params = value.decode("latin-1").partition(";")
            charset = params.strip().lower()
            return mime.strip().lower() in _JSON_TYPES and charset in ("", "charset=utf-8")
    return False


def _fast_operation(operation: OpenAPIOperation) -> FastOperation | None:
    query: list[tuple[str, bool, Any]] = []
    for parameter in operation.parameters:
        schema = parameter.get("schema", {})
        # Only plain strings: connexion converts other types (and arrays) before checking.
        if parameter.get("in") != "query" or schema.get("type") != "string":
            return None
        if parameter.get("nullable") or schema.get("nullable"):
            return None
        query.append((parameter["name"], bool(parameter.get("required")), _compile(schema)))
    consumes = [mime.lower() for mime in operation.consumes]
    body = None
    if operation.request_body:
        if not consumes or not set(consumes) <= _JSON_TYPES:
            return None
        body = _compile(operation.body_schema(consumes[0]))
    return FastOperation(query=tuple(query), body=body)


def fast_operations(specs: Iterable[Specification]) -> dict[str, FastOperation]:
    """operationId -> its compiled checks, for the operations of `specs` this path can serve.

    `specs` are connexion's own (read, checked against OpenAPI's schema and resolved once).
    """
    found: dict[str, FastOperation] = {}
    resolver = Resolver(function_resolver=lambda _operation_id: None)
    for spec in specs:
        for path, item in spec["paths"].items():
            for method, definition in item.items():
                if not isinstance(definition, dict) or "operationId" not in definition:
                    continue
                operation = OpenAPIOperation.from_spec(
                    spec, path=path, method=method, resolver=resolver
                )
                fast = _fast_operation(operation)
                if fast is not None:
                    found[definition["operationId"]] = fast
    return found
