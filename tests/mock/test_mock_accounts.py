"""The mock serves two accounts per provider: a task is read only with the key that created it,
as a real provider scopes tasks to an account (sync and async clients alike)."""

from __future__ import annotations

import asyncio
from typing import Literal

import pytest
from kling_avatar import AsyncAvatarClient, AvatarClient, NotFoundError
from kling_avatar.testing import MockServer

IMAGE = "https://example.com/portrait.png"
AUDIO = "https://example.com/voice.wav"


def _keys(mock: MockServer, provider: str) -> tuple[str, str]:
    if provider == "crun":
        return mock.crun_key, mock.other_crun_key
    return mock.apikley_key, mock.other_apikley_key


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_task_is_not_readable_with_the_other_accounts_key(
    provider: Literal["crun", "apikley"],
) -> None:
    with MockServer(step=0.0, seed=0) as mock:
        first, second = _keys(mock, provider)
        assert first != second
        with (
            AvatarClient(provider, api_key=first, base_url=mock.base_url) as owner,
            AvatarClient(provider, api_key=second, base_url=mock.base_url) as other,
        ):
            mine = owner.create_task(image_url=IMAGE, audio_url=AUDIO)
            theirs = other.create_task(image_url=IMAGE, audio_url=AUDIO)
            assert owner.get_task(mine.id).id == mine.id
            assert other.get_task(theirs.id).id == theirs.id
            with pytest.raises(NotFoundError):
                other.get_task(mine.id)
            with pytest.raises(NotFoundError):
                owner.get_task(theirs.id)


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_async_a_task_is_not_readable_with_the_other_accounts_key(
    provider: Literal["crun", "apikley"],
) -> None:
    async def scenario(mock: MockServer) -> None:
        first, second = _keys(mock, provider)
        async with (
            AsyncAvatarClient(provider, api_key=first, base_url=mock.base_url) as owner,
            AsyncAvatarClient(provider, api_key=second, base_url=mock.base_url) as other,
        ):
            mine = await owner.create_task(image_url=IMAGE, audio_url=AUDIO)
            assert (await owner.get_task(mine.id)).id == mine.id
            with pytest.raises(NotFoundError):
                await other.get_task(mine.id)

    with MockServer(step=0.0, seed=0) as mock:
        asyncio.run(scenario(mock))
