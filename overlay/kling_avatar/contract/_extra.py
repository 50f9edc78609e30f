"""Whether the ``contract`` extra is installed, asked before anything imports it."""

from __future__ import annotations

import importlib.util

CONTRACT_EXTRA = ("schemathesis", "openapi_core", "yaml", "openapi_schema_validator", "uvicorn")


def require_extra() -> None:
    """Raise ModuleNotFoundError saying which extra to install when a part of it is missing."""
    missing = [name for name in CONTRACT_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise ModuleNotFoundError(
            f"kling_avatar.contract needs the `contract` extra, which is not installed (no module"
            f" {missing[0]!r}): pip install 'kling-avatar[contract]', or the same extra of the"
            f" wheel or git URL you installed from",
            name=missing[0],
        )
