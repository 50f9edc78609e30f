"""Every method of both clients against the local mock server (real HTTP on loopback)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kling_avatar import (
    APIConnectionError,
    APITimeoutError,
    AsyncAvatarClient,
    AuthenticationError,
    AvatarClient,
    AvatarError,
    InsufficientCreditsError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    TaskState,
    UnexpectedResponseError,
    as_provider,
)
from kling_avatar.testing import MockClock, MockServer
from kling_avatar_generated.crun.models import TaskInfo

from .helpers import (
    CODES,
    HTTP_STATUSES,
    OPS,
    PORTRAIT,
    VOICE,
    Calls,
    make_async_client,
    make_client,
    media_urls,
)


def test_every_method_end_to_end(
    client: AvatarClient, mock: MockServer, calls: Calls, provider: str
) -> None:
    assert client.get_credits() == 100.0
    created = client.create_task(**media_urls(mock), prompt="hello", mode="std")
    assert created.provider == provider and created.state is TaskState.PENDING

    task = client.get_task(created.id)
    assert task.id == created.id and task.state is TaskState.SUCCEEDED
    assert task.created_at is not None and task.created_at.tzinfo is not None
    assert task.video_url is not None
    assert httpx.get(task.video_url).content[4:8] == b"ftyp"

    assert client.wait_for_task(created.id).state is TaskState.SUCCEEDED
    generated = client.generate(**media_urls(mock))
    assert generated.state is TaskState.SUCCEEDED and generated.id != created.id
    assert client.get_credits() < 100.0

    url = client.upload_file(PORTRAIT)
    assert httpx.get(url).content == PORTRAIT.read_bytes()
    assert calls(OPS[provider]["create"]) == 2


def test_async_client_does_the_same(mock: MockServer, provider: str) -> None:
    async def main() -> str:
        async with make_async_client(mock, provider) as client:
            assert await client.get_credits() == 100.0
            created = await client.create_task(**media_urls(mock))
            assert (await client.get_task(created.id)).state is TaskState.SUCCEEDED
            assert (await client.wait_for_task(created.id)).state is TaskState.SUCCEEDED
            seen: list[TaskState] = []

            async def on_update(task: Any) -> None:
                seen.append(task.state)

            done = await client.generate(**media_urls(mock), on_update=on_update)
            assert done.state is TaskState.SUCCEEDED and seen == [TaskState.SUCCEEDED]
            with pytest.raises(NotFoundError):
                await client.get_task("no-such-task")
            return await client.upload_file(VOICE.read_bytes())

    assert httpx.get(asyncio.run(main())).content == VOICE.read_bytes()


def test_local_paths_are_uploaded_and_their_urls_sent(
    client: AvatarClient, mock: MockServer, calls: Calls, provider: str
) -> None:
    task = client.generate(image_url=PORTRAIT, audio_url=VOICE)
    assert task.state is TaskState.SUCCEEDED
    upload_op = "getUploadUrl" if provider == "crun" else "uploadFileStream"
    assert calls(upload_op) == 2
    if isinstance(task.raw, TaskInfo):  # crun echoes the request: the URLs it was given
        sent = task.raw.to_dict()["param"]["input"]
        assert httpx.get(sent["image_url"]).content == PORTRAIT.read_bytes()
        assert httpx.get(sent["audio_url"]).content == VOICE.read_bytes()


@pytest.mark.parametrize(("code", "cls"), [(c, k) for c, k in CODES.items() if c != 503])
def test_every_body_code_raises_its_class(
    mock: MockServer, provider: str, code: int, cls: type[AvatarError]
) -> None:
    mock.fault("envelope", operation=OPS[provider]["get"], code=code)
    with make_client(mock, provider, max_retries=0) as client, pytest.raises(cls) as caught:
        client.get_task("any")
    assert type(caught.value) is cls and caught.value.code == code
    assert caught.value.provider == provider and caught.value.message


@pytest.mark.parametrize(("code", "cls"), HTTP_STATUSES.items())
def test_every_http_status_raises_the_same_class(
    mock: MockServer, provider: str, code: int, cls: type[AvatarError]
) -> None:
    mock.fault("http", operation=OPS[provider]["credits"], status=code)
    with make_client(mock, provider, max_retries=0) as client, pytest.raises(cls) as caught:
        client.get_credits()
    assert type(caught.value) is cls and caught.value.code == code


def test_wrong_key_is_an_authentication_error_everywhere(mock: MockServer, provider: str) -> None:
    with make_client(mock, provider, api_key="wrong-key") as client:
        for call in (
            client.get_credits,
            lambda: client.get_task("x"),
            lambda: client.create_task(**media_urls(mock)),
            lambda: client.upload_file(PORTRAIT),
        ):
            with pytest.raises(AuthenticationError):
                call()


def test_no_credits_is_insufficient_credits(client: AvatarClient, mock: MockServer) -> None:
    mock.set_credits(0.0)
    with pytest.raises(InsufficientCreditsError):
        client.create_task(**media_urls(mock))


def test_transient_errors_on_reads_are_retried(
    client: AvatarClient, mock: MockServer, calls: Calls, provider: str
) -> None:
    get, credits = OPS[provider]["get"], OPS[provider]["credits"]
    task = client.create_task(**media_urls(mock))
    mock.fault("envelope", operation=get, code=455, times=2)
    assert client.get_task(task.id).state is TaskState.SUCCEEDED
    assert calls(get) == 3
    mock.fault("drop", operation=credits)
    mock.fault("http", operation=credits, status=502)
    assert client.get_credits() > 0
    assert calls(credits) == 3


def test_retries_stop_at_max_retries(mock: MockServer, calls: Calls, provider: str) -> None:
    credits = OPS[provider]["credits"]
    mock.fault("http", operation=credits, status=503, times=None)
    with (
        make_client(mock, provider, max_retries=3) as client,
        pytest.raises(ServiceUnavailableError),
    ):
        client.get_credits()
    assert calls(credits) == 4


def test_retry_after_is_honoured_in_seconds_and_http_dates(
    client: AvatarClient,
    mock: MockServer,
    calls: Calls,
    provider: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kling_avatar")
    clock = MockClock(mock)
    clock.attach(client)  # the pauses move the mock's clock: what they were is on it
    credits = OPS[provider]["credits"]
    mock.fault("http", operation=credits, status=429, retry_after=1)
    mock.fault("http", operation=credits, status=503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    assert client.get_credits() == 100.0
    assert calls(credits) == 3
    assert clock.slept == 1.0  # the second, at once
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(retries) == 2
    assert "in 1.00s" in retries[0] and "429" in retries[0]
    assert "in 0.00s" in retries[1]  # a date in the past: at once


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "http", "status": 500},
        {"kind": "http", "status": 503},
        {"kind": "http", "status": 429, "retry_after": 0},
        {"kind": "envelope", "code": 500},
        {"kind": "envelope", "code": 455},
        {"kind": "drop"},
        {"kind": "truncated"},
        {"kind": "non_json"},
        {"kind": "slow", "delay": 1.0},
    ],
    ids=lambda f: "-".join(str(v) for v in f.values()),
)
def test_a_creation_is_never_sent_twice(
    mock: MockServer, calls: Calls, provider: str, fault: dict[str, Any]
) -> None:
    create = OPS[provider]["create"]
    mock.fault(operation=create, **fault)
    with make_client(mock, provider, timeout=0.3, max_retries=5) as client:
        with pytest.raises(AvatarError):
            client.create_task(**media_urls(mock))
        assert calls(create) == 1
        mock.clear_faults()
        client.create_task(**media_urls(mock))  # the client is still usable
    assert calls(create) == 2


def test_a_timed_out_creation_says_it_may_have_been_sent(mock: MockServer, provider: str) -> None:
    mock.fault("slow", operation=OPS[provider]["create"], delay=1.0)
    with (
        make_client(mock, provider, timeout=0.2) as client,
        pytest.raises(APITimeoutError) as caught,
    ):
        client.create_task(**media_urls(mock))
    assert caught.value.request_sent is True


class RefuseFirst(httpx.BaseTransport):
    """Fails to connect `refusals` times, then lets requests through to the real server."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.attempts = 0
        self.real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise httpx.ConnectError("connection refused", request=request)
        return self.real.handle_request(request)

    def close(self) -> None:
        self.real.close()


def test_a_creation_that_could_not_connect_is_retried(
    mock: MockServer, calls: Calls, provider: str
) -> None:
    transport = RefuseFirst(refusals=2)
    with make_client(mock, provider, transport=transport) as client:
        task = client.create_task(**media_urls(mock))
    assert task.state is TaskState.PENDING
    assert transport.attempts == 3 and calls(OPS[provider]["create"]) == 1


def test_connection_refused_gives_up_after_the_retries(provider: str) -> None:
    # Nothing listens on port 9 of the loopback: a real refused connection.
    client = AvatarClient(
        as_provider(provider), api_key="k", base_url="http://127.0.0.1:9", retry_delay=0.001
    )
    with client, pytest.raises(APIConnectionError) as caught:
        client.get_credits()
    assert caught.value.request_sent is False
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("kind", ["truncated", "non_json"])
def test_garbled_answers_are_unexpected_and_not_retried(
    client: AvatarClient, mock: MockServer, calls: Calls, provider: str, kind: str
) -> None:
    mock.fault(kind, operation=OPS[provider]["get"])
    with pytest.raises(UnexpectedResponseError) as caught:
        client.get_task("any")
    assert caught.value.provider == provider
    assert calls(OPS[provider]["get"]) == 1


def test_the_client_reopens_after_close(client_for: Callable[..., AvatarClient]) -> None:
    client = client_for("crun")
    assert client.get_credits() == 100.0
    client.close()
    assert client.get_credits() == 100.0


def test_uploads_are_retried_with_the_whole_file(
    client: AvatarClient, mock: MockServer, calls: Calls, provider: str
) -> None:
    upload_op = "getUploadUrl" if provider == "crun" else "uploadFileStream"
    mock.fault("http", operation=upload_op, status=503)
    mock.fault("drop", operation=upload_op)
    url = client.upload_file(VOICE, content_type="audio/wav")
    assert calls(upload_op) == 3
    assert httpx.get(url).content == VOICE.read_bytes()  # resent in full, not half-read


def test_upload_errors_are_typed(client: AvatarClient, mock: MockServer, provider: str) -> None:
    upload_op = "getUploadUrl" if provider == "crun" else "uploadFileStream"
    mock.fault("envelope", operation=upload_op, code=422, message="fileName: not allowed")
    with pytest.raises(InvalidRequestError, match="fileName"):
        client.upload_file(PORTRAIT)


def test_async_client_retries_reads_and_never_resends_a_creation(
    mock: MockServer, calls: Calls, provider: str
) -> None:
    ops = OPS[provider]

    async def main() -> None:
        async with make_async_client(mock, provider) as client:
            mock.fault("http", operation=ops["create"], status=500)
            with pytest.raises(ServerError):
                await client.create_task(**media_urls(mock))
            mock.fault("envelope", operation=ops["credits"], code=455, times=2)
            assert await client.get_credits() == 100.0

    asyncio.run(main())
    assert calls(ops["create"]) == 1 and calls(ops["credits"]) == 3


def test_the_presigned_put_does_not_carry_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "storage.example":
            return httpx.Response(200)
        presigned = {"presigned_url": "https://storage.example/up?sig=1", "file_url": "https://f/x"}
        return httpx.Response(200, json={"code": 200, "message": "ok", "data": presigned})

    with AvatarClient(
        "crun", api_key="ak_secret_key", transport=httpx.MockTransport(handler)
    ) as client:
        assert client.upload_file(PORTRAIT) == "https://f/x"
    api, put = seen
    assert api.headers["x-api-key"] == "ak_secret_key"
    assert put.method == "PUT" and put.content == PORTRAIT.read_bytes()
    assert put.headers["content-type"] == "image/png"
    assert "x-api-key" not in put.headers and "authorization" not in put.headers


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_cookies_a_server_sets_are_never_sent_back(provider: str) -> None:
    # The key authenticates every request: a cookie could only track the client.
    seen: list[httpx.Request] = []
    data = (
        {"task_id": "t-1", "status": "running"}
        if provider == "crun"
        else {"taskId": "t-1", "state": "generating"}
    )

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"code": 200, "message": "ok", "data": data}
        return httpx.Response(200, json=body, headers={"Set-Cookie": "track=me; Path=/"})

    with AvatarClient(
        as_provider(provider), api_key="ak_secret_key", transport=httpx.MockTransport(handler)
    ) as client:
        for _ in range(2):
            assert client.get_task("t-1").state is TaskState.RUNNING

    async def twice() -> None:
        async with AsyncAvatarClient(
            as_provider(provider), api_key="ak_secret_key", transport=httpx.MockTransport(handler)
        ) as client:
            for _ in range(2):
                assert (await client.get_task("t-1")).state is TaskState.RUNNING

    asyncio.run(twice())
    assert [request.headers.get("cookie") for request in seen] == [None] * 4


def test_a_long_retry_after_goes_to_the_caller_instead_of_a_silent_sleep(
    client: AvatarClient, mock: MockServer, calls: Calls, provider: str
) -> None:
    credits = OPS[provider]["credits"]
    mock.fault("http", operation=credits, status=429, retry_after=120)
    with pytest.raises(RateLimitError) as caught:
        client.get_credits()
    assert caught.value.retry_after == 120.0 and calls(credits) == 1
