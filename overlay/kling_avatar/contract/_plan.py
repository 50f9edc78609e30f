"""Which schemathesis runs cover a provider's operations, and how each is made (no schemathesis
import: the command line plans, and says what it would run, without loading it)."""

from __future__ import annotations

from urllib.parse import urlsplit

import attrs

from ._providers import facts
from ._rules import PROVIDERS, TASK_CREATIONS, WRITE_OPERATIONS
from ._spec import Operation, api_origins, operations

ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
UNIT_PHASES = ("examples", "coverage", "fuzzing")
# Where generated callback and media URLs point against a real provider (a reserved domain).
LIVE_SAFE_URL = "https://example.com/kling-avatar-contract"


@attrs.frozen
class Run:
    """One schemathesis run: a spec, a base URL, the operations sent there and how."""

    name: str
    provider: str
    base_url: str
    operations: tuple[str, ...]  # operationIds
    phases: tuple[str, ...] = ALL_PHASES
    mode: str = "all"  # schemathesis's generation mode: positive, negative or all
    safe_url: str = LIVE_SAFE_URL


def plan(provider: str, base_url: str, *, allow_create: bool) -> list[Run]:
    """The schemathesis runs that cover one provider's operations."""
    if provider not in PROVIDERS:
        raise ValueError(f"no such provider {provider!r}: the providers are {PROVIDERS}")
    runs = []
    # At the provider's own API, an operation on another host of its goes there; anywhere else
    # (the mock, a proxy) one base URL serves it all.
    parts = urlsplit(base_url)
    at_the_api = f"{parts.scheme}://{parts.netloc}" in api_origins(provider)
    for name, origin, prefix, ordered in groups(provider, by_host=at_the_api):
        url = (origin or base_url.rstrip("/")) + prefix
        if allow_create:
            # The stateful phase follows the specs' links, which start at task creation.
            linked = any(op in TASK_CREATIONS for op in ordered)
            runs.append(Run(name, provider, url, ordered, ALL_PHASES if linked else UNIT_PHASES))
            continue
        # Without the opt-in, reads get valid and invalid data and writes invalid data only
        # (the hooks' `filter_case` keeps just the requests that cannot succeed). The
        # stateful phase starts by creating a task, and the examples of writes are valid
        # requests, so neither runs.
        reads = tuple(op for op in ordered if op not in WRITE_OPERATIONS)
        writes = tuple(op for op in ordered if op in WRITE_OPERATIONS)
        if reads:
            runs.append(Run(name, provider, url, reads, UNIT_PHASES))
        if writes:
            negative = ("coverage", "fuzzing")
            runs.append(Run(f"{name}-writes", provider, url, writes, negative, mode="negative"))
    return runs


def groups(
    provider: str, *, by_host: bool = False
) -> list[tuple[str, str | None, str, tuple[str, ...]]]:
    """The provider's operations by the server they are sent to, from its spec: (run name, the
    server's origin when ``by_host`` and it is another host than the API's, else None; its
    path under the base URL; operationIds). schemathesis sends a run to one base URL, so an
    operation with a server of its own (Apikley's uploads, under ``/file-upload``; with
    ``by_host``, fal's storage at rest.fal.ai) goes in a run of its own."""
    by_server: dict[tuple[str, str], list[str]] = {}
    for op in operations(provider):
        origin = op.origin if by_host and op.origin else ""
        by_server.setdefault((origin, op.prefix if origin else _local(op)), []).append(
            op.operation_id
        )
    names = facts(provider).server_names
    found = []
    for (origin, prefix), ids in sorted(by_server.items()):
        where = origin + prefix
        suffix = names.get(where) or urlsplit(where).netloc or where.strip("/").replace("/", "-")
        name = f"{provider}-{suffix}" if where else provider
        found.append((name, origin or None, prefix, tuple(sorted(ids))))
    return found


def _local(op: Operation) -> str:
    """The operation's path prefix under one base URL serving everything (its server's path
    on another host is the API's own: fal's storage and keys are at the root)."""
    return "" if op.origin else op.prefix
