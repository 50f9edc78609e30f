"""Tasks as every provider's handlers see them: created (the rate limit, the charge, the
faults scripted for it) and found again by the account that created them."""

from __future__ import annotations

from typing import Any

from .._registry import Provider
from ._accounts import ACCOUNT
from ._ratelimit import RateLimited
from ._state import Lifecycle, MockState, Task


def admit(state: MockState, provider: Provider, cost: float) -> bool:
    """Let one creation through the rate limit and charge it; False when credits are short.

    Over the limit nothing is charged or created: RateLimited is raised (answered as HTTP 429).
    """
    account = state.keys[provider]
    now = state.monotonic()
    wait = state.rate_limiter.admit(provider, account, now)
    if wait is not None:
        raise RateLimited(wait)
    if not state.charge(provider, cost):
        state.rate_limiter.refund(provider, account, now)  # no task, so no creation counted
        return False
    return True


def start_task(
    state: MockState,
    provider: Provider,
    lifecycle: Lifecycle,
    *,
    task_id: str,
    operation_id: str,
    model: str,
    param: dict[str, Any],
    callback_url: str | None,
    cost: float,
) -> Task:
    """A new task of the account the request's key is of, running from now."""
    task = Task(
        provider=provider,
        lifecycle=lifecycle,
        id=task_id,
        model=model,
        param=param,
        callback_url=callback_url,
        cost=cost,
        created_wall=state.wall(),
        created_mono=state.monotonic(),
        step=state.step,
        null_reads_left=state.null_reads.get(provider, 0),
        account=ACCOUNT.get(),
    )
    fault = state.faults.take(operation_id, ("task_fail",))
    if fault is not None:
        task.outcome = "fail"
        task.fail_code = str(fault.get("fail_code"))
        task.fail_msg = str(fault.get("fail_msg"))
    state.add_task(task)
    return task


def own_task(state: MockState, provider: Provider, task_id: str) -> Task | None:
    """The provider's task ``task_id``, if the account of this request's key created it."""
    task = state.tasks.get(task_id)
    if task is None or task.provider != provider or task.account != ACCOUNT.get():
        return None
    return task
