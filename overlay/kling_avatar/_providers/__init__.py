"""The provider adapters: one module per provider (`<name>.py`, found through `_registry`), and
what they share (`_base`). Nothing outside those modules knows a provider's facts: everything
else asks `adapter_class(name)`."""

from __future__ import annotations

import importlib
from typing import cast

from .._exceptions import InvalidRequestError
from .._registry import PROVIDERS, Provider, is_provider, module_of
from ._base import (
    NOT_JSON,
    Adapter,
    GeneratedClient,
    Json,
    Operation,
    Read,
    Reader,
    Request,
    Server,
    Steps,
    UploadSteps,
    decode_json,
    message_of,
)

__all__ = [
    "NOT_JSON",
    "PROVIDERS",
    "Adapter",
    "GeneratedClient",
    "Json",
    "Operation",
    "Read",
    "Reader",
    "Request",
    "Server",
    "Steps",
    "UploadSteps",
    "adapter_class",
    "as_provider",
    "auth_headers",
    "decode_json",
    "key_variable",
    "message_of",
]


def as_provider(value: object) -> Provider:
    """`value` as a `Provider`, for a name known only at run time (a setting, an argument):
    the client signatures take the `Literal`, so that a typo is a type error, and this is the
    checked way from a `str` to it. Anything else raises InvalidRequestError (code 422)."""
    if is_provider(value):
        return cast(Provider, value)
    names = " or ".join(repr(name) for name in PROVIDERS)
    raise InvalidRequestError(f"provider: must be {names}, got {value!r:.80}", field="provider")


def adapter_class(provider: object) -> type[Adapter]:
    """The provider's adapter; its module (and generated client) is imported on first use."""
    module = importlib.import_module(module_of(as_provider(provider)))
    return cast(type[Adapter], module.ADAPTER)


def key_variable(provider: object) -> str:
    """The environment variable that holds the provider's API key."""
    return adapter_class(provider).key_env


def auth_headers(provider: object, key: str) -> dict[str, str]:
    """The header that carries ``key`` to the provider, as its clients send it."""
    cls = adapter_class(provider)
    return {cls.auth_header: f"{cls.auth_prefix} {key}" if cls.auth_prefix else key}
