"""The providers this package knows, and where each one's module is.

Besides the provider modules themselves, this is the only file that names a provider. Every
other part (clients, router, receiver, CLI, mock, contract suite) iterates `PROVIDERS` and loads
what it needs by the same convention: the provider's module is `kling_avatar._providers.<name>`
(the mock's `kling_avatar.testing._providers.<name>`, the contract suite's facts
`kling_avatar.contract._providers.<name>`). Adding a provider is adding its modules and one line
in each of the two names below.

`Provider` is the `Literal` that mypy checks calls against; `PROVIDERS` the same names at run
time (a test keeps the two equal). This module imports nothing of the package, so that every
layer may read it.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, cast

__all__ = ["PROVIDERS", "Provider", "is_provider", "module_of"]

Provider: TypeAlias = Literal["crun", "apikley", "fal"]
# In the router's default order of priority.
PROVIDERS: tuple[Provider, ...] = ("apikley", "crun", "fal")


def is_provider(value: object) -> bool:
    """Whether `value` names a provider (the checked way from a `str` is `as_provider`)."""
    return isinstance(value, str) and value in PROVIDERS


def module_of(name: Provider, part: str = "kling_avatar._providers") -> str:
    """The module of provider `name` within `part` (the client's, the mock's, the suite's)."""
    return f"{part}.{cast(str, name)}"
