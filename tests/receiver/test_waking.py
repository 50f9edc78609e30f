"""wait_for_task / generate with a receiver: they end when the callback comes, sync and async,
whatever thread or loop the receiver runs on, and still end when the callback is lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from kling_avatar import AsyncAvatarClient, Receiver, Task, TaskState, as_provider
from kling_avatar.testing import MockServer

from .helpers import SECRET, client, media, served_receiver

SLOW_POLL = 600.0  # the fallback poll: far longer than any of these tests may take


def status_reads(mock: MockServer) -> int:
    return mock.calls("getTaskInfo") + mock.calls("getTaskDetails")


def finish_after_first_read(mock: MockServer) -> Callable[[Task], None]:
    """An on_update that finishes every task at the mock once the waiter has seen it
    unfinished (so the callback always comes after the wait's first read)."""

    def on_update(task: Task) -> None:
        if not task.done:
            mock.advance(4 * 3600)

    return on_update


def test_generate_returns_on_the_callback_with_two_status_reads(
    slow_mock: MockServer, provider: str
) -> None:
    with (
        served_receiver(slow_mock, poll_interval=SLOW_POLL) as served,
        client(slow_mock, provider) as c,
    ):
        before = status_reads(slow_mock)
        started = time.monotonic()
        task = c.generate(
            **media(slow_mock),
            receiver=served.receiver,
            timeout=SLOW_POLL,
            on_update=finish_after_first_read(slow_mock),
        )
        assert time.monotonic() - started < SLOW_POLL / 2  # woken, not polled
        assert task.state is TaskState.SUCCEEDED
        # One read as the wait begins, one by the receiver to confirm the callback.
        assert status_reads(slow_mock) - before == 2
        assert [t.id for t in served.wait_handled(1)] == [task.id]


def test_async_wait_on_another_loop_is_woken_thread_safely(
    slow_mock: MockServer, provider: str
) -> None:
    """The receiver runs on uvicorn's loop in its own thread; the waiter on asyncio.run's."""
    with served_receiver(slow_mock, poll_interval=SLOW_POLL) as served:
        key = slow_mock.crun_key if provider == "crun" else slow_mock.apikley_key

        async def main() -> Task:
            name = as_provider(provider)
            async with AsyncAvatarClient(name, api_key=key, base_url=slow_mock.base_url) as c:
                url = served.receiver.callback_url(provider)
                created = await c.create_task(**media(slow_mock), callback_url=url)
                return await c.wait_for_task(
                    created.id,
                    receiver=served.receiver,
                    timeout=SLOW_POLL,
                    on_update=finish_after_first_read(slow_mock),
                )

        started = time.monotonic()
        task = asyncio.run(main())
        assert time.monotonic() - started < SLOW_POLL / 2
        assert task.state is TaskState.SUCCEEDED


def test_a_lost_callback_still_ends_the_wait_by_polling(slow_mock: MockServer) -> None:
    receiver = Receiver("http://127.0.0.1:1", secret=SECRET, poll_interval=0.2)
    with client(slow_mock, "crun") as c:
        created = c.create_task(**media(slow_mock), callback_url="http://127.0.0.1:9/lost")
        task = c.wait_for_task(
            created.id,
            receiver=receiver,
            timeout=60,
            on_update=finish_after_first_read(slow_mock),
        )
    assert task.state is TaskState.SUCCEEDED


def test_a_failed_task_from_the_callback_raises_like_a_polled_one(slow_mock: MockServer) -> None:
    from kling_avatar import GenerationFailedError

    with (
        served_receiver(slow_mock, poll_interval=SLOW_POLL) as served,
        client(slow_mock, "apikley") as c,
    ):
        slow_mock.fault("task_fail", fail_code="500", fail_msg="boom")
        try:
            c.generate(
                **media(slow_mock),
                receiver=served.receiver,
                timeout=SLOW_POLL,
                on_update=finish_after_first_read(slow_mock),
            )
        except GenerationFailedError as error:
            assert error.task is not None and error.task.error_message == "boom"
        else:
            raise AssertionError("no GenerationFailedError")
        slow_mock.clear_faults()


def test_a_watch_that_starts_after_the_callback_is_woken_at_once(
    quick_mock: MockServer, provider: str
) -> None:
    with served_receiver(quick_mock) as served, client(quick_mock, provider) as c:
        url = served.receiver.callback_url(provider)
        created = c.create_task(**media(quick_mock), callback_url=url)
        [done] = served.wait_handled(1)  # confirmed before anyone waits on it
        with served.receiver.watch(provider, created.id) as watch:
            assert watch.wait(SLOW_POLL) == done
            assert asyncio.run(watch.wait_async(SLOW_POLL)) == done
        other = next(p for p in ("crun", "apikley") if p != provider)
        with served.receiver.watch(other, created.id) as elsewhere:  # another provider's id
            assert elsewhere.wait(0.01) is None
