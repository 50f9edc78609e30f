"""Input is checked before anything is sent, and rejected with the field's name."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kling_avatar import (
    MAX_UPLOAD_BYTES,
    AvatarClient,
    DownloadError,
    InvalidRequestError,
    ResponseTooLargeError,
    Task,
    TaskState,
)
from kling_avatar._uploads import sniff

from specs import load_spec, request_schema, resolve

from .fake import answer, envelope, fake_client
from .helpers import PORTRAIT, VOICE

URLS = {"image_url": "https://example.com/a.png", "audio_url": "https://example.com/a.mp3"}


@pytest.fixture(params=["crun", "apikley"])
def recorded(request: pytest.FixtureRequest) -> Iterator[tuple[AvatarClient, list[httpx.Request]]]:
    sent: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        sent.append(req)
        return answer(envelope({"task_id": "t", "taskId": "t"}))

    with fake_client(request.param, handler) as client:
        yield client, sent


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"image_url": "ftp://example.com/a.png"}, "image_url"),
        ({"image_url": "https://"}, "image_url"),
        ({"audio_url": "http://exa mple.com/a.mp3"}, "audio_url"),
        ({"audio_url": "/nowhere/voice.wav"}, "audio_url"),
        ({"image_url": ""}, "image_url"),
        ({"image_url": 42}, "image_url"),
        ({"prompt": "x" * 5001}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({"mode": "hd"}, "mode"),
        ({"callback_url": "not a url"}, "callback_url"),
        ({"audio_url": PORTRAIT}, "audio_url"),  # an image where audio belongs
        ({"image_url": VOICE}, "image_url"),
    ],
)
def test_bad_input_is_rejected_before_sending(
    recorded: tuple[AvatarClient, list[httpx.Request]], changes: dict[str, Any], field: str
) -> None:
    client, sent = recorded
    with pytest.raises(InvalidRequestError) as caught:
        client.create_task(**{**URLS, **changes})
    assert caught.value.field == field
    assert caught.value.message.startswith(f"{field}:")
    assert caught.value.provider == client.provider
    assert sent == []


# The prompt limit each spec gives (crun: the Kling model's 2500; Apikley: kie.ai's 5000).
PROMPT_LIMITS = {"crun": 2500, "apikley": 5000}


def test_limits_are_inclusive(recorded: tuple[AvatarClient, list[httpx.Request]]) -> None:
    client, sent = recorded
    limit = PROMPT_LIMITS[client.provider]
    client.create_task(**URLS, prompt="x" * limit, mode="std")
    assert len(sent) == 1
    with pytest.raises(InvalidRequestError, match=f"at most {limit} allowed"):
        client.create_task(**URLS, prompt="x" * (limit + 1), mode="std")
    assert len(sent) == 1


@pytest.mark.parametrize("provider", sorted(PROMPT_LIMITS))
def test_prompt_limit_is_the_specs(provider: str) -> None:
    """The client refuses exactly what the spec (and so the mock) would refuse."""
    spec = load_spec(provider)
    create = {"crun": "createTask", "apikley": "kling-ai-avatar-v1-pro"}[provider]
    request = resolve(spec, request_schema(spec, create))
    prompt = resolve(spec, request["properties"]["input"])["properties"]["prompt"]
    assert prompt["maxLength"] == PROMPT_LIMITS[provider]


def test_empty_task_id_is_rejected(recorded: tuple[AvatarClient, list[httpx.Request]]) -> None:
    client, sent = recorded
    for bad in ("", "  "):
        with pytest.raises(InvalidRequestError, match="task_id"):
            client.get_task(bad)
        with pytest.raises(InvalidRequestError, match="task_id"):
            client.wait_for_task(bad)
    assert sent == []


def test_uploads_over_10_mb_or_of_other_types_are_refused(
    recorded: tuple[AvatarClient, list[httpx.Request]], tmp_path: Path
) -> None:
    client, sent = recorded
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(MAX_UPLOAD_BYTES))
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    cases: list[tuple[Any, str | None, str]] = [
        (big, None, "limit"),
        (big.read_bytes(), None, "limit"),
        (text, None, "cannot tell"),
        (text, "text/plain", "not accepted"),
        (b"", None, "empty"),
        (tmp_path / "missing.png", None, "cannot read"),
        (tmp_path, None, "cannot read"),
    ]
    for source, content_type, reason in cases:
        with pytest.raises(InvalidRequestError, match=reason) as caught:
            client.upload_file(source, content_type=content_type)
        assert caught.value.field == "path_or_bytes"
    with pytest.raises(InvalidRequestError, match=r"image_url.*limit"):
        client.create_task(image_url=big, audio_url=VOICE)
    assert sent == []


def test_a_local_file_is_checked_before_the_other_is_uploaded(
    recorded: tuple[AvatarClient, list[httpx.Request]],
) -> None:
    client, sent = recorded
    with pytest.raises(InvalidRequestError, match="audio_url"):
        client.create_task(image_url=PORTRAIT, audio_url=Path("/nowhere/voice.wav"))
    assert sent == []  # the portrait was not uploaded either


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
        (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\0\0\0WAVEfmt ", "audio/wav"),
        (b"OggS\0\x02\0\0\0\0\0\0", "audio/ogg"),
        (b"\0\0\0\x20ftypM4A ", "audio/mp4"),
        (b"ID3\x04\0\0\0\0\0\0", "audio/mpeg"),
        (b"\xff\xfb\x90\x64\0\0", "audio/mpeg"),
        (b"\xff\xf1\x50\x80\0\0", "audio/aac"),
        (b"GIF89a\0\0", None),
        (b"", None),
    ],
)
def test_content_types_are_detected_from_the_bytes(head: bytes, content_type: str | None) -> None:
    assert sniff(head) == content_type


def test_sample_media_are_detected() -> None:
    assert sniff(PORTRAIT.read_bytes()) == "image/png"
    assert sniff(VOICE.read_bytes()) == "audio/wav"


@pytest.mark.parametrize("setting", ["max_connections", "max_answer_bytes"])
@pytest.mark.parametrize("value", [0, -1, True, 2.5, "64", None])
def test_count_settings_refuse_nonsense_with_a_typed_error(setting: str, value: object) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        AvatarClient("crun", api_key="sk-test-0123456789", **{setting: value})  # type: ignore[arg-type]
    assert caught.value.field == setting


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_an_answer_handed_back_read_is_still_held_to_the_cap(provider: str) -> None:
    # A transport (here httpx's MockTransport) may return a body it has read already.
    body = envelope({"balance": 7} if provider == "crun" else 7)
    padded = answer(json.dumps(body) + " " * 2000)
    with fake_client(provider, lambda request: padded, max_answer_bytes=4096) as client:
        assert client.get_credits() == 7
    with (
        fake_client(provider, lambda request: padded, max_answer_bytes=1000) as client,
        pytest.raises(ResponseTooLargeError, match="1000-byte cap"),
    ):
        client.get_credits()


@pytest.mark.parametrize("stated", [b"\xb2", b"12, 12", b"+5", b"-1"])
def test_a_content_length_that_is_no_number_is_not_believed(stated: bytes) -> None:
    # httpx's own transport refuses these; a caller's transport may hand them on, streamed.
    body = json.dumps(envelope({"balance": 7})).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers=[(b"content-length", stated)], stream=httpx.ByteStream(body)
        )

    with fake_client("crun", handler) as client:
        assert client.get_credits() == 7


@pytest.mark.parametrize("stated", [b"\xb2", b"12, 12", b"+5"])
def test_a_video_whose_content_length_is_no_number_is_refused(
    stated: bytes, tmp_path: Path
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers=[(b"content-length", stated)], stream=httpx.ByteStream(b"v" * 12)
        )

    task = Task(id="t1", provider="crun", state=TaskState.SUCCEEDED, video_urls=[URLS["image_url"]])
    with fake_client("crun", handler) as client, pytest.raises(DownloadError, match="bad Content"):
        client.download(task, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("s3://bucket/key?X-Amz-Signature=0123456789abcdef", "0123456789abcdef"),
        ("ftp://user:hunter2pass@host/portrait.png", "hunter2pass"),
        ("gs://bucket/o?X-Goog-Signature=feedfacecafe", "feedfacecafe"),
    ],
)
def test_a_refused_str_is_not_quoted_with_its_credentials(value: str, secret: str) -> None:
    # A caller's URL that is no http(s) URL is refused; the message names it without the
    # signature or password it carries (the one redaction rule), for create and for upload.
    with AvatarClient(
        "crun",
        api_key="ak_test_0123456789",
        transport=httpx.MockTransport(lambda request: pytest.fail("nothing may be sent")),
    ) as client:
        with pytest.raises(InvalidRequestError) as refused:
            client.create_task(image_url=value, audio_url="https://example.com/hi.mp3")
        assert secret not in str(refused.value) and "[redacted]" in str(refused.value)
        with pytest.raises(InvalidRequestError) as refused:
            client.upload_file(value)  # type: ignore[arg-type]
        assert secret not in str(refused.value) and "[redacted]" in str(refused.value)
