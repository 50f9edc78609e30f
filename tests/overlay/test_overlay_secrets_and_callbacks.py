"""The mock's real callbacks read back, and the API key kept out of reprs, errors and logs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from kling_avatar import (
    AvatarClient,
    AvatarError,
    InvalidSignatureError,
    TaskState,
    parse_callback,
    verify_callback_signature,
)
from kling_avatar.testing import MockServer

from .fake import KEY, answer, fake_client
from .helpers import OPS, PORTRAIT, make_client, media_urls

WEBHOOK_KEY = "whsec-mock-key"
NOWHERE = "http://127.0.0.1:9/callback"  # refused: the mock records the delivery anyway


@pytest.fixture(scope="module")
def signing_mock() -> Iterator[MockServer]:
    with MockServer(step=0.0, seed=2, webhook_key=WEBHOOK_KEY, callback_attempts=1) as mock:
        yield mock
    assert not mock.errors


def test_callbacks_of_both_providers_parse_to_the_polled_task(
    signing_mock: MockServer, provider: str
) -> None:
    with make_client(signing_mock, provider) as client:
        created = client.create_task(**media_urls(signing_mock), callback_url=NOWHERE)
        polled = client.get_task(created.id)
    deliveries = [d for d in signing_mock.wait_callbacks(1) if created.id in str(d.body)] or [
        d for d in signing_mock.wait_callbacks(2) if created.id in str(d.body)
    ]
    task = parse_callback(provider, deliveries[0].body)
    assert task.id == created.id and task.state is TaskState.SUCCEEDED
    assert task.video_urls == polled.video_urls


def test_signed_apikley_callback_verifies_and_tampering_is_caught(
    signing_mock: MockServer,
) -> None:
    with make_client(signing_mock, "apikley") as client:
        created = client.create_task(**media_urls(signing_mock), callback_url=NOWHERE)
        client.get_task(created.id)
    for _ in range(50):
        found = [d for d in signing_mock.callbacks if created.id in str(d.body)]
        if found:
            break
        signing_mock.wait_callbacks(len(signing_mock.callbacks) + 1)
    delivery = found[0]
    verify_callback_signature(delivery.body, delivery.headers, WEBHOOK_KEY)

    forged = {**delivery.body, "data": {**delivery.body["data"], "taskId": "another-task"}}
    with pytest.raises(InvalidSignatureError):
        verify_callback_signature(forged, delivery.headers, WEBHOOK_KEY)
    with pytest.raises(InvalidSignatureError):
        verify_callback_signature(delivery.body, delivery.headers, "not-the-key")
    stamp = int(delivery.headers["X-Webhook-Timestamp"])
    with pytest.raises(InvalidSignatureError, match="window"):  # replayed an hour later
        verify_callback_signature(delivery.body, delivery.headers, WEBHOOK_KEY, now=stamp + 3600)


def secret_free(text: str, secret: str) -> bool:
    return secret not in text and secret[:12] not in text


def test_the_key_never_shows_in_reprs_errors_or_debug_logs(
    mock: MockServer, provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore
    key = mock.crun_key if provider == "crun" else mock.apikley_key
    ops = OPS[provider]
    errors: list[AvatarError] = []
    with make_client(mock, provider) as client:
        texts = [repr(client)] + [repr(v) for v in vars(client).values() if v is not key]
        for server in ("api", "upload"):
            texts.append(repr(client._generated_client(server)))
        mock.fault("http", operation=ops["credits"], status=429, retry_after=0)
        mock.fault("drop", operation=ops["get"])
        client.get_credits()
        task = client.generate(image_url=PORTRAIT, audio_url=media_urls(mock)["audio_url"])
        texts.append(repr(task))
        texts += [repr(v) for v in vars(client).values() if v is not key]  # connections open now
        mock.fault("envelope", operation=ops["create"], code=422)
        failing: list[Callable[[], object]] = [
            lambda: client.create_task(**media_urls(mock)),
            lambda: client.get_task("no-such-task"),
            lambda: client.wait_for_task("no-such-task", not_found_grace=0.0),
        ]
        for call in failing:
            with pytest.raises(AvatarError) as caught:
                call()
            errors.append(caught.value)
    with (
        make_client(mock, provider, api_key=key + "-wrong") as wrong,
        pytest.raises(AvatarError) as bad,
    ):
        wrong.get_credits()
    errors.append(bad.value)
    texts += [str(e) for e in errors] + [repr(e) for e in errors] + [str(e.args) for e in errors]
    texts += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    texts += [caplog.text]
    assert any("retrying" in t for t in texts)  # the retry was logged...
    assert [t for t in texts if not secret_free(t, key)] == []  # ...and nothing shows the key


def test_a_server_echoing_the_key_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo = answer({"code": 401, "msg": f"invalid key {KEY}"}, status=200)
    with fake_client("crun", lambda request: echo) as client, pytest.raises(AvatarError) as caught:
        client.get_credits()
    assert "invalid key [redacted]" in str(caught.value)
    assert KEY not in repr(caught.value) and KEY not in caplog.text


def test_missing_key_is_reported_without_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRUN_API_KEY", raising=False)
    with pytest.raises(AvatarError, match="CRUN_API_KEY"):
        AvatarClient("crun")


def test_key_and_base_url_come_from_the_environment(
    mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APIKLEY_API_KEY", mock.apikley_key)
    monkeypatch.setenv("APIKLEY_BASE_URL", mock.base_url)
    with AvatarClient("apikley") as client:
        assert client.base_url == mock.base_url
        assert client.get_credits() == 100.0


@pytest.mark.parametrize("key", ["ключ-секрет", "two words", "tab\tkey"])
def test_a_key_no_header_can_carry_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(AvatarError) as caught:
        AvatarClient("apikley", api_key=key)
    assert key not in str(caught.value) and key not in repr(caught.value)
