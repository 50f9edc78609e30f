"""crun's Models endpoints (CrunTeam's CLI calls them): listed, filtered, described."""

from __future__ import annotations

import httpx
import pytest
from kling_avatar.testing import MockServer

from specs import load_spec, response_schema, validation_errors

from .helpers import crun_headers

MODELS = "/api/v1/client/job/Models"


def conforms(operation_id: str, answer: object) -> list[str]:
    spec = load_spec("crun")
    return validation_errors(spec, response_schema(spec, operation_id), answer)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ({}, ["kling/avatar"]),
        ({"modality": "video", "operation": "image-to-video"}, ["kling/avatar"]),
        ({"modality": "image"}, []),
        ({"operation": "text-to-video"}, []),
    ],
)
def test_models_are_listed_and_filtered(
    mock: MockServer, http: httpx.Client, query: dict[str, str], names: list[str]
) -> None:
    answer = http.get(MODELS, params=query, headers=crun_headers(mock)).json()
    assert conforms("listModels", answer) == []
    assert [m["model"] for m in answer["data"]["models"]] == names
    assert answer["data"]["total"] == len(names)


@pytest.mark.parametrize("path", ["kling/avatar", "kling%2Favatar"])
def test_a_model_is_described_with_the_input_the_mock_validates(
    mock: MockServer, http: httpx.Client, path: str
) -> None:
    answer = http.get(f"{MODELS}/{path}", headers=crun_headers(mock)).json()
    assert conforms("describeModel", answer) == []
    data = answer["data"]
    assert data["model"] == "kling/avatar"
    assert data["required_input_fields"] == ["image_url", "audio_url"]
    spec_input = load_spec("crun")["components"]["schemas"]["KlingAvatarInput"]
    assert set(data["input_schema"]["properties"]) == set(spec_input["properties"])
    assert data["input_schema"]["properties"]["prompt"]["maxLength"] == 2500
    assert mock.errors == []


def test_an_unknown_model_is_not_found_in_the_body(mock: MockServer, http: httpx.Client) -> None:
    answer = http.get(f"{MODELS}/kling/no-such-model", headers=crun_headers(mock))
    assert answer.status_code == 200
    assert answer.json()["code"] == 404
    assert conforms("describeModel", answer.json()) == []


def test_models_need_the_key(http: httpx.Client) -> None:
    assert http.get(f"{MODELS}/kling/avatar").json()["code"] == 401
