"""What the contract suite knows of each provider beyond its spec.

The specs say most of it as data (operations, servers, schemas, states, callbacks), and the
suite reads that from them (`_spec.py`). What they do not say as data is here, one module per
provider (`kling_avatar.contract._providers.<name>`, found by the registry's convention), each
defining ``FACTS``: which fields of a task answer the lifecycle checks read, which operations
store a file or look something up, what "not found" looks like, and what the suite calls the
runs of an operation server of the provider's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import cast

import attrs

from ..._registry import Provider, is_provider, module_of

__all__ = ["ContractFacts", "NotFound", "TaskShape", "facts"]


@attrs.frozen
class TaskShape:
    """Where one provider's task answers keep what the lifecycle checks read."""

    provider: str
    create: str  # operationIds
    read: str
    balance: str
    id_param: str  # the read operation's query parameter
    created_id: str  # the field of the creation answer's data holding the id
    state: str  # fields of the task object
    created_at: str
    completed_at: str
    success: str  # the success state; every other terminal state is a failure
    results: tuple[str, ...]  # path to the result URLs; "@json" decodes a JSON string
    failure_fields: tuple[tuple[str, ...], ...]
    cost: str | None  # the field reporting what the task cost, when the provider reports it
    balance_path: tuple[str, ...]  # path in the balance answer's envelope
    not_found: tuple[int, ...]  # envelope codes a just-created task may read as


@attrs.frozen
class NotFound:
    """An answer that says "no such id or URL": a correct answer to a well-formed request for
    something that does not exist."""

    status: int  # the effective status: the HTTP one, or the body's `code` under HTTP 200
    message: str | None = None  # the body's `msg` / `message`, when the status alone does not say
    operation: str | None = None  # only from this operationId


@attrs.frozen
class ContractFacts:
    shape: TaskShape
    # Operations that store a file (the task creation is the shape's `create`).
    uploads: frozenset[str]
    # Operations that look something up by id or URL, whose answer to an unknown one is one of
    # `not_found`.
    lookups: frozenset[str]
    not_found: tuple[NotFound, ...]
    # The name of the runs sent to an operation server of the provider's own, by its path
    # (schemathesis sends each run to one base URL); unnamed ones are called after the path.
    server_names: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def writes(self) -> frozenset[str]:
        """Operations that create something: a task (credits) or a stored file."""
        return self.uploads | {self.shape.create}


@cache
def facts(provider: str) -> ContractFacts:
    """The contract facts of ``provider``, from its module."""
    if not is_provider(provider):
        raise ValueError(f"no contract facts for {provider!r}: not a provider")
    module = importlib.import_module(module_of(cast(Provider, provider), __name__))
    found = module.FACTS
    if not isinstance(found, ContractFacts):
        raise TypeError(f"{module.__name__}.FACTS is not a ContractFacts")
    return found
