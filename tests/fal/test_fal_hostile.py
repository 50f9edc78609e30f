"""A fal that attacks its client, on loopback (tests/hostile's raw-socket server): the URLs its
answers hand back are followed only on the configured queue, for the request asked about; the
key goes nowhere else; hostile bodies end in typed errors, bounded, with the key blanked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile.server import HostileServer, Request, Script, answer, bomb, drip, head
from hypothesis import given, settings
from hypothesis import strategies as st
from kling_avatar import (
    APITimeoutError,
    AsyncAvatarClient,
    AvatarClient,
    AvatarError,
    ResponseTooLargeError,
    TaskState,
    UnexpectedResponseError,
)
from kling_avatar._signatures import parse_key_set

from .helpers import KEY

SUBMIT = "/fal-ai/kling-video/ai-avatar/v2/pro"
OWNER_APP = "/fal-ai/kling-video/requests"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + b"v" * 500


def _client(url: str, **options: Any) -> AvatarClient:
    options = {"max_retries": 0, "poll_interval": 0.05, "base_url": url, **options}
    return AvatarClient("fal", api_key=KEY, **options)


def _create(fal: AvatarClient) -> str:
    return fal.create_task(
        image_url="https://a.example/p.png", audio_url="https://a.example/v.mp3"
    ).id


def _keyed(server: HostileServer) -> list[str]:
    """The paths of the requests that carried the key."""
    return [r.path for r in server.requests if KEY in json.dumps(r.headers)]


def queue(
    urls: Callable[[Request, str], dict[str, str]],
    *,
    rid: str = "r-1",
    video: Callable[[Request], str] | None = None,
) -> Callable[[Request], Script]:
    """A fal queue whose submit (and status) answers hand back `urls(request, rid)`."""

    def route(request: Request) -> Script:
        if request.method == "POST" and request.path == SUBMIT:
            return [answer({"request_id": rid, "status": "IN_QUEUE", **urls(request, rid)})]
        if request.path.endswith("/status"):
            return [answer({"status": "COMPLETED", "request_id": rid, **urls(request, rid)})]
        if request.path.endswith("/cancel"):
            return [answer({"status": "CANCELLATION_REQUESTED"}, 202)]
        if request.method == "GET" and "/requests/" in request.path:
            url = video(request) if video else f"http://{request.headers['host']}/v.mp4"
            return [answer({"video": {"url": url}, "duration": 2.0})]
        if request.path == "/v.mp4":
            return [head(200, {"Content-Type": "video/mp4"}, len(VIDEO)) + VIDEO]
        return [answer({"detail": "no such path"}, 404)]

    return route


def _everything(fal: AvatarClient, task_id: str, tmp_path: Path) -> None:
    task = fal.get_task(task_id)
    assert task.state is TaskState.SUCCEEDED
    fal.wait_for_task(task_id, timeout=5)
    fal.cancel_task(task_id)
    fal.download(task, tmp_path / "v.mp4")


def test_urls_on_another_host_never_receive_anything(tmp_path: Path) -> None:
    with HostileServer(lambda request: [answer({"detail": "gotcha"})]) as elsewhere:

        def urls(request: Request, rid: str) -> dict[str, str]:
            base = f"{elsewhere.url}{OWNER_APP}/{rid}"
            return {"status_url": f"{base}/status", "response_url": base,
                    "cancel_url": f"{base}/cancel"}  # fmt: skip

        with HostileServer(queue(urls)) as fal_host, _client(fal_host.url) as fal:
            _everything(fal, _create(fal), tmp_path)
            paths = [r.path for r in fal_host.requests]
    assert elsewhere.requests == []
    # The owner/app paths built from the base URL instead, with the key.
    assert f"{OWNER_APP}/r-1/status" in paths and f"{OWNER_APP}/r-1/cancel" in paths
    assert f"{OWNER_APP}/r-1" in paths


@pytest.mark.parametrize(
    "spoil",
    [
        lambda url, rid: url.replace("r-1", "r-2"),  # another request
        lambda url, rid: url.replace("http://", "https://"),  # another scheme
        lambda url, rid: url.replace("127.0.0.1", "localhost"),  # another host name
        lambda url, rid: url.replace("/requests/", "/requests/../requests/"),  # climbing
        lambda url, rid: url.replace(f"/{rid}", f"/{rid}%2F.."),  # a slash in the id
        lambda url, rid: url.replace("http://", "http://user:pw@"),  # credentials
        lambda url, rid: url + "#frag",
    ],
)
def test_urls_that_are_not_this_requests_on_this_queue_are_not_followed(
    spoil: Callable[[str, str], str],
) -> None:
    def urls(request: Request, rid: str) -> dict[str, str]:
        base = f"http://{request.headers['host']}/elsewhere/fal-ai/kling-video/requests/{rid}"
        return {"status_url": spoil(f"{base}/status", rid)}

    with HostileServer(queue(urls)) as fal_host, _client(fal_host.url) as fal:
        fal.get_task(_create(fal))
        asked = [r.path for r in fal_host.requests if r.path.endswith("/status")]
    assert asked == [f"{OWNER_APP}/r-1/status"]


def test_this_requests_urls_on_this_queue_are_followed() -> None:
    full = "/fal-ai/kling-video/ai-avatar/v2/pro/requests"

    def urls(request: Request, rid: str) -> dict[str, str]:
        base = f"http://{request.headers['host']}{full}/{rid}"
        return {"status_url": f"{base}/status", "response_url": base,
                "cancel_url": f"{base}/cancel"}  # fmt: skip

    with HostileServer(queue(urls)) as fal_host, _client(fal_host.url) as fal:
        task_id = _create(fal)
        fal.get_task(task_id)
        fal.cancel_task(task_id)
        paths = [r.path for r in fal_host.requests]
    assert paths == [SUBMIT, f"{full}/r-1/status", f"{full}/r-1", f"{full}/r-1/cancel"]


def test_a_base_url_with_a_path_keeps_it(tmp_path: Path) -> None:
    def urls(request: Request, rid: str) -> dict[str, str]:
        return {"status_url": f"http://{request.headers['host']}/proxy{OWNER_APP}/{rid}/status"}

    def route(request: Request) -> Script:
        request = Request(
            request.method, request.path.removeprefix("/proxy"), request.query,
            request.headers, request.body,
        )  # fmt: skip
        return queue(urls)(request)

    with HostileServer(route) as fal_host, _client(f"{fal_host.url}/proxy") as fal:
        fal.get_task(_create(fal))
        assert [r.path for r in fal_host.requests][-2:] == [
            f"/proxy{OWNER_APP}/r-1/status",
            f"/proxy{OWNER_APP}/r-1",
        ]


def test_the_video_and_the_upload_go_elsewhere_without_the_key(tmp_path: Path) -> None:
    with HostileServer(
        lambda request: (
            [head(200, {"Content-Type": "video/mp4"}, len(VIDEO)) + VIDEO]
            if request.method == "GET"
            else [head(200, {}, 0)]
        )
    ) as cdn:

        def route(request: Request) -> Script:
            if request.path == "/storage/upload/initiate":
                return [answer({"upload_url": f"{cdn.url}/put?sig=s", "file_url": f"{cdn.url}/f"})]
            return queue(lambda r, rid: {}, video=lambda r: f"{cdn.url}/v.mp4")(request)

        with HostileServer(route) as fal_host, _client(fal_host.url) as fal:
            url = fal.upload_file(b"ID3 an mp3", content_type="audio/mpeg")
            task = fal.get_task(_create(fal))
            fal.download(task, tmp_path / "v.mp4")
            keyed = _keyed(fal_host)
    assert url == f"{cdn.url}/f"
    assert [r.method for r in cdn.requests] == ["PUT", "GET"] and _keyed(cdn) == []
    assert "/storage/upload/initiate" in keyed  # the key went to the configured host only


def test_an_answer_about_another_request_is_refused() -> None:
    with (
        HostileServer(lambda r: [answer({"status": "IN_QUEUE", "request_id": "r-2"}, 202)]) as host,
        _client(host.url) as fal,
        pytest.raises(UnexpectedResponseError, match="r-2"),
    ):
        fal.get_task("r-1")


def test_a_bomb_stops_at_the_cap() -> None:
    with (
        HostileServer(lambda r: bomb(64 * 1024 * 1024)) as host,
        _client(host.url) as fal,
        pytest.raises(ResponseTooLargeError),
    ):
        fal.get_task("r-1")


def test_a_dripping_queue_cannot_stretch_a_request() -> None:
    body = answer({"status": "IN_QUEUE", "request_id": "r-1"}, 202)
    with (
        HostileServer(lambda r: drip(body, 0.05)) as host,
        _client(host.url, timeout=0.5) as fal,
        pytest.raises(APITimeoutError),
    ):
        fal.get_task("r-1")


@pytest.mark.parametrize("status", [401, 403, 422, 500])
def test_an_echoed_key_is_blanked_in_the_error(status: int) -> None:
    echo = {"detail": [{"loc": ["body", KEY], "msg": f"bad key {KEY}", "type": KEY}]}
    with (
        HostileServer(lambda r: [answer(echo, status)]) as host,
        _client(host.url) as fal,
        pytest.raises(AvatarError) as caught,
    ):
        _create(fal)
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert "bad key" in caught.value.message


def test_an_echoed_key_is_blanked_in_a_failed_task() -> None:
    failed = {"status": "COMPLETED", "request_id": "r-1", "error": KEY, "error_type": KEY}
    with HostileServer(lambda r: [answer(failed)]) as host, _client(host.url) as fal:
        task = fal.get_task("r-1")
    assert task.state is TaskState.FAILED and KEY not in repr(task)
    assert KEY not in (task.error_code or "") + (task.error_message or "")


def test_the_async_client_follows_the_same_rule(tmp_path: Path) -> None:
    with HostileServer(lambda request: [answer({"detail": "gotcha"})]) as elsewhere:

        def urls(request: Request, rid: str) -> dict[str, str]:
            return {"status_url": f"{elsewhere.url}{OWNER_APP}/{rid}/status"}

        async def run(url: str) -> None:
            async with AsyncAvatarClient(
                "fal", api_key=KEY, base_url=url, max_retries=0, poll_interval=0.05
            ) as fal:
                task = await fal.create_task(
                    image_url="https://a.example/p.png", audio_url="https://a.example/v.mp3"
                )
                await fal.wait_for_task(task.id, timeout=5)

        with HostileServer(queue(urls)) as fal_host:
            asyncio.run(run(fal_host.url))
    assert elsewhere.requests == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)
_KEY_ENTRY = st.fixed_dictionaries(
    {
        "x": st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=",
            max_size=60,
        )
    },
    optional={
        "kty": st.sampled_from(["OKP", "RSA", 1]),
        "crv": st.sampled_from(["Ed25519", "X25519"]),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        _JSON.map(json.dumps),
        st.lists(_KEY_ENTRY | _JSON, max_size=6).map(lambda keys: json.dumps({"keys": keys})),
    )
)
def test_a_hostile_key_set_gives_ed25519_keys_or_nothing(content: bytes | str) -> None:
    """Whatever the JWKS URL answers, its reading is 32-byte keys or None: never an exception,
    never a key of another length that a signature check would then choke on."""
    keys = parse_key_set(content)
    assert keys is None or all(isinstance(k, bytes) and len(k) == 32 for k in keys)
