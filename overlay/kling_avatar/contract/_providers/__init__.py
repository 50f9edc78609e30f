"""What the contract suite knows of each provider beyond its spec.

The specs say most of it as data (operations, servers, schemas, states, callbacks), and the
suite reads that from them (`_spec.py`). What they do not say as data is here, one module per
provider (`kling_avatar.contract._providers.<name>`, found by the registry's convention), each
defining ``FACTS``: which fields of a task answer the lifecycle checks read, which operations
create a task, store a file or look something up, what "not found" looks like, which of
schemathesis's built-in checks its answers defeat, and what the suite calls the runs of an
operation server of the provider's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from typing import cast

import attrs

from ..._registry import Provider, is_provider, module_of

__all__ = ["ENVELOPE_DEFEATS", "ContractFacts", "NotFound", "TaskShape", "facts"]

# The built-in checks an envelope defeats (an accepted invalid body and a rejected one both
# answer HTTP 200): a provider with an envelope has them replaced.
ENVELOPE_DEFEATS = (
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
)


@attrs.frozen
class TaskShape:
    """Where one provider's task answers keep what the lifecycle checks read."""

    provider: str
    create: str  # operationIds
    read: str
    balance: str | None  # None: the provider has no balance to read
    id_param: str  # the read operation's parameter holding the id (in its query or its path)
    created_id: str  # the field of the creation answer's task holding the id
    state: str  # fields of the task object
    created_at: str | None  # None: the task reports no such time
    completed_at: str | None
    success: str  # the success state; every other terminal state is a failure
    results: tuple[str, ...]  # path to the result URLs (a list, or one URL); "@json" decodes
    failure_fields: tuple[tuple[str, ...], ...]
    cost: str | None  # the field reporting what the task cost, when the provider reports it
    balance_path: tuple[str, ...]  # path in the balance answer's envelope
    not_found: tuple[int, ...]  # envelope codes a just-created task may read as
    # Whether answers are the envelope {code, msg, data} under HTTP 200 with the task in
    # `data`; False: the answer (any 2xx) is the task itself, errors are HTTP statuses.
    envelope: bool = True
    # Where the creation request keeps image_url and audio_url: its `input` object, or () the
    # body itself.
    inputs: tuple[str, ...] = ("input",)
    # The operation (by the task's id) whose answer holds `results` once the task succeeded;
    # None: the read's task holds them.
    result: str | None = None
    # Fields whose presence makes a task in the `success` state a failed one (fal's failed
    # COMPLETED carries `error` and `error_type`).
    failure_marks: tuple[tuple[str, ...], ...] = ()
    # The callback's own value of `state` meaning success, when its states are not the task's
    # (fal's webhook says OK or ERROR); None: the task's.
    callback_success: str | None = None
    # Path to the result URLs in a callback's task, when not `results`.
    callback_results: tuple[str, ...] | None = None


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
    # The name of the runs sent to an operation server of the provider's own, by its path, or
    # its URL where it is another host (schemathesis sends each run to one base URL); unnamed
    # ones are called after the path or the host.
    server_names: Mapping[str, str] = attrs.field(factory=dict)
    # Operations that create a task as well as the shape's `create` (fal's other endpoints).
    other_creations: frozenset[str] = frozenset()
    # Answers to a valid request that the state of what it names explains (fal: a result not
    # ready yet or a cancel too late, 400; the result of a failed request, 422): correct, not
    # a rejection of valid data.
    not_now: tuple[NotFound, ...] = ()
    # The built-in schemathesis checks this provider's answers defeat (the envelope: errors as
    # HTTP 200 with a body `code`), replaced by the envelope-aware ones of `_checks.py` in its
    # runs; the others keep every built-in.
    replaced_checks: tuple[str, ...] = ()

    @property
    def creations(self) -> frozenset[str]:
        """Operations that create a task (and spend credits)."""
        return self.other_creations | {self.shape.create}

    @property
    def writes(self) -> frozenset[str]:
        """Operations that create something: a task (credits) or a stored file."""
        return self.uploads | self.creations


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
