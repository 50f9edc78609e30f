"""Result videos: the portrait speaking the audio, playable, as long as the audio."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

import av
import httpx
import pytest
from kling_avatar.testing import MockServer
from kling_avatar.testing import _media as media

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_RECORD,
    APIKLEY_STREAM,
    apikley_body,
    apikley_headers,
)

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
PORTRAIT = (MEDIA / "portrait.png").read_bytes()


def _wav(seconds: float, loud_after: float = 0.0, rate: int = 16_000) -> bytes:
    """A mono WAV: silence, then a 440 Hz tone from ``loud_after`` seconds on."""
    samples = int(seconds * rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(
            b"".join(
                struct.pack(
                    "<h",
                    int(12_000 * math.sin(2 * math.pi * 440 * i / rate))
                    if i >= loud_after * rate
                    else 0,
                )
                for i in range(samples)
            )
        )
    return out.getvalue()


def probe(data: bytes) -> dict[str, object]:
    """What ffprobe would say: the streams, their codecs, the duration."""
    with av.open(io.BytesIO(data), "r") as container:
        assert container.duration is not None
        return {
            "streams": sorted(stream.type for stream in container.streams),
            "codecs": sorted(stream.codec_context.name for stream in container.streams),
            "duration": container.duration / 1e6,
            "size": (container.streams.video[0].width, container.streams.video[0].height),
        }


def _luma(data: bytes, index: int) -> bytes:
    with av.open(io.BytesIO(data), "r") as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number == index:
                return bytes(frame.reformat(format="gray").planes[0])
    raise AssertionError(f"no frame {index}")


def test_the_video_is_the_portrait_with_the_audio_as_long_as_the_audio() -> None:
    video = media.render(PORTRAIT, _wav(1.5))
    found = probe(video)
    assert found["streams"] == ["audio", "video"]
    assert found["codecs"] == ["aac", "h264"]
    assert abs(float(found["duration"]) - 1.5) <= 1 / media.FPS  # type: ignore[arg-type]
    assert found["size"] == (256, 256)  # the portrait's square, scaled down
    # The picture is the portrait: its top-left corner is the portrait's light blue sky,
    # not the generated grey.
    first = _luma(video, 0)
    assert first[5 * 256 + 5] > 150
    plain = media.render(b"not an image", _wav(1.5))
    assert _luma(plain, 0)[5 * 256 + 5] < 130


def test_the_mouth_opens_with_the_audio() -> None:
    video = media.render(PORTRAIT, _wav(2.0, loud_after=1.0))
    quiet, loud = _luma(video, 3), _luma(video, 2 * media.FPS - 3)
    mouth = int(256 * 0.6) * 256 + 128  # the band's centre
    assert loud[mouth] < quiet[mouth] - 40
    corner = 5 * 256 + 5
    assert abs(loud[corner] - quiet[corner]) < 10  # the rest of the picture stays


@pytest.mark.parametrize(
    ("image", "audio"),
    [(None, None), (b"\x89PNG garbage", b"RIFF garbage"), (PORTRAIT, b""), (b"", b"x" * 1000)],
)
def test_inputs_that_cannot_be_decoded_give_a_generated_clip(
    image: bytes | None, audio: bytes | None
) -> None:
    found = probe(media.render(image, audio))
    assert found["streams"] == ["audio", "video"]
    assert abs(float(found["duration"]) - media.FALLBACK_SECONDS) <= 1 / media.FPS  # type: ignore[arg-type]


def test_long_audio_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "MAX_SECONDS", 1.0)
    found = probe(media.render(PORTRAIT, _wav(3.0)))
    assert abs(float(found["duration"]) - 1.0) <= 0.2  # type: ignore[arg-type]


def test_the_mock_serves_the_video_of_the_uploaded_inputs() -> None:
    voice = _wav(1.25)
    with MockServer() as mock, httpx.Client(base_url=mock.base_url) as http:
        headers = apikley_headers(mock)
        urls = []
        for name, data, mime in (
            ("face.png", PORTRAIT, "image/png"),
            ("v.wav", voice, "audio/wav"),
        ):
            answer = http.post(
                APIKLEY_STREAM,
                data={"uploadPath": "in"},
                files={"file": (name, data, mime)},
                headers=headers,
            ).json()
            urls.append(answer["data"]["downloadUrl"])
        body = apikley_body()
        body["input"].update(image_url=urls[0], audio_url=urls[1])
        task_id = http.post(APIKLEY_CREATE, json=body, headers=headers).json()["data"]["taskId"]
        record = http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=headers).json()
        [url] = httpx.Response(200, content=record["data"]["resultJson"]).json()["resultUrls"]
        video = http.get(url)
        head = http.head(url)
    assert video.headers["content-type"] == "video/mp4"
    assert head.headers["content-length"] == str(len(video.content))
    found = probe(video.content)
    assert found["streams"] == ["audio", "video"]
    assert abs(float(found["duration"]) - 1.25) <= 1 / media.FPS  # type: ignore[arg-type]


def test_inputs_elsewhere_give_the_generated_clip_not_an_error(
    mock: MockServer, http: httpx.Client
) -> None:
    body = apikley_body()  # example.com URLs: the mock never leaves the machine
    headers = apikley_headers(mock)
    task_id = http.post(APIKLEY_CREATE, json=body, headers=headers).json()["data"]["taskId"]
    http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=headers)
    video = http.get(f"/media/results/{task_id}.mp4")
    assert video.status_code == 200
    assert probe(video.content)["streams"] == ["audio", "video"]
