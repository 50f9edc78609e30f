"""Which schemathesis runs cover a provider's operations, and how each is made (no schemathesis
import: the command line plans, and says what it would run, without loading it)."""

from __future__ import annotations

import attrs

from ._providers import facts
from ._rules import PROVIDERS, TASK_CREATIONS, WRITE_OPERATIONS
from ._spec import operations

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
    for name, prefix, ordered in groups(provider):
        url = base_url.rstrip("/") + prefix
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


def groups(provider: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """The provider's operations by the server they are sent to, from its spec: (run name,
    the server's path under the API's base URL, operationIds). schemathesis sends a run to one
    base URL, so an operation with a server of its own (Apikley's uploads, under
    ``/file-upload``) goes in a run of its own."""
    by_prefix: dict[str, list[str]] = {}
    for op in operations(provider):
        by_prefix.setdefault(op.prefix, []).append(op.operation_id)
    names = facts(provider).server_names
    found = []
    for prefix, ids in sorted(by_prefix.items()):
        suffix = names.get(prefix) or prefix.strip("/").replace("/", "-")
        found.append((f"{provider}-{suffix}" if prefix else provider, prefix, tuple(sorted(ids))))
    return found
