"""What the suite sends where: every operation of both specs, and no valid write without the
opt-in."""

from __future__ import annotations

import pytest
from kling_avatar.contract import PROVIDERS, WRITE_OPERATIONS, plan
from kling_avatar.contract._providers import ENVELOPE_DEFEATS, facts

from specs import load_spec, operations


@pytest.mark.parametrize("allow_create", [True, False])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_operation_of_the_spec_is_run(provider: str, allow_create: bool) -> None:
    runs = plan(provider, "https://api.example", allow_create=allow_create)

    covered = [op for run in runs for op in run.operations]
    assert sorted(covered) == sorted(operations(load_spec(provider)))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_without_opt_in_writes_get_invalid_data_only_and_no_stateful_phase(provider: str) -> None:
    for run in plan(provider, "https://api.example/", allow_create=False):
        assert "stateful" not in run.phases
        if set(run.operations) & WRITE_OPERATIONS:
            assert set(run.operations) <= WRITE_OPERATIONS
            assert run.mode == "negative"
            assert "examples" not in run.phases


def test_apikley_uploads_go_to_the_upload_server() -> None:
    runs = {run.name: run for run in plan("apikley", "https://api.apikley.ru/", allow_create=True)}

    assert runs["apikley-uploads"].base_url == "https://api.apikley.ru/file-upload"
    assert set(runs["apikley-uploads"].operations) == {
        "uploadFileStream",
        "uploadFileBase64",
        "uploadFileUrl",
    }
    assert runs["apikley"].base_url == "https://api.apikley.ru"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_s_facts_name_operations_of_its_spec(provider: str) -> None:
    found = facts(provider)
    spec_operations = operations(load_spec(provider))
    shape = found.shape
    named = {shape.create, shape.read, *found.creations, *found.uploads, *found.lookups}
    named |= {op for op in (shape.balance, shape.result) if op is not None}
    answers = (*found.not_found, *found.not_now)
    named |= {answer.operation for answer in answers if answer.operation is not None}
    assert named <= set(spec_operations), named - set(spec_operations)
    # The task creations are the operations that document the task's callback.
    with_callbacks = {op for op, (_, _, item) in spec_operations.items() if item.get("callbacks")}
    assert with_callbacks == found.creations
    # The checks it replaces are schemathesis's own.
    assert set(found.replaced_checks) <= set(ENVELOPE_DEFEATS)
