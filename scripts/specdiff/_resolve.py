"""Inline local ``$ref``s, so a change to a shared schema shows at every place that uses it."""

from __future__ import annotations

from typing import Any


def _pointer(spec: Any, ref: str) -> Any:
    node = spec
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def dereference(spec: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` with every local ``$ref`` replaced by its target.

    A reference back into its own expansion (a recursive schema) stays a ``$ref``; two such
    references compare equal when they point at the same place.
    """

    def walk(node: Any, expanding: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [walk(item, expanding) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            if ref in expanding:
                return {"$ref": ref}
            try:
                target = _pointer(spec, ref)
            except (KeyError, IndexError, ValueError, TypeError):
                return {"$ref": ref, "x-unresolved": True}
            return walk(target, (*expanding, ref))
        return {key: walk(value, expanding) for key, value in node.items()}

    resolved: dict[str, Any] = walk(spec, ())
    return resolved
