"""The readable report: breaking changes first, then the rest, each under its operation."""

from __future__ import annotations

from collections.abc import Sequence

from scripts.specdiff._model import Change


def render_report(changes: Sequence[Change], old_label: str, new_label: str) -> str:
    breaking = [change for change in changes if change.breaking]
    other = [change for change in changes if not change.breaking]
    lines = [
        f"spec-diff {old_label} -> {new_label}: {len(breaking)} breaking, {len(other)} non-breaking"
    ]
    for title, group in (("BREAKING for callers", breaking), ("non-breaking", other)):
        if group:
            lines.append(f"{title}:")
            lines.extend(f"  [{change.kind}] {change}" for change in group)
    if not changes:
        lines.append("no change a caller of the clients could notice")
    return "\n".join(lines)
