"""The two drivers: where a flow's steps (`_steps`) become I/O, blocking or awaited.

Each resumes the flow with the step's outcome: its reply, or the exception it raised thrown in,
so that the flow decides what a failure means (a retry, a failover, a task that must not be
hidden). Only what is not an `Exception` (Ctrl-C, a cancel) passes by the flow: it is closed.
"""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, TypeVar

from ._steps import Call, Done, Fetch, Flow, Notify, Send, Sleep, Step, advance

if TYPE_CHECKING:
    from ._transport import AsyncChannel, SyncChannel

__all__ = ["run_async", "run_sync"]

T = TypeVar("T")


def run_sync(flow: Flow[T]) -> T:
    """Drives `flow` to its end, blocking; its result."""
    reply: object = None
    error: BaseException | None = None
    try:
        while not isinstance(step := advance(flow, reply, error), Done):
            reply, error = None, None
            try:
                reply = _perform_sync(step)
            except Exception as exc:
                error = exc
        return step.value
    finally:
        flow.close()


def _perform_sync(step: Step) -> object:
    if isinstance(step, Send):
        channel: SyncChannel = step.channel
        return channel.send(step.server, step.kwargs)
    if isinstance(step, Sleep):
        if step.wake is not None:  # woken from the receiver's thread when the callback comes
            return step.wake.wait(step.seconds)
        if step.clock is not None:
            step.clock.sleep(step.seconds)
        else:
            time.sleep(step.seconds)
        return None
    if isinstance(step, Notify):
        step.callback(step.value)
        return None
    if isinstance(step, Fetch):
        fetching: SyncChannel = step.channel
        return fetching.fetch(step.plan)
    if isinstance(step, Call):
        return step.function(*step.args)
    raise TypeError(f"not a step: {step!r:.100}")


async def run_async(flow: Flow[T]) -> T:
    """Drives `flow` to its end on the running event loop; its result."""
    reply: object = None
    error: BaseException | None = None
    try:
        while not isinstance(step := advance(flow, reply, error), Done):
            reply, error = None, None
            try:
                reply = await _perform_async(step)
            except Exception as exc:
                error = exc
        return step.value
    finally:
        flow.close()


async def _perform_async(step: Step) -> object:
    import asyncio  # here: the blocking client and the command line never load asyncio

    if isinstance(step, Send):
        channel: AsyncChannel = step.channel
        return await channel.send(step.server, step.kwargs)
    if isinstance(step, Sleep):
        if step.wake is not None:  # the receiver may run on another loop or thread
            return await step.wake.wait_async(step.seconds)
        if step.clock is not None:
            await step.clock.async_sleep(step.seconds)
        else:
            await asyncio.sleep(step.seconds)
        return None
    if isinstance(step, Notify):
        result = step.callback(step.value)
        if inspect.isawaitable(result):
            await result
        return None
    if isinstance(step, Fetch):
        fetching: AsyncChannel = step.channel
        return await fetching.fetch(step.plan)
    if isinstance(step, Call):
        if step.coroutine is not None:
            return await step.coroutine(*step.args)
        return await asyncio.to_thread(step.function, *step.args)
    raise TypeError(f"not a step: {step!r:.100}")
