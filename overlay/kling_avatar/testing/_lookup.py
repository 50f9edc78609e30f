"""Each provider's ``ProviderMock``, found from ``kling_avatar._registry``'s names.

The one place the shared parts of the mock reach the provider modules: by their names, so that
a provider added to the registry (with its module in ``_providers/``) is served with no change
here. Only modules above the provider modules use it (the app, the controls, the command line);
the provider modules import only what is below, so no import goes round in a circle.
"""

from __future__ import annotations

import importlib
from functools import cache

from .._registry import PROVIDERS, Provider, module_of
from ._provider_mock import ProviderMock

PACKAGE = f"{__package__}._providers"


@cache
def provider_mocks() -> dict[Provider, ProviderMock]:
    """Every provider's part of the mock, in the registry's order."""
    found: dict[Provider, ProviderMock] = {}
    for name in PROVIDERS:
        module = importlib.import_module(module_of(name, PACKAGE))
        declared = getattr(module, "MOCK", None)
        if not isinstance(declared, ProviderMock) or declared.name != name:
            raise TypeError(f"{module.__name__} declares no ProviderMock named {name!r} as MOCK")
        found[name] = declared
    return found


def provider_mock(name: Provider) -> ProviderMock:
    return provider_mocks()[name]
