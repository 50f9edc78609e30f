"""The specs are valid OpenAPI, faithful to the seed pages, and say where every guess came from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from specs import (
    HTTP_METHODS,
    PROVIDERS,
    SOURCES,
    SPECS,
    Spec,
    json_after,
    load_spec,
    operations,
    request_schema,
    resolve,
    response_schema,
    validation_errors,
)

CRUN_SEED = (SOURCES / "crun-kling-avatar.txt").read_text()
APIKLEY_SEED = (SOURCES / "apikley-kling-ai-avatar-v1-pro.txt").read_text()
# fal's own documents (the text the spec is built on; see specs/upstream/fal/README.md).
FAL_UPSTREAM = "\n".join(
    path.read_text() for path in sorted((SPECS / "upstream" / "fal").glob("*.json"))
)
FACTS = (SOURCES / "provider-facts.md").read_text()


@pytest.mark.parametrize("name", PROVIDERS)
def test_spec_is_valid_openapi(name: str) -> None:
    validate(load_spec(name))


def test_published_apikley_is_valid_but_for_its_email_placeholder() -> None:
    published = load_spec("upstream/apikley")
    assert published["info"]["contact"]["email"] == "[email protected]"
    contact = {k: v for k, v in published["info"]["contact"].items() if k != "email"}
    validate({**published, "info": {**published["info"], "contact": contact}})


def test_upstream_apikley_is_the_seed_page_word_for_word() -> None:
    """The restoration only adds back indentation (and quotes the page's e-mail placeholder)."""
    published = APIKLEY_SEED[APIKLEY_SEED.index("openapi: 3.0.0") : APIKLEY_SEED.index("To find")]
    restored = (SPECS / "upstream" / "apikley.yaml").read_text()
    restored = re.sub(r"(?m)^\s*#.*$", "", restored).replace(
        "'[email protected]'", "[email protected]"
    )

    def squash(text: str) -> str:
        return re.sub(r"\s+", "", text)

    assert squash(restored) == squash(published)


# (what, source text, marker before the JSON, spec, operation, "request"/"response")
SEED_EXAMPLES = [
    ("crun CreateTask request", CRUN_SEED, "--data '", "crun", "createTask", "request"),
    ("crun CreateTask response", CRUN_SEED, '\'\n{\n  "code"', "crun", "createTask", "response"),
    (
        "crun TaskInfo, running",
        FACTS,
        "Example answer, verbatim",
        "crun",
        "getTaskInfo",
        "response",
    ),
    (
        "crun TaskInfo, success",
        FACTS,
        "Example from a client's test",
        "crun",
        "getTaskInfo",
        "response",
    ),
    ("crun balance", FACTS, "account/balance` ->", "crun", "getBalance", "response"),
    (
        "apikley recordInfo",
        FACTS,
        "recordInfo?taskId=<id>`. Example",
        "apikley",
        "getTaskDetails",
        "response",
    ),
    (
        "apikley recordInfo is null",
        FACTS,
        "**Errors on recordInfo**",
        "apikley",
        "getTaskDetails",
        "response",
    ),
    ("apikley credits", FACTS, "chat/credit` ->", "apikley", "getCredits", "response"),
    (
        "apikley upload answer",
        FACTS,
        "checked live by one client):",
        "apikley",
        "uploadFileStream",
        "response",
    ),
]


@pytest.mark.parametrize(
    ("source", "marker", "provider", "operation_id", "direction"),
    [pytest.param(*case[1:], id=case[0]) for case in SEED_EXAMPLES],
)
def test_source_example_validates(
    source: str, marker: str, provider: str, operation_id: str, direction: str
) -> None:
    spec = load_spec(provider)
    example = json_after(source, marker)
    if direction == "request":
        schema = request_schema(spec, operation_id)
    else:
        schema = response_schema(spec, operation_id)
    assert validation_errors(spec, schema, example) == []


def test_apikley_published_examples_validate() -> None:
    """The examples inside Apikley's own document fit our (tightened) schemas."""
    upstream = load_spec("upstream/apikley")
    spec = load_spec("apikley")
    op = upstream["paths"]["/api/v1/jobs/createTask"]["post"]
    request = op["requestBody"]["content"]["application/json"]["schema"]["example"]
    response = op["responses"]["200"]["content"]["application/json"]["example"]
    assert validation_errors(spec, request_schema(spec, "kling-ai-avatar-v1-pro"), request) == []
    assert validation_errors(spec, response_schema(spec, "kling-ai-avatar-v1-pro"), response) == []


def test_kie_callback_failure_example_validates() -> None:
    spec = load_spec("apikley")
    example = json_after(FACTS, "failure example:")
    assert validation_errors(spec, {"$ref": "#/components/schemas/TaskCallback"}, example) == []


def test_crun_seed_request_is_the_spec_example() -> None:
    spec = load_spec("crun")
    _, _, op = operations(spec)["createTask"]
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    assert examples["seed"]["value"] == json_after(CRUN_SEED, "--data '")


def embedded_examples(spec: Spec) -> Iterator[tuple[str, Any, Any]]:
    """(where, schema, example) for every example a media type of the spec carries."""

    def media(where: str, content: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
        for mime, body in content.items():
            schema = body.get("schema", {})
            if "example" in body:
                yield f"{where} {mime}", schema, body["example"]
            for name, example in body.get("examples", {}).items():
                yield f"{where} {mime} {name}", schema, resolve(spec, example)["value"]

    def operation(where: str, op: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
        if "requestBody" in op:
            yield from media(f"{where} request", resolve(spec, op["requestBody"])["content"])
        for status, response in op["responses"].items():
            yield from media(f"{where} {status}", resolve(spec, response).get("content", {}))
        for name, callback in op.get("callbacks", {}).items():
            for expression, item in callback.items():
                for method in HTTP_METHODS:
                    if method in item:
                        yield from operation(f"{where} callback {name} {expression}", item[method])

    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield from operation(f"{method.upper()} {path}", item[method])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_embedded_example_validates(provider: str) -> None:
    spec = load_spec(provider)
    found = list(embedded_examples(spec))
    assert len(found) >= 5
    failures = {
        where: errs for where, schema, ex in found if (errs := validation_errors(spec, schema, ex))
    }
    assert failures == {}


def test_both_specs_document_all_ten_codes() -> None:
    codes = [200, 401, 402, 404, 422, 429, 455, 500, 501, 505]
    assert load_spec("crun")["components"]["schemas"]["ResponseCode"]["enum"] == codes
    assert (
        load_spec("apikley")["components"]["schemas"]["ApiResponse"]["properties"]["code"]["enum"]
        == codes
    )


@pytest.mark.parametrize(
    ("provider", "create", "query", "parameter", "pointer"),
    [
        ("crun", "createTask", "getTaskInfo", "task_id", "$response.body#/data/task_id"),
        (
            "apikley",
            "kling-ai-avatar-v1-pro",
            "getTaskDetails",
            "taskId",
            "$response.body#/data/taskId",
        ),
    ],
)
def test_creation_links_to_the_task_query(
    provider: str, create: str, query: str, parameter: str, pointer: str
) -> None:
    spec = load_spec(provider)
    ops = operations(spec)
    links = ops[create][2]["responses"]["200"]["links"]
    assert [(link["operationId"], link["parameters"]) for link in links.values()] == [
        (query, {parameter: pointer})
    ]
    assert ops[create][2]["callbacks"], "the completion POST is described as a callback"


# --- provenance -------------------------------------------------------------------------------

PROVENANCE = {"doc", "provider-code", "code", "guess"}
# The marks that name the provider's own word (its docs, its own repository) must say where.
SOURCED = {"doc", "provider-code"}


def provenance_gaps(node: Any, stated: set[str], where: str, covered: bool) -> Iterator[str]:
    """Places in ``node`` that add what the seed does not state and say nowhere where from."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from provenance_gaps(item, stated, f"{where}[{i}]", covered)
        return
    if not isinstance(node, dict):
        return
    mark = node.get("x-provenance")
    if mark is not None:
        if mark not in PROVENANCE:
            yield f"{where}: x-provenance {mark!r} is not one of {sorted(PROVENANCE)}"
        covered = True
    for name, prop in (node.get("properties") or {}).items():
        if not covered and name not in stated and "x-provenance" not in prop:
            yield f"{where}.properties.{name}: not in the seed and no x-provenance"
    for key, value in node.items():
        if key != "x-provenance":
            yield from provenance_gaps(value, stated, f"{where}.{key}", covered)


def seed_operation_ids(provider: str) -> set[str]:
    if provider == "fal":
        # fal's documents name no operation: theirs are the operations on their paths.
        upstream = FAL_UPSTREAM
        return {
            oid
            for oid, (_, path, _) in operations(load_spec("fal")).items()
            if f'"{path}"' in upstream
        }
    return {"createTask"} if provider == "crun" else {"kling-ai-avatar-v1-pro"}


SEEDS = {"crun": CRUN_SEED, "apikley": APIKLEY_SEED, "fal": FAL_UPSTREAM}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_non_seed_operation_and_field_says_where_it_comes_from(provider: str) -> None:
    spec = load_spec(provider)
    for operation_id, (_, path, op) in operations(spec).items():
        if operation_id not in seed_operation_ids(provider):
            assert op.get("x-provenance") in PROVENANCE, f"{operation_id} ({path})"
            if op["x-provenance"] in SOURCED:
                assert op.get("x-source"), f"{operation_id}: {op['x-provenance']} names its source"
    stated = set(re.findall(r"[A-Za-z_]+", SEEDS[provider]))
    gaps = list(provenance_gaps(spec, stated, provider, covered=False))
    assert gaps == []


def test_apikley_deviations_are_listed_in_one_place() -> None:
    """Each published constraint we changed is listed, with a reason, in info.x-deviations."""
    deviations = load_spec("apikley")["info"]["x-deviations"]
    assert all({"at", "change", "why"} <= set(d) for d in deviations)
    listed = " ".join(d["at"] + " " + d["change"] for d in deviations)
    upstream = load_spec("upstream/apikley")
    spec = load_spec("apikley")
    up_body = request_schema(upstream, "kling-ai-avatar-v1-pro")
    body = request_schema(spec, "kling-ai-avatar-v1-pro")
    changed = []
    if up_body["properties"]["model"]["enum"] != body["properties"]["model"]["enum"]:
        changed.append("model.enum")
    if up_body["required"] != body["required"]:
        changed.append("required")
    for field in ("image_url", "audio_url"):
        if (
            up_body["properties"]["input"]["properties"][field]
            != body["properties"]["input"]["properties"][field]
        ):
            changed.append(field)
    if "content" in resolve(spec, spec["components"]["responses"]["Error"]):
        changed.append("components.responses.Error")
    assert changed, "the restored spec differs from the published one in known places"
    for place in changed:
        assert place in listed, f"{place} changed but not listed in info.x-deviations"


def test_our_apikley_keeps_the_published_text() -> None:
    """Descriptions, operationIds and examples of the published document survive unchanged."""
    upstream = load_spec("upstream/apikley")
    spec = load_spec("apikley")
    assert spec["info"]["title"] == upstream["info"]["title"]
    assert spec["servers"] == upstream["servers"]
    assert spec["security"] == upstream["security"]
    up_op = upstream["paths"]["/api/v1/jobs/createTask"]["post"]
    op = spec["paths"]["/api/v1/jobs/createTask"]["post"]
    assert (op["operationId"], op["summary"]) == (up_op["operationId"], up_op["summary"])
    up_props = request_schema(upstream, up_op["operationId"])["properties"]
    props = request_schema(spec, op["operationId"])["properties"]
    for name in ("model", "callBackUrl"):
        assert props[name]["description"] == up_props[name]["description"]
    for name in ("image_url", "audio_url", "prompt"):
        assert (
            props["input"]["properties"][name]["description"]
            == up_props["input"]["properties"][name]["description"]
        )
    assert yaml.safe_dump(spec["components"]["securitySchemes"]) == yaml.safe_dump(
        upstream["components"]["securitySchemes"]
    )


def marked(
    node: Any, where: str = "", sourced: bool = False
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """(JSON pointer, node, whether it or an enclosing node has an ``x-source``) for every
    object in ``node`` that carries an ``x-provenance``."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from marked(item, f"{where}/{i}", sourced)
    elif isinstance(node, dict):
        sourced = sourced or "x-source" in node
        if "x-provenance" in node:
            yield where or "/", node, sourced
        for key, value in node.items():
            yield from marked(value, f"{where}/{key}", sourced)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_code_always_names_the_repository(provider: str) -> None:
    unsourced = [
        where
        for where, node, sourced in marked(load_spec(provider))
        if node["x-provenance"] == "provider-code" and not sourced
    ]
    assert unsourced == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provenance_mark_is_in_the_legend(provider: str) -> None:
    spec = load_spec(provider)
    used = {node["x-provenance"] for _, node, _ in marked(spec)}
    assert used <= set(spec["info"]["x-provenance-legend"])
