"""`Receiver.mint`: the callback URL's nonce is known before the creation, and the handler is
given it back with the task, so a record saved under it is found without the task id."""

from __future__ import annotations

import asyncio
import threading

from kling_avatar import CallbackUrl, Receiver, Task
from kling_avatar.testing import MockServer

from .helpers import SECRET, client, media, served_receiver


def test_mint_gives_a_fresh_url_and_its_nonce_and_hides_the_url_in_repr() -> None:
    receiver = Receiver("https://videos.example/callbacks", secret=SECRET)
    first, second = receiver.mint("crun"), receiver.mint("apikley")
    assert isinstance(first, CallbackUrl) and first.provider == "crun"
    assert first.url.startswith(f"https://videos.example/callbacks/crun/{first.nonce}.")
    assert second.url.startswith(f"https://videos.example/callbacks/apikley/{second.nonce}.")
    assert first.nonce != second.nonce
    assert first.url not in repr(first) and first.nonce in repr(first)


def test_a_handler_taking_a_nonce_gets_the_one_of_the_url_the_callback_came_to(
    quick_mock: MockServer, provider: str
) -> None:
    seen: list[tuple[str, str]] = []
    handled = threading.Event()

    def finished(task: Task, nonce: str) -> None:
        seen.append((task.id, nonce))
        handled.set()

    with served_receiver(quick_mock) as served, client(quick_mock, provider) as c:
        served.receiver.handler = finished
        minted = served.receiver.mint(provider)
        created = c.create_task(**media(quick_mock), callback_url=minted.url)
        assert handled.wait(10)
    assert seen == [(created.id, minted.nonce)]


def test_an_async_handler_with_a_keyword_only_nonce_gets_it_too(quick_mock: MockServer) -> None:
    seen: list[str] = []
    handled = threading.Event()

    async def finished(task: Task, *, nonce: str) -> None:
        await asyncio.sleep(0)
        seen.append(nonce)
        handled.set()

    with served_receiver(quick_mock) as served, client(quick_mock, "crun") as c:
        served.receiver.handler = finished
        minted = served.receiver.mint("crun")
        c.create_task(**media(quick_mock), callback_url=minted.url)
        assert handled.wait(10)
    assert seen == [minted.nonce]
