"""Loading the provider specs and validating instances against their schemas, for tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.exceptions import ValidationError
from kling_avatar._yaml import safe_load
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from scripts import generate

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
SOURCES = SPECS / "sources"
# The providers that have a spec.
PROVIDERS = generate.PROVIDERS
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

Spec = dict[str, Any]


def json_after(text: str, marker: str) -> Any:
    """The JSON value that starts at the first ``{`` at or after ``marker`` in ``text``."""
    start = text.index("{", text.index(marker))
    value, _ = json.JSONDecoder().raw_decode(text[start:])
    return value


@cache
def load_spec(name: str) -> Spec:
    """``name`` is a path under specs/ without ``.yaml``: ``crun``, ``upstream/apikley``."""
    spec: Spec = safe_load((SPECS / f"{name}.yaml").read_text())
    return spec


def resolve(spec: Spec, node: Any) -> Any:
    """Follow a local ``$ref`` (``#/a/b``) until the node is not a reference."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(spec: Spec) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """operationId -> (method, path, operation)."""
    found: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                found[item[method]["operationId"]] = (method, path, item[method])
    return found


def validation_errors(spec: Spec, schema: Any, instance: Any) -> list[str]:
    """Every reason ``instance`` fails ``schema`` (OpenAPI 3.0 dialect, refs into ``spec``)."""
    # The schema joins the spec as one more member, so its local `#/components/...` refs
    # resolve against the spec it came from.
    document = {**spec, "x-under-test": schema}
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(document, default_specification=DRAFT4)
    )
    validator = OAS30Validator(
        {"$ref": "urn:spec#/x-under-test"},
        registry=registry,
        format_checker=OAS30Validator.FORMAT_CHECKER,
    )
    errors: list[ValidationError] = list(validator.iter_errors(instance))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def response_schema(spec: Spec, operation_id: str, status: str = "200") -> Any:
    _, _, operation = operations(spec)[operation_id]
    response = resolve(spec, operation["responses"][status])
    return response["content"]["application/json"]["schema"]


def request_schema(spec: Spec, operation_id: str) -> Any:
    _, _, operation = operations(spec)[operation_id]
    content = resolve(spec, operation["requestBody"])["content"]
    return next(iter(content.values()))["schema"]
