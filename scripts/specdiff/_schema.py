"""Comparing two versions of a (dereferenced) schema, from the side of whoever reads it.

A request schema is written by the caller and read by the provider, so narrowing it breaks
callers (a new required field, a removed enum value, a tighter limit). A response schema is
written by the provider and read by the caller, so removing or loosening what the caller
reads breaks it (a field removed, a field no longer required, a value that may now be null).
A removed field or enum value and a changed type break either way: the generated attribute or
enum member the caller's code names is gone.
"""

from __future__ import annotations

from typing import Any

import attrs

from scripts.specdiff._model import Change, Direction, Kind

# Formats that change the generated Python type (str -> datetime, bytes, a File).
TYPED_FORMATS = frozenset({"date", "date-time", "binary", "uuid"})
UPPER_LIMITS = ("maxLength", "maximum", "maxItems")
LOWER_LIMITS = ("minLength", "minimum", "minItems")


def _is_null(schema: dict[str, Any]) -> bool:
    return schema.get("enum") == [None] or schema.get("type") == "null"


def normalize(schema: Any) -> dict[str, Any]:
    """One flat schema: ``allOf`` folded in, null branches of ``anyOf``/``oneOf`` as nullable.

    So `allOf: [Envelope, {data}]` compares field by field, and `anyOf: [X, null]` (how our
    specs write a nullable reference) compares as a nullable X.
    """
    if not isinstance(schema, dict):
        return {}
    flat = {key: value for key, value in schema.items() if key != "allOf"}
    for part in map(normalize, schema.get("allOf") or []):
        properties = {**part.get("properties", {}), **flat.get("properties", {})}
        required = [*part.get("required", []), *flat.get("required", [])]
        flat = {**part, **flat}
        if properties:
            flat["properties"] = properties
        if required:
            flat["required"] = list(dict.fromkeys(required))
    for keyword in ("anyOf", "oneOf"):
        if keyword not in flat:
            continue
        branches = [normalize(branch) for branch in flat.pop(keyword)]
        others = [branch for branch in branches if not _is_null(branch)]
        if len(others) < len(branches):
            flat["nullable"] = True
        if len(others) == 1:
            flat = {**others[0], **flat}
        elif others:
            flat[keyword] = others
    return flat


def _label(value: Any) -> str:
    return "null" if value is None else str(value)


def _changed(keyword: str, before: Any, after: Any) -> str:
    if before is None:
        return f"{keyword} {after} added"
    if after is None:
        return f"{keyword} {before} removed"
    return f"{keyword} {before} -> {after}"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@attrs.define
class SchemaDiff:
    """Compares schemas found at one place of an operation, e.g. its request body."""

    where: str  # the operation: "POST /api/v1/jobs/createTask"
    part: str  # the place in it: "request body", "response 200 body", "query parameter id"
    direction: Direction
    changes: list[Change]

    @property
    def request(self) -> bool:
        return self.direction is Direction.REQUEST

    def emit(self, breaking: bool, kind: Kind, path: str, what: str) -> None:
        subject = f"{self.part}: {path}" if path else self.part
        self.changes.append(Change(breaking, kind, self.where, f"{subject} {what}"))

    def compare(self, old: Any, new: Any, path: str = "") -> None:
        o, n = normalize(old), normalize(new)
        if "$ref" in o or "$ref" in n:  # a recursive schema: compared where it was expanded
            if o.get("$ref") != n.get("$ref"):
                self.emit(True, Kind.TYPE_CHANGED, path, f"{o.get('$ref')} -> {n.get('$ref')}")
            return
        old_type, new_type = o.get("type"), n.get("type")
        if old_type != new_type:
            what = f"type {old_type} -> {new_type}"
            if old_type and new_type:
                self.emit(True, Kind.TYPE_CHANGED, path, what)
                return
            # From any type to one narrows what a caller may send; the reverse, what it reads.
            self.emit(self.request == bool(new_type), Kind.TYPE_CHANGED, path, what)
        self._format(o.get("format"), n.get("format"), path)
        if bool(o.get("nullable")) != bool(n.get("nullable")):
            nullable = bool(n.get("nullable"))
            what = "may be null" if nullable else "may no longer be null"
            self.emit(self.request != nullable, Kind.NULLABLE_CHANGED, path, what)
        self._enum(o.get("enum"), n.get("enum"), path)
        self._limits(o, n, path)
        if "default" in o and o.get("default") != n.get("default"):
            what = f"default {o['default']!r} -> {n.get('default')!r}"
            self.emit(False, Kind.DEFAULT_CHANGED, path, what)
        if o.get("description") and o.get("description") != n.get("description"):
            self.emit(False, Kind.TEXT_CHANGED, path, "description changed")
        self._properties(o, n, path)
        if "items" in o or "items" in n:
            self.compare(o.get("items"), n.get("items"), f"{path}[]")
        for keyword in ("anyOf", "oneOf"):
            before, after = o.get(keyword, []), n.get(keyword, [])
            if len(before) != len(after):
                self.emit(True, Kind.TYPE_CHANGED, path, f"{keyword} alternatives changed")
                continue
            for i, (one, other) in enumerate(zip(before, after, strict=True)):
                self.compare(one, other, f"{path}<{keyword} {i}>")

    def _format(self, old: Any, new: Any, path: str) -> None:
        if old == new:
            return
        what = _changed("format", old, new)
        if {old, new} & TYPED_FORMATS:
            self.emit(True, Kind.TYPE_CHANGED, path, what)
        else:
            # A new or different format is a rule the caller's values must now meet.
            self.emit(self.request and new is not None, Kind.CONSTRAINT_CHANGED, path, what)

    def _enum(self, old: Any, new: Any, path: str) -> None:
        if old == new:
            return
        if old is None:
            self.emit(self.request, Kind.CONSTRAINT_CHANGED, path, f"now limited to {new}")
            return
        if new is None:
            self.emit(True, Kind.TYPE_CHANGED, path, "no longer an enum")
            return
        for value in old:
            if value not in new:
                self.emit(
                    True, Kind.ENUM_VALUE_REMOVED, path, f"enum value {_label(value)} removed"
                )
        for value in new:
            if value not in old:
                note = "" if self.request else " (clients built before reject it until regenerated)"
                what = f"enum value {_label(value)} added{note}"
                self.emit(False, Kind.ENUM_VALUE_ADDED, path, what)

    def _limits(self, o: dict[str, Any], n: dict[str, Any], path: str) -> None:
        for keyword in (*UPPER_LIMITS, *LOWER_LIMITS, "pattern"):
            before, after = o.get(keyword), n.get(keyword)
            if before == after:
                continue
            if keyword == "pattern" or before is None or after is None:
                tighter = after is not None
            elif keyword in UPPER_LIMITS:
                tighter = after < before
            else:
                tighter = after > before
            # Only the caller's own values can fall foul of a tighter limit.
            what = _changed(keyword, before, after)
            self.emit(self.request and tighter, Kind.CONSTRAINT_CHANGED, path, what)

    def _properties(self, o: dict[str, Any], n: dict[str, Any], path: str) -> None:
        old_props, new_props = o.get("properties") or {}, n.get("properties") or {}
        old_required, new_required = set(o.get("required") or []), set(n.get("required") or [])
        for name in old_props:
            if name not in new_props:
                self.emit(True, Kind.FIELD_REMOVED, _join(path, name), "removed")
        for name in new_props:
            if name not in old_props:
                required = name in new_required
                what = "added, required" if required else "added, optional"
                self.emit(self.request and required, Kind.FIELD_ADDED, _join(path, name), what)
        for name in old_props:
            if name not in new_props:
                continue
            was, now = name in old_required, name in new_required
            if was != now:
                # A caller must now send it (request), or may no longer get it (response).
                what = "made required" if now else "made optional"
                self.emit(self.request == now, Kind.REQUIRED_CHANGED, _join(path, name), what)
            self.compare(old_props[name], new_props[name], _join(path, name))
