"""Optional creation rate limits: a sliding window per account, rejected not queued."""

from __future__ import annotations

import math

import httpx
import pytest
from kling_avatar import AvatarClient, RateLimitError
from kling_avatar.testing import COST_PRO, MockServer
from kling_avatar.testing._ratelimit import parse_rate_limit

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_CREDIT,
    CRUN_BALANCE,
    CRUN_CREATE,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)


def _apikley_create(mock: MockServer, http: httpx.Client) -> httpx.Response:
    return http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))


def test_off_by_default() -> None:
    with MockServer() as mock, httpx.Client(base_url=mock.base_url) as http:
        codes = {_apikley_create(mock, http).json()["code"] for _ in range(25)}
    assert codes == {200}


def test_over_the_limit_is_http_429_with_retry_after_and_creates_and_charges_nothing() -> None:
    with (
        MockServer(credits=100.0, rate_limits={"apikley": (20, 10.0)}) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        accepted = [_apikley_create(mock, http) for _ in range(20)]
        assert {a.json()["code"] for a in accepted} == {200}
        refused = _apikley_create(mock, http)
        assert refused.status_code == 429
        assert refused.json() == {
            "code": 429,
            "msg": "Rate limited: too many task creations",
            "data": None,
        }
        # The window is 10 s and the first creation a moment ago: wait about 10 s.
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        balance = http.get(APIKLEY_CREDIT, headers=apikley_headers(mock)).json()["data"]
        assert balance == pytest.approx(100.0 - 20 * COST_PRO)
        # Other operations are not limited, nor is the other provider.
        crun = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock))
        assert crun.json()["code"] == 200
        assert http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["code"] == 200


def test_the_window_slides_on_the_mocks_clock() -> None:
    with (
        MockServer(rate_limits={"crun": (2, 10.0)}) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):

        def create() -> httpx.Response:
            return http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock))

        assert create().json()["code"] == 200
        mock.advance(6)
        assert create().json()["code"] == 200
        refused = create()
        assert (refused.status_code, refused.json()["code"]) == (429, 429)
        assert set(refused.json()) == {"code", "message", "data"}  # crun's envelope
        # The oldest creation leaves the window 10 s after it was made: about 4 s from now.
        assert int(refused.headers["retry-after"]) in (4, 5)
        mock.advance(4.5)
        assert create().json()["code"] == 200  # one slot freed, by the first creation
        assert create().status_code == 429  # the one at 6 s is still inside
        assert mock.calls("createTask") == 5


def test_rejections_are_not_counted_and_unpaid_creations_do_not_count() -> None:
    with (
        MockServer(credits=COST_PRO, rate_limits={"apikley": (2, 10.0)}) as mock,
        httpx.Client(base_url=mock.base_url) as http,
    ):
        assert _apikley_create(mock, http).json()["code"] == 200
        assert _apikley_create(mock, http).json()["code"] == 402  # no task, no slot used
        mock.set_credits(100.0)
        assert _apikley_create(mock, http).json()["code"] == 200
        for _ in range(3):
            assert _apikley_create(mock, http).status_code == 429
        mock.advance(10)
        # Had the rejections counted, the window would still be full.
        assert _apikley_create(mock, http).json()["code"] == 200


def test_the_client_sees_a_rate_limit_error_with_retry_after() -> None:
    with MockServer(rate_limits={"crun": (1, 30.0)}) as mock:
        image, audio = "https://example.com/a.png", "https://example.com/a.mp3"
        with AvatarClient("crun", api_key=mock.crun_key, base_url=mock.base_url) as client:
            client.create_task(image_url=image, audio_url=audio)
            with pytest.raises(RateLimitError) as caught:
                client.create_task(image_url=image, audio_url=audio)
        assert caught.value.retry_after is not None and 1 <= caught.value.retry_after <= 30
        assert mock.calls("createTask") == 2


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"kie": (20, 10.0)}, "unknown provider"),
        ({"apikley": (0, 10.0)}, "at least 1"),
        ({"apikley": (20, 0.0)}, "> 0"),
        ({"apikley": (20, math.nan)}, "finite"),
        ({"apikley": (20, math.inf)}, "finite"),
        ({"apikley": (2.5, 10.0)}, "at least 1"),
    ],
)
def test_bad_limits_are_refused(limits: dict[str, tuple[int, float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MockServer(rate_limits=limits)


def test_cli_syntax() -> None:
    assert parse_rate_limit("apikley=20/10") == ("apikley", (20, 10.0))
    assert parse_rate_limit("crun=5/0.5") == ("crun", (5, 0.5))
    for bad in ("apikley=20", "apikley:20/10", "kie=20/10", "apikley=0/10", "apikley=20/0"):
        with pytest.raises(ValueError):
            parse_rate_limit(bad)
