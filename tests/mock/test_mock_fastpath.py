"""The fast path accepts only what connexion's own validators accept."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import httpx
from connexion.json_schema import Draft4RequestValidator
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator
from kling_avatar.testing import MockServer
from kling_avatar.testing._fastpath import _as_json_schema
from kling_avatar.testing._validation import fast_operations

from .helpers import CRUN_CREATE, apikley_body, crun_body, crun_headers

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(
        ["kling/avatar", "pro", "std", "https://example.com/a.png", "http://exa mple", "", "x:"]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _mutations(base: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The base body with one field (at the top or in `input`) set to an arbitrary value."""
    keys = [*base, *(f"input.{k}" for k in base["input"]), "input.extra", "callback_url"]

    def mutate(key: str, value: Any, drop: bool) -> Any:
        body = copy.deepcopy(base)
        target = body["input"] if key.startswith("input.") else body
        name = key.removeprefix("input.")
        if drop:
            target.pop(name, None)
        else:
            target[name] = value
        return body

    return st.one_of(
        st.builds(mutate, st.sampled_from(keys), _json, st.booleans()),
        _json,
    )


def _agree(operation_id: str, body: Any) -> None:
    fast = fast_operations()[operation_id]
    assert fast.body is not None
    scope = {"query_string": b"", "headers": [(b"content-type", b"application/json")]}
    accepted = fast.accept(scope, body) is not None
    if accepted:
        assert _authority(operation_id).is_valid(body), body


@cache
def _authority(operation_id: str) -> Any:
    """connexion's own request body validator for the operation."""
    from connexion.operations import OpenAPIOperation
    from connexion.resolver import Resolver
    from connexion.spec import Specification
    from kling_avatar.testing._specs import spec_parts

    for part in spec_parts():
        spec = Specification.from_dict(part.spec)
        for path, item in spec["paths"].items():
            for method, definition in item.items():
                if isinstance(definition, dict) and definition.get("operationId") == operation_id:
                    operation = OpenAPIOperation.from_spec(
                        spec, path=path, method=method, resolver=Resolver(lambda _: None)
                    )
                    return Draft4RequestValidator(
                        operation.body_schema("application/json"),
                        format_checker=Draft4Validator.FORMAT_CHECKER,
                    )
    raise AssertionError(operation_id)


@settings(max_examples=200, deadline=None)
@given(body=_mutations(crun_body()))
def test_crun_creation_bodies(body: Any) -> None:
    _agree("createTask", body)


@settings(max_examples=200, deadline=None)
@given(body=_mutations(apikley_body(callBackUrl="https://example.com/hook")))
def test_apikley_creation_bodies(body: Any) -> None:
    _agree("kling-ai-avatar-v1-pro", body)


def test_valid_requests_take_the_fast_path_and_the_rest_connexions() -> None:
    assert {"createTask", "getTaskInfo", "kling-ai-avatar-v1-pro", "getTaskDetails"} <= set(
        fast_operations()
    )
    assert "uploadFileStream" not in fast_operations()  # a form: connexion's
    with MockServer() as mock, httpx.Client(base_url=mock.base_url) as http:
        bad = crun_body()
        bad["input"]["mode"] = "ultra"
        answer = http.post(CRUN_CREATE, json=bad, headers=crun_headers(mock)).json()
        # connexion's words for it, as before the fast path existed.
        assert answer["code"] == 422 and answer["message"].startswith("'ultra' is not one of")


def test_nullable_means_null_is_one_more_type_and_value() -> None:
    schema = {"type": "string", "enum": ["a"], "nullable": True, "properties": {"x": {}}}
    assert _as_json_schema(schema) == {
        "type": ["string", "null"],
        "enum": ["a", None],
        "nullable": True,
        "properties": {"x": {}},
    }
