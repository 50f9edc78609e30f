"""Which Apikley model name the client sends per mode is a setting, checked against the spec."""

from __future__ import annotations

import json

import httpx
import pytest
from kling_avatar import InvalidRequestError

from specs import load_spec, request_schema

from .fake import answer, envelope, fake_client

URLS = {"image_url": "https://example.com/a.png", "audio_url": "https://example.com/a.mp3"}


def sent_models(**options: object) -> dict[str, str]:
    """The `model` the client sends for each mode."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content)["model"])
        return answer(envelope({"taskId": "t"}))

    with fake_client("apikley", handler, **options) as client:
        for mode in ("pro", "std"):
            client.create_task(**URLS, mode=mode)
    return dict(zip(("pro", "std"), seen, strict=True))


def spec_names() -> list[str]:
    spec = load_spec("apikley")
    model = request_schema(spec, "kling-ai-avatar-v1-pro")["properties"]["model"]
    assert {entry["name"] for entry in model["x-model-names"]} == set(model["enum"])
    return [entry["name"] for entry in model["x-model-names"] if entry.get("client-default")]


def test_defaults_are_the_names_the_spec_marks() -> None:
    sent = sent_models()
    assert sent == {"pro": "kling/ai-avatar-v1-pro", "std": "kling/ai-avatar-standard"}
    assert sorted(sent.values()) == sorted(spec_names())


def test_a_setting_picks_another_recorded_name() -> None:
    sent = sent_models(models={"std": "kling/v1-avatar-standard"})
    assert sent == {"pro": "kling/ai-avatar-v1-pro", "std": "kling/v1-avatar-standard"}


@pytest.mark.parametrize("models", [{"std": "kling/avatar-turbo"}, {"hd": "kling/ai-avatar-pro"}])
def test_unknown_modes_and_names_are_refused_up_front(models: dict[str, str]) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        fake_client("apikley", lambda r: answer(envelope(None)), models=models)
    assert caught.value.field == "models"


def test_crun_has_no_model_names_to_set() -> None:
    with pytest.raises(InvalidRequestError, match="mode"):
        fake_client("crun", lambda r: answer(envelope(None)), models={"std": "kling/avatar"})
