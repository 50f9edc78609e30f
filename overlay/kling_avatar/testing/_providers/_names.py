"""The names users know each provider's options by, written out for a type checker to see.

``DEFAULT_CRUN_KEY``, ``MockServer(crun_key=...)``, ``mock.crun_key``: each is a spelling of
something generic (``mock.keys["crun"]``, ``MockServer(keys=...)``), so a provider added later
needs none of them to work, only lines here to be spelled the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from ..._registry import Provider
from .apikley import DEFAULT_KEY as DEFAULT_APIKLEY_KEY
from .crun import DEFAULT_KEY as DEFAULT_CRUN_KEY

__all__ = ["DEFAULT_APIKLEY_KEY", "DEFAULT_CRUN_KEY"]


class ProviderOptions(TypedDict, total=False):
    """The per-provider keyword arguments of MockServer and InProcessMock."""

    crun_key: str | None  # keys[...]: the main account's key
    apikley_key: str | None
    other_crun_key: str | None  # other_keys[...]: the second account's key
    other_apikley_key: str | None
    apikley_null_reads: int  # null_reads[...]


# How each option above is read: its name is the generic option's, spelled for one provider.
OPTION_SPELLINGS = {"keys": "{}_key", "other_keys": "other_{}_key", "null_reads": "{}_null_reads"}


class ProviderKeys:
    """Each provider's two keys as attributes of a mock (``mock.crun_key``)."""

    keys: Mapping[Provider, str]
    other_keys: Mapping[Provider, str]

    @property
    def crun_key(self) -> str:
        return self.keys["crun"]

    @property
    def apikley_key(self) -> str:
        return self.keys["apikley"]

    @property
    def other_crun_key(self) -> str:
        return self.other_keys["crun"]

    @property
    def other_apikley_key(self) -> str:
        return self.other_keys["apikley"]
