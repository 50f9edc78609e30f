"""fal's spec: the form of fal's documents, every endpoint's operations, the facts' own answers
accepted, and every ambiguity of the sources said with the reading taken."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kling_avatar._yaml import safe_load

from specs import (
    SOURCES,
    SPECS,
    json_after,
    load_spec,
    operations,
    resolve,
    response_schema,
    validation_errors,
)

FACTS = (SOURCES / "provider-facts-fal.md").read_text()
UPSTREAM = SPECS / "upstream" / "fal"
ENDPOINTS = [entry["endpoint"] for entry in safe_load((UPSTREAM / "sources.yaml").read_text())]
EXAMPLE = json.loads((SOURCES / "fal-queue-openapi-example.json").read_text())
EXAMPLE_ID = EXAMPLE["info"]["x-fal-metadata"]["endpointId"]
STATUSES = [
    oid
    for oid, (method, path, _) in operations(load_spec("fal")).items()
    if path.endswith("/status")
]


def upstream(endpoint: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (UPSTREAM / (endpoint.replace("/", "--") + ".json")).read_text()
    )
    return document


def model_name(document: dict[str, Any]) -> str:
    """The prefix of a document's own schemas (``HappyHorseImageToVideo`` in the example)."""
    schemas: dict[str, Any] = document["components"]["schemas"]
    (name,) = {key.removesuffix("Input") for key in schemas if key.endswith("Input")}
    return name


def generic(document: dict[str, Any]) -> Any:
    """The document's paths with its endpoint id and model name blanked: its form."""
    text = json.dumps(document["paths"])
    endpoint = document["info"]["x-fal-metadata"]["endpointId"]
    return json.loads(text.replace(endpoint, "<endpoint>").replace(model_name(document), "<Model>"))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_kept_document_has_the_form_of_fals_published_one(endpoint: str) -> None:
    document = upstream(endpoint)
    assert list(document) == list(EXAMPLE)
    assert document["openapi"] == EXAMPLE["openapi"]
    assert document["info"]["title"] == f"Queue OpenAPI for {endpoint}"
    assert document["info"]["x-fal-metadata"]["endpointId"] == endpoint
    for key in ("servers", "security"):
        assert document[key] == EXAMPLE[key]
    for section in ("securitySchemes",):
        assert document["components"][section] == EXAMPLE["components"][section]
    assert (
        document["components"]["schemas"]["QueueStatus"]
        == EXAMPLE["components"]["schemas"]["QueueStatus"]
    )
    assert generic(document) == generic(EXAMPLE)


def test_every_endpoint_of_the_sources_list_has_its_four_operations() -> None:
    spec = load_spec("fal")
    versions = []
    for endpoint in ENDPOINTS:
        base = f"/{endpoint}"
        submit = spec["paths"][base]["post"]
        versions.append((submit["x-kling-avatar"]["version"], submit["x-kling-avatar"]["mode"]))
        assert submit["x-price"]["usd-per-second"] > 0
        assert submit["x-price"]["x-provenance"] in {"doc", "code"}
        for path, method in (
            (base, "post"),
            (f"{base}/requests/{{request_id}}/status", "get"),
            (f"{base}/requests/{{request_id}}", "get"),
            (f"{base}/requests/{{request_id}}/cancel", "put"),
        ):
            operation = spec["paths"][path][method]
            assert operation["operationId"] and operation["summary"], (path, method)
            assert operation["tags"] == ["queue"]
    assert sorted(versions) == [("v1", "pro"), ("v1", "std"), ("v2", "pro"), ("v2", "std")]


def test_every_submit_links_to_the_owner_app_paths_the_client_follows() -> None:
    spec = load_spec("fal")
    ops = operations(spec)
    for endpoint in ENDPOINTS:
        links = spec["paths"][f"/{endpoint}"]["post"]["responses"]["200"]["links"]
        targets = {link["operationId"]: link["parameters"] for link in links.values()}
        assert targets == {
            name: {"request_id": "$response.body#/request_id"}
            for name in ("getRequestStatus", "getRequestResult", "cancelRequest")
        }
    assert ops["getRequestStatus"][1] == "/fal-ai/kling-video/requests/{request_id}/status"
    assert ops["getRequestResult"][1] == "/fal-ai/kling-video/requests/{request_id}"
    assert ops["cancelRequest"][1] == "/fal-ai/kling-video/requests/{request_id}/cancel"


# (what, marker in the facts file, operation, status)
FACT_ANSWERS = [
    (
        "a failed COMPLETED",
        "on failure `error` (string) and `error_type` (string), e.g.",
        "status",
        "200",
    ),
    ("401", "- 401: ", "getRequestStatus", "401"),
    ("403 locked", "- 403: ", "submitAvatarV2Standard", "403"),
    ("infrastructure error", "Infrastructure errors: ", "getRequestResult", "503"),
    ("cancel requested", "Answers: 202 ", "cancelRequest", "202"),
    ("cancel too late", '400 `{"status":"ALREADY', "cancelRequest", "400"),
]


def answer_cases() -> Iterator[Any]:
    for what, marker, operation_id, status in FACT_ANSWERS:
        for oid in STATUSES if operation_id == "status" else [operation_id]:
            yield pytest.param(marker, oid, status, id=f"{what} ({oid})")


@pytest.mark.parametrize(("marker", "operation_id", "status"), list(answer_cases()))
def test_the_facts_answers_fit_the_spec(marker: str, operation_id: str, status: str) -> None:
    spec = load_spec("fal")
    answer = json_after(FACTS, marker)
    assert validation_errors(spec, response_schema(spec, operation_id, status), answer) == []


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "IN_QUEUE", "request_id": "r1", "queue_position": 0},
        {"status": "IN_PROGRESS", "request_id": "r1", "logs": [{"message": "m", "labels": {}}]},
        {"status": "IN_PROGRESS", "request_id": "r1", "logs": None},
        {"status": "IN_PROGRESS", "request_id": "r1", "logs": {}},
    ],
)
def test_status_answers_in_every_form_the_sources_show_are_read(answer: dict[str, Any]) -> None:
    spec = load_spec("fal")
    assert validation_errors(spec, response_schema(spec, "getRequestStatus", "202"), answer) == []


def test_a_state_fal_does_not_have_is_refused() -> None:
    spec = load_spec("fal")
    answer = {"status": "FAILED", "request_id": "r1"}
    assert validation_errors(spec, response_schema(spec, "getRequestStatus", "200"), answer)


def test_a_submit_answer_needs_only_its_request_id() -> None:
    spec = load_spec("fal")
    schema = response_schema(spec, "submitAvatarV1Pro")
    webhook_page = {"request_id": "r1", "gateway_request_id": "g1"}
    assert validation_errors(spec, schema, webhook_page) == []
    assert validation_errors(spec, schema, {"status": "IN_QUEUE"})


@pytest.mark.parametrize(
    "body",
    [
        {"success": True},
        {"status": "OK"},
        {"status": "CANCELLATION_REQUESTED"},
    ],
)
def test_every_documented_cancel_acceptance_is_read(body: dict[str, Any]) -> None:
    spec = load_spec("fal")
    for operation_id in ("cancelRequest", "cancelAvatarV2Standard"):
        assert validation_errors(spec, response_schema(spec, operation_id), body) == []


def test_the_webhook_is_a_signed_callback_of_every_submit() -> None:
    spec = load_spec("fal")
    for endpoint in ENDPOINTS:
        callbacks = spec["paths"][f"/{endpoint}"]["post"]["callbacks"]
        post = callbacks["webhook"]["{$request.query.fal_webhook}"]["post"]
        headers = {
            resolve(spec, p)["name"]: resolve(spec, p)["required"] for p in post["parameters"]
        }
        assert headers == {
            "X-Fal-Webhook-Request-Id": True,
            "X-Fal-Webhook-User-Id": True,
            "X-Fal-Webhook-Timestamp": True,
            "X-Fal-Webhook-Signature": True,
        }
        assert post["x-fal-webhook-signature"]["algorithm"] == "ED25519"
        assert post["x-fal-webhook-signature"]["timestamp-tolerance-seconds"] == 300


def ambiguities(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON pointer, note) for every ``x-ambiguity`` note (one, or a list of them)."""
    if isinstance(node, dict):
        notes = node.get("x-ambiguity", [])
        for note in notes if isinstance(notes, list) else [notes]:
            yield where or "/", note
        for key, value in node.items():
            yield from ambiguities(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from ambiguities(item, f"{where}/{index}")


def test_every_ambiguity_says_the_question_what_each_source_says_and_the_reading() -> None:
    found = list(ambiguities(load_spec("fal")))
    questions = {note["question"] for _, note in found}
    assert len(questions) >= 10, sorted(questions)
    for where, note in found:
        assert set(note) == {"question", "sources", "reading"}, where
        assert note["question"].endswith("?"), where
        assert len(note["sources"]) >= 1 and note["reading"], where
    # The two the issue names: cancel's answers, and the long vs short request paths.
    assert "What does a cancel answer?" in questions
    assert "Where do a request's status, result and cancel live?" in questions
