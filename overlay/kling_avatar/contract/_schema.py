"""The provider's spec as a schemathesis schema, for schemathesis's own Python API.

    schema = kling_avatar.contract.openapi_schema("crun", base_url=mock.base_url, key=mock.crun_key)
    operation = schema["/api/v1/client/account/balance"]["GET"]

    @hypothesis.given(operation.as_strategy())
    def test_balance(case):
        case.call_and_validate()  # with the envelope-aware checks of kling_avatar.contract.hooks

The hooks module is loaded first, so the checks run in process are the suite's: the four the
envelope defeats replaced, Apikley's uploads sent to their server. The whole suite (its phases,
the lifecycle, coverage, reports) is :func:`run_suite`'s.
"""

from __future__ import annotations

from typing import Any

from .._providers import auth_headers
from . import hooks  # noqa: F401 (registers the checks and hooks, unregisters the replaced ones)
from ._spec import spec_path


def openapi_schema(provider: str, *, base_url: str, key: str) -> Any:
    """The installed spec of ``provider`` loaded by schemathesis, sending to ``base_url`` with
    ``key`` in the provider's own header."""
    import schemathesis

    header = auth_headers(provider, key)
    schema = schemathesis.openapi.from_path(spec_path(provider))
    schema.config.update(base_url=base_url, headers=header)
    return schema
