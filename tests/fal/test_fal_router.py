"""The router over all three providers: fal's answers that prove nothing was queued move on,
the others do not; its per-second price orders it; cancel goes to the task's provider."""

from __future__ import annotations

from typing import Any

import pytest
from hostile.server import HostileServer, answer
from kling_avatar import (
    AvatarRouter,
    InvalidRequestError,
    NotSupportedError,
    RouteEvent,
    ServerError,
    TaskState,
)
from kling_avatar.testing import MockServer

from .helpers import FAST, KEY, PORTRAIT, SUBMIT, VOICE, client, submits

ALL = ("apikley", "crun", "fal")
CREATE = {"crun": "createTask", "apikley": "kling-ai-avatar-v1-pro"}


def _router(mock: MockServer, providers: tuple[str, ...] = ALL, **options: Any) -> AvatarRouter:
    keys = {"crun": mock.crun_key, "apikley": mock.apikley_key, "fal": KEY}
    urls = dict.fromkeys(("crun", "apikley", "fal"), mock.base_url)
    return AvatarRouter(
        providers, api_keys=keys, base_urls={**urls, **options.pop("base_urls", {})},
        **{**FAST, **options},
    )  # fmt: skip


def _urls(mock: MockServer) -> dict[str, Any]:
    with client(mock) as fal:
        return {"image_url": fal.upload_file(PORTRAIT), "audio_url": fal.upload_file(VOICE)}


def test_fal_takes_the_task_when_the_others_cannot_pay(mock: MockServer) -> None:
    urls = _urls(mock)
    mock.set_credits(0.0, "apikley")
    mock.set_credits(0.0, "crun")
    events: list[RouteEvent] = []
    with _router(mock, on_route=events.append) as router:
        task = router.generate(**urls)
    assert task.provider == "fal" and task.state is TaskState.SUCCEEDED
    assert [(e.provider, e.kind) for e in events] == [
        ("apikley", "skipped"),
        ("crun", "skipped"),
        ("fal", "created"),
    ]


def test_a_locked_fal_account_moves_on(mock: MockServer) -> None:
    urls = _urls(mock)
    mock.set_credits(0.0, "fal")
    events: list[RouteEvent] = []
    before = mock.calls(CREATE["crun"])
    with _router(mock, ("fal", "crun"), on_route=events.append) as router:
        task = router.create_task(**urls)
    assert task.provider == "crun" and mock.calls(CREATE["crun"]) == before + 1
    assert events[0].reason == "balance exhausted, account locked (403)"


def test_a_passed_start_deadline_moves_on(mock: MockServer) -> None:
    late = answer({"detail": "late", "error_type": "request_timeout"}, 504,
                  {"X-Fal-Request-Timeout-Type": "user"})  # fmt: skip
    urls: dict[str, Any] = {
        "image_url": "https://a.example/p.png",
        "audio_url": "https://a.example/v.mp3",
    }
    with (
        HostileServer(lambda request: [late]) as fal_host,
        _router(mock, ("fal", "crun"), base_urls={"fal": fal_host.url}) as router,
    ):
        task = router.create_task(**urls)
    assert task.provider == "crun"


def test_a_refused_input_at_fal_is_not_sent_elsewhere(mock: MockServer) -> None:
    refused = {"detail": [{"loc": ["body", "image_url"], "msg": "no face", "type": "face"}]}
    before = mock.calls(CREATE["crun"])
    with (
        HostileServer(lambda request: [answer(refused, 422)]) as fal_host,
        _router(mock, ("fal", "crun"), base_urls={"fal": fal_host.url}) as router,
        pytest.raises(InvalidRequestError) as caught,
    ):
        router.create_task(image_url="https://a.example/p.png", audio_url="https://a.example/v.mp3")
    assert caught.value.field == "image_url" and "may have been created" not in caught.value.message
    assert mock.calls(CREATE["crun"]) == before


def test_a_server_error_at_fal_may_have_queued_it_and_is_not_sent_elsewhere(
    mock: MockServer,
) -> None:
    mock.fault("http", SUBMIT["v2", "pro"], status=500)
    before = mock.calls(CREATE["crun"]), submits(mock)
    with _router(mock, ("fal", "crun")) as router, pytest.raises(ServerError) as caught:
        router.create_task(image_url="https://a.example/p.png", audio_url="https://a.example/v.mp3")
    assert "may have been created at fal" in caught.value.message
    assert (mock.calls(CREATE["crun"]), submits(mock)) == (before[0], before[1] + 1)


def test_fals_per_second_price_orders_it_when_the_audio_is_a_local_wav(mock: MockServer) -> None:
    # voice.wav plays 2 s: std costs 2 x $0.0562; the others' prices are the caller's.
    prices = {"apikley": 0.2, "crun": 0.15}
    with _router(mock, prefer="price", prices=prices) as router:
        cheap = router.create_task(image_url=PORTRAIT, audio_url=VOICE, mode="std")
        dear = router.create_task(image_url=PORTRAIT, audio_url=VOICE, mode="pro")
        unknown = router.create_task(image_url=PORTRAIT, audio_url=_urls(mock)["audio_url"])
    assert cheap.provider == "fal"  # $0.1124, under crun's 0.15
    assert dear.provider == "crun"  # $0.23: above both
    assert unknown.provider == "crun"  # an audio URL's length is unknown: fal's price too


def test_cancel_goes_to_the_tasks_provider(mock: MockServer) -> None:
    mock.step = 3600.0
    urls: dict[str, Any] = {
        "image_url": "https://a.example/p.png",
        "audio_url": "https://a.example/v.mp3",
    }
    with _router(mock, ("fal", "crun")) as router:
        fal_task = router.create_task(**urls)
        assert router.cancel_task(fal_task) is True
        assert router.get_task(fal_task).state is TaskState.FAILED
        with pytest.raises(NotSupportedError):
            router.cancel_task("t1", provider="crun")


def test_by_default_the_router_takes_the_providers_it_has_keys_for(
    mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("CRUN_API_KEY", "APIKLEY_API_KEY", "FAL_KEY"):
        monkeypatch.delenv(variable, raising=False)
    with AvatarRouter(api_keys={"fal": KEY, "crun": mock.crun_key}) as router:
        assert router.providers == ("crun", "fal")  # the registry's order
    monkeypatch.setenv("APIKLEY_API_KEY", mock.apikley_key)
    with AvatarRouter(api_keys={"fal": KEY}) as router:
        assert router.providers == ("apikley", "fal")
