"""Our additions to Apikley's document: how they apply, and that every change to its own text
is one of the deviations listed, with a reason, in info.x-deviations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kling_avatar._yaml import safe_load

from scripts.refresh import OverlayError, apply_overlay

ROOT = Path(__file__).resolve().parents[2]
Location = tuple[str, ...]


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = safe_load((ROOT / "specs" / name).read_text())
    return document


def overlay(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"overlay": "1.1.0", "info": {"title": "t", "version": "1"}, "actions": list(actions)}


# --- how actions apply ---------------------------------------------------------------------

DOCUMENT = {"a": {"list": [1], "keep": "x"}, "b": {"n": 1}}


def test_update_merges_objects_appends_to_arrays_and_keeps_nulls() -> None:
    result = apply_overlay(
        DOCUMENT,
        overlay(
            {"target": "$.a", "update": {"new": {"data": None}, "keep": "y"}},
            {"target": "$.a.list", "update": 2},
        ),
    )
    # A JSON merge patch (RFC 7396) would have dropped `data: null`: examples need it.
    assert result == {"a": {"list": [1, 2], "keep": "y", "new": {"data": None}}, "b": {"n": 1}}
    assert DOCUMENT == {"a": {"list": [1], "keep": "x"}, "b": {"n": 1}}, "input untouched"


def test_remove_and_copy() -> None:
    result = apply_overlay(
        DOCUMENT,
        overlay(
            {"target": "$", "update": {"c": {}}},
            {"target": "$.c", "copy": "$.b"},
            {"target": "$['b']", "remove": True},
            {"target": "$.a.list[0]", "remove": True},
        ),
    )
    assert result == {"a": {"list": [], "keep": "x"}, "c": {"n": 1}}


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"target": "$.a.gone", "remove": True}, "selects nothing: no 'gone' under $['a']"),
        ({"target": "$.a.list[3]", "update": 1}, "selects nothing: no 3"),
        ({"target": "$.a", "update": {"list": [2]}}, "already an array upstream"),
        ({"target": "$..a", "remove": True}, "unsupported syntax"),
        ({"target": "$.a", "remove": True, "update": {}}, "needs one of update, remove, copy"),
    ],
)
def test_an_action_that_does_not_fit_is_an_error(action: dict[str, Any], message: str) -> None:
    with pytest.raises(OverlayError, match=re.escape(message)):
        apply_overlay(DOCUMENT, overlay({"description": "the action", **action}))


# --- the deviations list is the one place changes to Apikley's text are listed --------------


def differences(old: Any, new: Any, at: Location = ()) -> Iterator[Location]:
    """Every place where ``new`` differs from ``old``: a key added or removed, a value changed
    (arrays of different lengths count as one change)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in {**old, **new}:
            if key in old and key in new:
                yield from differences(old[key], new[key], (*at, str(key)))
            else:
                yield (*at, str(key))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from differences(before, after, (*at, str(i)))
    elif old != new:
        yield at


def is_ours(place: Location, upstream: dict[str, Any]) -> bool:
    """Added next to Apikley's text rather than changing it: a whole new path or component,
    or an `x-` annotation."""
    if place[-1].startswith("x-"):
        return True
    if len(place) == 2 and place[0] == "paths":
        return place[1] not in upstream["paths"]
    if len(place) == 3 and place[0] == "components":
        return place[2] not in upstream["components"].get(place[1], {})
    return False


def patterns(at: str) -> list[list[list[str]]]:
    """A deviation's `at` ("paths.X.post.requestBody...input.properties.a and b") as lists of
    key runs that must appear in order, `...` standing for any keys in between."""
    first, *others = at.split(" and ")
    runs = [run.split(".") for run in first.split("...")]
    found = [runs]
    for other in others:  # "a and b": b replaces the last key
        found.append([*runs[:-1], [*runs[-1][:-1], other]])
    return found


def covers(deviation: dict[str, str], place: Location) -> bool:
    words = set(re.findall(r"[\w-]+", deviation["change"]))
    for runs in patterns(deviation["at"]):
        position = 0
        for n, run in enumerate(runs):
            start = next(
                (
                    i
                    for i in range(position, len(place) - len(run) + 1)
                    if list(place[i : i + len(run)]) == run and (n > 0 or i == 0)
                ),
                None,
            )
            if start is None:
                break
            position = start + len(run)
        else:
            rest = place[position:]
            # The deviation names the place itself, its direct member, or what was added.
            if len(rest) <= 1 or rest[-1] in words:
                return True
    return False


def test_every_change_to_apikleys_text_is_a_listed_deviation_and_each_listed_one_happened() -> None:
    upstream, ours = load("upstream/apikley.yaml"), load("apikley.yaml")
    deviations = ours["info"]["x-deviations"]
    assert all({"at", "change", "why"} <= set(d) and d["why"] for d in deviations)
    changed = [place for place in differences(upstream, ours) if not is_ours(place, upstream)]
    assert changed, "our spec does change Apikley's text"

    unlisted = [".".join(p) for p in changed if not any(covers(d, p) for d in deviations)]
    assert unlisted == []
    stale = [d["at"] for d in deviations if not any(covers(d, p) for p in changed)]
    assert stale == []


def test_the_deviation_check_notices_an_unlisted_change() -> None:
    upstream, ours = load("upstream/apikley.yaml"), load("apikley.yaml")
    ours["components"]["schemas"]["ApiResponse"]["properties"]["msg"]["maxLength"] = 10
    deviations = ours["info"]["x-deviations"]
    changed = [place for place in differences(upstream, ours) if not is_ours(place, upstream)]
    unlisted = [".".join(p) for p in changed if not any(covers(d, p) for d in deviations)]
    assert unlisted == ["components.schemas.ApiResponse.properties.msg.maxLength"]


def test_the_additions_are_an_overlay_document_on_the_upstream_copy() -> None:
    additions = load("apikley.additions.yaml")
    assert additions["overlay"] == "1.1.0"
    assert additions["extends"] == "upstream/apikley.yaml"
    assert {"title", "version"} <= set(additions["info"])
    assert all(action.get("description") for action in additions["actions"])
