"""What a test scripts and reads on a mock, served on a port (MockServer) or in process."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Mapping
from typing import Any, Unpack

from .._registry import PROVIDERS, Provider
from ._accounts import second_key
from ._faults import Fault, make_fault
from ._lookup import provider_mocks
from ._outgoing import CallbackDelivery
from ._providers._names import OPTION_SPELLINGS, ProviderKeys, ProviderOptions
from ._state import (
    DEFAULT_CALLBACK_ATTEMPTS,
    DEFAULT_CALLBACK_BACKOFF,
    DEFAULT_EXPIRE_AFTER,
    MockState,
)


class MockControls(ProviderKeys):
    """The state of one mock and the calls that script it (faults, clock, credits).

    ``keys`` and ``other_keys`` are each provider's two accounts' keys (by default the key in
    the provider's environment variable, else its DEFAULT_<NAME>_KEY, and for the second
    account that key plus ``-second-account``); ``null_reads`` the reads of each new task of a
    provider that find no task yet. Each may also be given one provider at a time:
    ``crun_key=``, ``other_crun_key=``, ``apikley_null_reads=``.
    """

    def __init__(
        self,
        *,
        step: float = 0.0,
        credits: float = 100.0,
        seed: int | None = None,
        webhook_key: str | None = None,
        keys: Mapping[Provider, str] | None = None,
        other_keys: Mapping[Provider, str] | None = None,
        null_reads: Mapping[Provider, int] | None = None,
        callback_attempts: int = DEFAULT_CALLBACK_ATTEMPTS,
        callback_backoff: float = DEFAULT_CALLBACK_BACKOFF,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        expire_after: float = DEFAULT_EXPIRE_AFTER,
        **per_provider: Unpack[ProviderOptions],
    ) -> None:
        given = _per_provider(
            {"keys": keys, "other_keys": other_keys, "null_reads": null_reads}, per_provider
        )
        kinds = provider_mocks()
        self.keys = {
            name: given["keys"].get(name) or os.environ.get(kind.key_variable) or kind.default_key
            for name, kind in kinds.items()
        }
        # A second account per provider: its tasks are not the first one's to read.
        self.other_keys = {
            name: given["other_keys"].get(name) or second_key(key)
            for name, key in self.keys.items()
        }
        for name, count in given["null_reads"].items():
            if count and kinds[name].null_read is None:
                raise ValueError(f"{name}'s tasks are readable at once: it takes no null reads")
        self.state = MockState(
            step=step,
            credits=credits,
            seed=seed,
            webhook_key=webhook_key,
            keys=self.keys,
            other_keys=self.other_keys,
            null_reads=given["null_reads"],
            callback_attempts=callback_attempts,
            callback_backoff=callback_backoff,
            rate_limits=rate_limits,
            expire_after=expire_after,
        )

    # -- scripting ---------------------------------------------------------------------

    def fault(
        self,
        kind: str,
        operation: str | None = None,
        *,
        times: int | None = 1,
        rate: float = 1.0,
        **params: Any,
    ) -> Fault:
        """Misbehave on the next ``times`` calls of ``operation`` (any operation when None).

        Kinds and their options: ``envelope`` (code, message), ``http`` (status, retry_after:
        seconds or an HTTP-date, message), ``slow`` (delay), ``drop`` (after: carry the
        request out, then drop the answer), ``truncated``,
        ``non_json``, ``task_fail`` (fail_code, fail_msg). ``times=None``: every call;
        ``rate`` < 1 fires at random, reproducibly for a given seed.
        """
        fault = make_fault(kind, operation, times=times, rate=rate, **params)
        self.state.faults.add(fault)
        return fault

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def calls(self, operation: str) -> int:
        """How many requests reached ``operation`` (faulted and rejected ones included)."""
        with self.state.lock:
            return self.state.calls[operation]

    @property
    def callbacks(self) -> list[CallbackDelivery]:
        """Every callback POST made so far, one entry per attempt (status or error, retry_in)."""
        with self.state.lock:
            return list(self.state.callbacks)

    def wait_callbacks(self, count: int, timeout: float = 5.0) -> list[CallbackDelivery]:
        """Wait until at least ``count`` callback attempts were made; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.state.callbacks) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(self.state.callbacks)} of {count} callbacks after {timeout} s"
                )
            time.sleep(0.01)
        return self.callbacks

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until no callback delivery or other background work is in progress.

        A callback waiting for its next attempt counts as in progress: with the default retries
        that is hours, so tests that wait for it shorten ``callback_backoff`` or ``advance``.
        """
        deadline = time.monotonic() + timeout
        while self.state.background:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the mock was still busy after {timeout} s")
            time.sleep(0.01)

    @property
    def step(self) -> float:
        """Seconds a task spends in each state before it ends (a crun task has two states,
        an Apikley task three). Setting it changes the tasks created from then on; each task
        keeps the step it was created with."""
        return self.state.step

    @step.setter
    def step(self, seconds: float) -> None:
        if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds >= 0):
            raise ValueError("step must be a finite number of seconds >= 0")
        with self.state.lock:
            self.state.step = float(seconds)

    def advance(self, seconds: float) -> None:
        """Move the mock's clock forward, so tasks progress without waiting for ``step``.

        Tasks whose time is up finish at once (their callbacks are sent); timestamps in
        answers move with the clock.
        """
        self.state.advance(seconds)

    def set_credits(self, value: float, provider: Provider | None = None) -> None:
        """Set the balance (every provider's accounts unless ``provider`` says which)."""
        self.state.set_credits(value, provider)

    def credits(self, provider: Provider) -> float:
        with self.state.lock:
            return self.state.balances[provider]

    @property
    def errors(self) -> list[str]:
        """Exceptions the mock raised while answering (each was answered as envelope 500).

        Always empty unless the mock has a bug; the pytest fixture fails a test otherwise.
        """
        with self.state.lock:
            return list(self.state.errors)


def _per_provider(
    generic: Mapping[str, Mapping[Provider, Any] | None], spelled: Mapping[str, Any]
) -> dict[str, dict[Provider, Any]]:
    """The generic options (``keys``, ...), with those given one provider at a time merged in.

    Unknown names are refused as Python refuses an unexpected keyword, and so is an option
    given both ways for one provider.
    """
    merged: dict[str, dict[Provider, Any]] = {}
    for option, values in generic.items():
        values = dict(values or {})
        unknown = set(values) - set(PROVIDERS)
        if unknown:
            raise ValueError(f"{option}: no provider {sorted(unknown)[0]!r}")
        merged[option] = values
    names = {
        spelling.format(name): (option, name)
        for option, spelling in OPTION_SPELLINGS.items()
        for name in PROVIDERS
    }
    for argument, value in spelled.items():
        if argument not in names:
            raise TypeError(f"got an unexpected keyword argument {argument!r}")
        option, name = names[argument]
        if value is None:
            continue
        if name in merged[option]:
            raise ValueError(f"{argument} and {option}[{name!r}] both given")
        merged[option][name] = value
    return merged
