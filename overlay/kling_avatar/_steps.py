"""The closed set of steps a flow yields, and the one way to resume a flow.

Every operation of the package (create, get, wait, upload, credits, download, route, confirm a
callback) is a generator, a "flow", that does no I/O: it yields one of these steps and receives
its outcome, the reply sent in or the failure thrown in. Two drivers interpret them
(`_drive.run_sync`, `_drive.run_async`), the only places where a step turns into I/O; so the
blocking and the asyncio forms of every operation cannot drift apart.

=========  ==========================================  ======================================
step       what the driver does                        reply / thrown in
=========  ==========================================  ======================================
`Send`     one request on the step's channel, in one   the answer (read, within its cap) /
           of its concurrency slots, within its        httpx's transport error, or
           timeout                                     ResponseTooLargeError
`Fetch`    streams a download into its file, in a      the path saved / DownloadError
           slot of the channel, within its timeout
`Sleep`    pauses (on the step's clock, else the       the task a receiver woke it with, or
           machine's); a `wake` cuts it short          None
`Notify`   calls the caller's callback (awaiting it    None / what the callback raised
           when it returns an awaitable)
`Call`     calls a function (a store's method); the     its result / what it raised
           async driver its `coroutine` form, else in
           a thread
=========  ==========================================  ======================================

A channel (`_transport.SyncChannel` / `AsyncChannel`) is one client's connections; the flows
carry it opaquely, so one flow may use several clients' (the router's).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias, TypeVar

import attrs

if TYPE_CHECKING:
    from ._download import DownloadPlan
    from ._models import Task
    from ._providers import Server

__all__ = [
    "Call",
    "Clock",
    "Done",
    "Fetch",
    "Flow",
    "Notify",
    "Send",
    "Sleep",
    "Step",
    "Wake",
    "advance",
]

T = TypeVar("T")
StepT = TypeVar("StepT")


class Clock(Protocol):
    """Time for a client other than the machine's (``kling_avatar.testing.MockClock``)."""

    def monotonic(self) -> float: ...
    def time(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...
    async def async_sleep(self, seconds: float) -> None: ...


class Wake(Protocol):
    """What cuts a pause short: the receiver's watch on one task (`_receiver.Watch`)."""

    def wait(self, seconds: float) -> Task | None: ...
    async def wait_async(self, seconds: float) -> Task | None: ...
    def close(self) -> None: ...


@attrs.frozen
class Send:
    channel: Any = attrs.field(repr=False)
    server: Server
    kwargs: dict[str, Any] = attrs.field(repr=False)


@attrs.frozen
class Fetch:
    channel: Any = attrs.field(repr=False)
    plan: DownloadPlan = attrs.field(repr=False)


@attrs.frozen
class Sleep:
    seconds: float
    wake: Wake | None = None
    clock: Clock | None = None


@attrs.frozen
class Notify:
    callback: Callable[[Any], object]
    value: object


@attrs.frozen
class Call:
    function: Callable[..., object]
    args: tuple[object, ...] = ()
    # The same call's asyncio form, where the callee has one (the stores' `*_async`).
    coroutine: Callable[..., Awaitable[object]] | None = None


@attrs.frozen
class Done(Generic[T]):
    value: T


Step: TypeAlias = Send | Fetch | Sleep | Notify | Call
Flow: TypeAlias = Generator[Step, Any, T]


def advance(
    flow: Generator[StepT, Any, T], reply: object, error: BaseException | None
) -> StepT | Done[T]:
    """Resumes `flow` with the outcome of its last step; the next step, or its result."""
    try:
        return flow.throw(error) if error is not None else flow.send(reply)
    except StopIteration as stop:
        done: Done[T] = Done(stop.value)
        return done
