"""Take a new copy of crun's kling/avatar page and name the spec elements whose sentence changed.

    python -m scripts.refresh --crun-source FILE-OR-URL

crun documents its API in prose, so `specs/crun.yaml` is written by hand. Each element of it that
rests on that page (no `x-provenance`) cites the sentence it rests on in `x-source-quote`. A
refresh diffs the new copy against the one kept in `specs/sources/`, then looks for every cited
sentence in the new copy. When one is gone, the element that cites it is named (as a JSON pointer
into the spec) and nothing is written: edit the element and its quote, then refresh again. When
every cited sentence is still there, the new copy replaces the kept one.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from kling_avatar._yaml import safe_load

QUOTE = "x-source-quote"
_BULLETS = re.compile(r"[•·▪◦]")
_SPACE = re.compile(r"\s+")


def normalized(text: str) -> str:
    """Whitespace and list bullets do not count: a page re-rendered is the same page."""
    return _SPACE.sub(" ", _BULLETS.sub(" ", text)).strip()


def quotes(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(JSON pointer, quoted sentence) for every ``x-source-quote`` in ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get(QUOTE), str):
            yield where or "/", node[QUOTE]
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            yield from quotes(value, f"{where}/{escaped}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from quotes(item, f"{where}/{index}")


@attrs.frozen
class CrunCheck:
    """What a new copy of the page does to the spec's citations."""

    changed: list[tuple[str, str]]  # (pointer, quote) no longer on the page
    stale: list[tuple[str, str]]  # (pointer, quote) not on the kept copy either: a typo
    diff: list[str]


def check_page(spec: dict[str, Any], kept: str, new: str) -> CrunCheck:
    kept_text, new_text = normalized(kept), normalized(new)
    changed, stale = [], []
    for pointer, quote in quotes(spec):
        wanted = normalized(quote)
        if wanted not in kept_text:
            stale.append((pointer, quote))
        elif wanted not in new_text:
            changed.append((pointer, quote))
    diff = list(
        difflib.unified_diff(
            kept.splitlines(), new.splitlines(), "kept copy", "new copy", lineterm="", n=1
        )
    )
    return CrunCheck(changed=changed, stale=stale, diff=diff)


def refresh_crun(spec_file: Path, kept_file: Path, new_page: bytes) -> int:
    """The crun refresh; returns the exit status."""
    try:
        new = new_page.decode("utf-8")
    except UnicodeDecodeError:
        print("the new copy of crun's page is not UTF-8 text")
        return 1
    spec = safe_load(spec_file.read_text())
    result = check_page(spec, kept_file.read_text(), new)
    print(f"== crun's page: {kept_file.name}, kept copy -> new copy")
    print("\n".join(result.diff) if result.diff else "(no change)")
    for pointer, quote in result.stale:
        print(f"STALE {pointer}: cites {quote!r}, which the kept copy does not have either")
    for pointer, quote in result.changed:
        print(f"CHANGED {pointer}: its sentence is gone from the page: {quote!r}")
    if result.changed or result.stale:
        print(
            f"\n== refresh crun: {len(result.changed)} spec element(s) rest on a passage that "
            f"changed; nothing written. Edit them in {spec_file.name} (and their {QUOTE}), "
            "then refresh again."
        )
        return 1
    if result.diff:
        kept_file.write_text(new)
        print(f"\n== refresh crun: no cited passage changed; kept the new copy as {kept_file}")
    else:
        print("\n== refresh crun: the page is unchanged")
    return 0


def main_crun(root: Path, source: bytes) -> int:
    return refresh_crun(
        root / "specs" / "crun.yaml", root / "specs" / "sources" / "crun-kling-avatar.txt", source
    )


if __name__ == "__main__":
    raise SystemExit(main_crun(Path(__file__).resolve().parent.parent, sys.stdin.buffer.read()))
