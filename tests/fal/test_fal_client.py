"""`AvatarClient("fal")` against the mock of fal's queue: the same calls and the same Task as at
the other providers, fal's way underneath (its endpoints, its states, its storage, its cancel)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import av
import pytest
from kling_avatar import (
    AvatarClient,
    GenerationFailedError,
    InvalidRequestError,
    NotFoundError,
    NotSupportedError,
    Task,
    TaskState,
)
from kling_avatar._providers import adapter_class
from kling_avatar._providers.fal import V1_PRO, V1_STANDARD
from kling_avatar.testing import MockClock, MockServer

from .helpers import (
    CANCEL,
    INITIATE,
    KEY,
    PORTRAIT,
    RESULT,
    STATUS,
    SUBMIT,
    VOICE,
    async_client,
    client,
)


def _playable(path: Path) -> tuple[int, float]:
    """The number of video and audio streams of the file, and its length in seconds."""
    with av.open(str(path)) as container:
        streams = len(container.streams.video) + len(container.streams.audio)
        seconds = float(container.duration or 0) / av.time_base
    return streams, seconds


def test_generate_uploads_the_files_waits_and_saves_a_playable_video(
    mock: MockServer, tmp_path: Path
) -> None:
    before = (mock.calls(INITIATE), mock.calls(SUBMIT["v2", "pro"]))
    with client(mock) as fal:
        task = fal.generate(image_url=PORTRAIT, audio_url=VOICE, prompt="smile")
        saved = fal.download(task, tmp_path)

    assert task.provider == "fal" and task.state is TaskState.SUCCEEDED
    assert task.video_url is not None and task.video_url.startswith(f"{mock.base_url}/media/")
    # Both files through fal's storage (initiate, then the PUT), one submit, to v2 pro.
    assert (mock.calls(INITIATE), mock.calls(SUBMIT["v2", "pro"])) == (
        before[0] + 2,
        before[1] + 1,
    )
    streams, seconds = _playable(saved)
    assert streams == 2 and seconds > 1.0  # the portrait speaking the voice


def test_the_async_client_is_the_same(mock: MockServer) -> None:
    async def run() -> tuple[Task, Task]:
        async with async_client(mock) as fal:
            task = await fal.generate(image_url=PORTRAIT, audio_url=VOICE, mode="std")
            return task, await fal.get_task(task.id)

    done, read = asyncio.run(run())
    assert done.state is TaskState.SUCCEEDED and read == done


@pytest.mark.parametrize(
    ("models", "mode", "operation"),
    [
        (None, "std", SUBMIT["v2", "std"]),
        (None, "pro", SUBMIT["v2", "pro"]),
        ({"std": V1_STANDARD, "pro": V1_PRO}, "std", SUBMIT["v1", "std"]),
        ({"std": V1_STANDARD, "pro": V1_PRO}, "pro", SUBMIT["v1", "pro"]),
    ],
)
def test_the_mode_and_the_version_pick_the_endpoint(
    mock: MockServer, models: dict[str, str] | None, mode: str, operation: str
) -> None:
    urls = _media(mock)
    before = mock.calls(operation)
    with client(mock, models=models) as fal:
        fal.create_task(image_url=urls[0], audio_url=urls[1], mode=mode)  # type: ignore[arg-type]
    assert mock.calls(operation) == before + 1


def test_a_model_name_that_is_no_endpoint_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(InvalidRequestError, match="models"):
        AvatarClient("fal", api_key=KEY, models={"std": "fal-ai/kling-video/v9/ai-avatar"})


def test_queue_position_and_logs_reach_on_update(mock: MockServer) -> None:
    mock.step = 30.0  # 30 s queued, 30 s in progress, on the mock's clock
    urls = _media(mock)
    seen: list[tuple[TaskState, str | None, str | None]] = []
    with MockClock(mock).attach(AvatarClient("fal", api_key=KEY, base_url=mock.base_url)) as fal:
        first = fal.create_task(image_url=urls[0], audio_url=urls[1])
        second = fal.create_task(image_url=urls[0], audio_url=urls[1])
        assert first.progress == "0 ahead in the queue"
        assert second.progress == "1 ahead in the queue"
        done = fal.wait_for_task(
            second.id,
            timeout=600,
            on_update=lambda t: seen.append((t.state, t.provider_state, t.progress)),
        )
    assert done.state is TaskState.SUCCEEDED
    assert (TaskState.RUNNING, "IN_PROGRESS", "Generating the video") in seen
    assert seen[-1] == (TaskState.SUCCEEDED, "COMPLETED", None)


def test_a_failed_request_ends_completed_with_its_error_type(mock: MockServer) -> None:
    mock.fault("task_fail", SUBMIT["v2", "pro"], fail_code="face_detection_error",
               fail_msg="No face was detected in the image.")  # fmt: skip
    urls = _media(mock)
    with client(mock) as fal:
        task = fal.create_task(image_url=urls[0], audio_url=urls[1])
        read = fal.get_task(task.id)
        with pytest.raises(GenerationFailedError, match="face_detection_error") as failed:
            fal.wait_for_task(task.id)
    assert read.state is TaskState.FAILED and read.provider_state == "COMPLETED"
    assert (read.error_code, read.error_message) == (
        "face_detection_error",
        "No face was detected in the image.",
    )
    assert failed.value.task == read


def test_a_read_is_the_status_then_the_result_once_completed(mock: MockServer) -> None:
    mock.step = 3600.0
    urls = _media(mock)
    with client(mock) as fal:
        task = fal.create_task(image_url=urls[0], audio_url=urls[1])
        before = mock.calls(STATUS), mock.calls(RESULT)
        assert fal.get_task(task.id).state is TaskState.PENDING
        assert (mock.calls(STATUS), mock.calls(RESULT)) == (before[0] + 1, before[1])
        mock.advance(7200.0)
        assert fal.get_task(task.id).video_url
        assert (mock.calls(STATUS), mock.calls(RESULT)) == (before[0] + 2, before[1] + 1)


def test_an_unknown_request_is_not_found(mock: MockServer) -> None:
    with client(mock) as fal, pytest.raises(NotFoundError) as caught:
        fal.get_task("00000000-0000-4000-8000-000000000000")
    assert caught.value.code == 404


def test_cancel_a_queued_request_then_one_already_completed(mock: MockServer) -> None:
    mock.step = 3600.0
    urls = _media(mock)
    with client(mock) as fal:
        queued = fal.create_task(image_url=urls[0], audio_url=urls[1])
        credits = mock.credits("fal")
        assert fal.cancel_task(queued.id) is True
        read = fal.get_task(queued.id)
        assert read.state is TaskState.FAILED and read.error_code == "request_cancelled"
        assert mock.credits("fal") > credits  # a request cancelled in the queue is not billed
        assert fal.cancel_task(queued.id) is False  # completed by now: nothing to cancel
        with pytest.raises(NotFoundError):
            fal.cancel_task("00000000-0000-4000-8000-000000000000")


def test_the_others_have_no_cancel_and_fal_no_balance(mock: MockServer) -> None:
    calls = mock.calls(CANCEL)
    for name in ("crun", "apikley"):
        assert not adapter_class(name).can_cancel()
        with (
            AvatarClient(name, api_key="k", base_url=mock.base_url) as other,
            pytest.raises(NotSupportedError, match="no way to cancel"),
        ):
            other.cancel_task("t1")
    assert adapter_class("fal").can_cancel() and mock.calls(CANCEL) == calls
    with client(mock) as fal, pytest.raises(NotSupportedError, match="no balance API"):
        fal.get_credits()


def test_a_callback_url_is_sent_as_fal_webhook(mock: MockServer) -> None:
    urls = _media(mock)
    hook = "https://hooks.example/fal/abc?x=1"
    with client(mock) as fal:
        task = fal.create_task(image_url=urls[0], audio_url=urls[1], callback_url=hook)
    assert mock.state.tasks[task.id].callback_url == hook


def test_the_key_goes_as_fal_sends_it(mock: MockServer) -> None:
    # The mock refuses anything but `Authorization: Key <key>`: a read that passes proves it.
    with client(mock) as fal, pytest.raises(NotFoundError):
        fal.get_task("no-such-request")
    with (
        AvatarClient("fal", api_key="wrong:key", base_url=mock.base_url) as wrong,
        pytest.raises(Exception, match="No user found") as refused,
    ):
        wrong.get_task("no-such-request")
    assert type(refused.value).__name__ == "AuthenticationError"


def test_the_price_is_per_second_of_the_audio(mock: MockServer) -> None:
    from kling_avatar._inputs import check_task_input
    from kling_avatar._providers.fal import Fal, audio_seconds
    from kling_avatar._uploads import prepare_upload

    voice = prepare_upload(VOICE, None, field="audio_url")
    seconds = audio_seconds(voice)
    assert seconds is not None and 1.0 < seconds < 60.0
    fal = Fal(KEY)
    std = check_task_input(PORTRAIT, VOICE, "", "std", None, max_prompt=2500)
    pro = check_task_input(PORTRAIT, VOICE, "", "pro", None, max_prompt=2500)
    url = check_task_input(PORTRAIT, "https://a.example/v.mp3", "", "std", None, max_prompt=2500)
    assert fal.price(std) == pytest.approx(0.0562 * seconds)
    assert fal.price(pro) == pytest.approx(0.115 * seconds)
    assert fal.price(url) is None  # the length of a URL's audio is not known before it runs


def _media(mock: MockServer) -> tuple[str, str]:
    """URLs of a portrait and a voice the mock serves (uploaded once)."""
    with client(mock) as fal:
        return fal.upload_file(PORTRAIT), fal.upload_file(VOICE)


def test_upload_is_initiate_then_a_put_without_the_key(mock: MockServer) -> None:
    sent: list[tuple[str, str, str]] = []

    import httpx

    def record(request: httpx.Request) -> None:
        sent.append((request.method, request.url.path, request.headers.get("authorization", "")))

    transport = httpx.HTTPTransport()

    class Recording(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            record(request)
            return transport.handle_request(request)

    with client(mock, transport=Recording()) as fal:
        url = fal.upload_file(io.BytesIO(VOICE.read_bytes()), content_type="audio/wav")
    (initiate, put) = sent
    assert initiate == ("POST", "/storage/upload/initiate", f"Key {KEY}")
    assert put[0] == "PUT" and put[1].startswith("/fal-upload/") and put[2] == ""
    assert url.startswith(f"{mock.base_url}/media/uploads/")
    assert parse_qs(urlsplit(url).query) == {}
