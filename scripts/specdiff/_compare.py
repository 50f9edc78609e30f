"""Comparing two versions of an OpenAPI 3.0 document, operation by operation."""

from __future__ import annotations

from typing import Any

from scripts.specdiff._model import Change, Direction, Kind
from scripts.specdiff._resolve import dereference
from scripts.specdiff._schema import SchemaDiff

Spec = dict[str, Any]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# What a security scheme is, as opposed to how it is described.
SCHEME_FIELDS = ("type", "scheme", "in", "name", "flows", "openIdConnectUrl")


def _operations(spec: Spec) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """``METHOD /path`` -> (operation, its path item)."""
    found = {}
    for path, item in (spec.get("paths") or {}).items():
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found[f"{method.upper()} {path}"] = (item[method], item)
    return found


def diff_specs(old: Spec, new: Spec) -> list[Change]:
    """Every change from ``old`` to ``new`` that a caller of a client generated from them
    could notice, each classed breaking or not."""
    old, new = dereference(old), dereference(new)
    changes: list[Change] = []
    _servers(old.get("servers"), new.get("servers"), "servers (every operation)", changes)
    _security(old, new, changes)

    old_ops, new_ops = _operations(old), _operations(new)
    renamed = _renamed(old_ops, new_ops)
    for key, (operation, _) in old_ops.items():
        if key in new_ops:
            continue
        if key in renamed:
            detail = f"now {renamed[key]} (operationId {operation.get('operationId')})"
            changes.append(Change(True, Kind.PATH_RENAMED, key, detail))
        else:
            changes.append(Change(True, Kind.OPERATION_REMOVED, key, "operation removed"))
    for key in new_ops:
        if key not in old_ops and key not in renamed.values():
            changes.append(Change(False, Kind.OPERATION_ADDED, key, "operation added"))
    for key, (operation, item) in old_ops.items():
        new_key = key if key in new_ops else renamed.get(key)
        if new_key is not None:
            new_operation, new_item = new_ops[new_key]
            _operation(key, operation, item, new_operation, new_item, changes)
    return changes


def _renamed(old_ops: dict[str, Any], new_ops: dict[str, Any]) -> dict[str, str]:
    """Old key -> new key for operations that moved but kept their method and operationId."""

    def identity(key: str, operation: dict[str, Any]) -> tuple[str, Any]:
        return key.split()[0], operation.get("operationId")

    arrived = {
        identity(key, op): key
        for key, (op, _) in new_ops.items()
        if key not in old_ops and op.get("operationId")
    }
    return {
        key: arrived[identity(key, op)]
        for key, (op, _) in old_ops.items()
        if key not in new_ops and identity(key, op) in arrived
    }


def _servers(old: Any, new: Any, where: str, changes: list[Change]) -> None:
    before = [server.get("url") for server in old or []]
    after = [server.get("url") for server in new or []]
    if before == after:
        return
    # The client's base URL came from these: one going away moves the caller's requests.
    breaking = any(url not in after for url in before)
    changes.append(Change(breaking, Kind.SERVER_CHANGED, where, f"servers {before} -> {after}"))


def _requirements(security: Any) -> set[frozenset[str]]:
    return {frozenset(requirement) for requirement in security or []}


def _security(old: Spec, new: Spec, changes: list[Change]) -> None:
    old_schemes = (old.get("components") or {}).get("securitySchemes") or {}
    new_schemes = (new.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in old_schemes.items():
        if name not in new_schemes:
            changes.append(Change(True, Kind.AUTH_CHANGED, "security", f"scheme {name} removed"))
            continue
        before = {field: scheme.get(field) for field in SCHEME_FIELDS if field in scheme}
        after = {field: new_schemes[name].get(field) for field in SCHEME_FIELDS}
        after = {field: value for field, value in after.items() if field in new_schemes[name]}
        if before != after:
            detail = f"scheme {name} {before} -> {after}"
            changes.append(Change(True, Kind.AUTH_CHANGED, "security", detail))
    for name in new_schemes:
        if name not in old_schemes:
            changes.append(Change(False, Kind.AUTH_CHANGED, "security", f"scheme {name} added"))
    _requirement_change(old.get("security"), new.get("security"), "security (default)", changes)


def _requirement_change(old: Any, new: Any, where: str, changes: list[Change]) -> None:
    before, after = _requirements(old), _requirements(new)
    if before == after:
        return
    # Dropping a way to authenticate breaks whoever used it; so does requiring one where
    # none was needed. Offering one more way does not.
    anonymous_before = not before or frozenset() in before
    anonymous_after = not after or frozenset() in after
    breaking = bool(before - after) or (anonymous_before and not anonymous_after)
    detail = f"requirements {sorted(map(sorted, before))} -> {sorted(map(sorted, after))}"
    changes.append(Change(breaking, Kind.AUTH_CHANGED, where, detail))


def _parameters(operation: dict[str, Any], item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for parameter in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        found[f"{parameter.get('in')} parameter {parameter.get('name')}"] = parameter
    return found


def _operation(
    where: str,
    old: dict[str, Any],
    old_item: dict[str, Any],
    new: dict[str, Any],
    new_item: dict[str, Any],
    changes: list[Change],
) -> None:
    if old.get("operationId") != new.get("operationId"):
        # The generated function is named after it.
        detail = f"operationId {old.get('operationId')} -> {new.get('operationId')}"
        changes.append(Change(True, Kind.OPERATION_ID_CHANGED, where, detail))
    for level, before, after in (
        ("path", old_item.get("servers"), new_item.get("servers")),
        ("operation", old.get("servers"), new.get("servers")),
    ):
        _servers(before, after, f"{where} ({level} servers)", changes)
    if "security" in old or "security" in new:
        _requirement_change(old.get("security"), new.get("security"), where, changes)

    old_params, new_params = _parameters(old, old_item), _parameters(new, new_item)
    for name, parameter in old_params.items():
        if name not in new_params:
            changes.append(Change(True, Kind.PARAMETER_REMOVED, where, f"{name} removed"))
            continue
        was, now = bool(parameter.get("required")), bool(new_params[name].get("required"))
        if was != now:
            detail = f"{name} made {'required' if now else 'optional'}"
            changes.append(Change(now, Kind.REQUIRED_CHANGED, where, detail))
        diff = SchemaDiff(where, name, Direction.REQUEST, changes)
        diff.compare(parameter.get("schema"), new_params[name].get("schema"))
    for name, parameter in new_params.items():
        if name not in old_params:
            required = bool(parameter.get("required"))
            detail = f"{name} added, {'required' if required else 'optional'}"
            changes.append(Change(required, Kind.PARAMETER_ADDED, where, detail))

    _request_body(where, old.get("requestBody"), new.get("requestBody"), Direction.REQUEST, changes)
    _responses(where, old.get("responses") or {}, new.get("responses") or {}, changes)
    _callbacks(where, old.get("callbacks") or {}, new.get("callbacks") or {}, changes)


def _request_body(
    where: str, old: Any, new: Any, direction: Direction, changes: list[Change]
) -> None:
    part = "request body" if direction is Direction.REQUEST else "callback body"
    if old is None and new is None:
        return
    if new is None:
        changes.append(Change(True, Kind.BODY_REMOVED, where, f"{part} removed"))
        return
    if old is None:
        required = bool(new.get("required"))
        detail = f"{part} added, {'required' if required else 'optional'}"
        changes.append(
            Change(required and direction is Direction.REQUEST, Kind.BODY_ADDED, where, detail)
        )
        return
    if bool(old.get("required")) != bool(new.get("required")):
        now = bool(new.get("required"))
        detail = f"{part} made {'required' if now else 'optional'}"
        changes.append(
            Change(now == (direction is Direction.REQUEST), Kind.REQUIRED_CHANGED, where, detail)
        )
    _content(where, part, old.get("content"), new.get("content"), direction, changes)


def _content(
    where: str, part: str, old: Any, new: Any, direction: Direction, changes: list[Change]
) -> None:
    old, new = old or {}, new or {}
    for media_type, body in old.items():
        if media_type not in new:
            detail = f"{part} {media_type} removed"
            changes.append(Change(True, Kind.MEDIA_TYPE_REMOVED, where, detail))
            continue
        label = part if len(old) == 1 else f"{part} ({media_type})"
        diff = SchemaDiff(where, label, direction, changes)
        diff.compare(body.get("schema"), new[media_type].get("schema"))
    for media_type in new:
        if media_type not in old:
            detail = f"{part} {media_type} added"
            changes.append(Change(False, Kind.MEDIA_TYPE_ADDED, where, detail))


def _responses(where: str, old: dict[str, Any], new: dict[str, Any], changes: list[Change]) -> None:
    for status, response in old.items():
        if status not in new:
            # The typed model the caller read for this status is gone from the client.
            detail = f"response {status} removed"
            changes.append(Change(True, Kind.RESPONSE_REMOVED, where, detail))
            continue
        part = f"response {status} body"
        _content(
            where,
            part,
            response.get("content"),
            new[status].get("content"),
            Direction.RESPONSE,
            changes,
        )
        old_headers = response.get("headers") or {}
        new_headers = new[status].get("headers") or {}
        for name in old_headers:
            if name not in new_headers:
                detail = f"response {status} header {name} removed"
                changes.append(Change(True, Kind.HEADER_REMOVED, where, detail))
        for name in new_headers:
            if name not in old_headers:
                detail = f"response {status} header {name} added"
                changes.append(Change(False, Kind.HEADER_ADDED, where, detail))
    for status in new:
        if status not in old:
            changes.append(Change(False, Kind.RESPONSE_ADDED, where, f"response {status} added"))


def _callbacks(where: str, old: dict[str, Any], new: dict[str, Any], changes: list[Change]) -> None:
    """A callback is a request the provider sends to the caller: its body is read by the
    caller, so it compares like a response."""
    for name, expressions in old.items():
        for expression, item in expressions.items():
            for method in METHODS:
                if method not in item:
                    continue
                label = f"{where} callback {name}"
                after = ((new.get(name) or {}).get(expression) or {}).get(method)
                if after is None:
                    detail = f"{method.upper()} {expression} removed"
                    changes.append(Change(True, Kind.CALLBACK_REMOVED, label, detail))
                    continue
                before_body, after_body = item[method].get("requestBody"), after.get("requestBody")
                _request_body(label, before_body, after_body, Direction.RESPONSE, changes)
    for name, expressions in new.items():
        for expression, item in expressions.items():
            for method in METHODS:
                if method in item and method not in ((old.get(name) or {}).get(expression) or {}):
                    label = f"{where} callback {name}"
                    detail = f"{method.upper()} {expression} added"
                    changes.append(Change(False, Kind.CALLBACK_ADDED, label, detail))
