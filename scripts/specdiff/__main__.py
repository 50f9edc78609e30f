"""``python -m scripts.specdiff OLD NEW``: print the report; exit 1 on breaking changes when
asked (``--fail-on-breaking``, what ``make spec-diff FAIL_ON_BREAKING=1`` passes)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kling_avatar._yaml import safe_load

from scripts.specdiff import diff_specs, render_report


def read_spec(source: str) -> dict[str, Any]:
    """A spec from a file, or from git when ``source`` is ``REVISION:path`` and no such file."""
    path = Path(source)
    if path.is_file():
        text = path.read_text()
    elif re.fullmatch(r"[^:\s]+:[^:\s]+", source):
        shown = subprocess.run(["git", "show", source], capture_output=True, text=True, check=False)
        if shown.returncode != 0:
            raise SystemExit(f"{source}: no such file, nor git object ({shown.stderr.strip()})")
        text = shown.stdout
    else:
        raise SystemExit(f"{source}: no such file")
    spec = safe_load(text)
    if not isinstance(spec, dict) or "paths" not in spec:
        raise SystemExit(f"{source}: not an OpenAPI document")
    return spec


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spec-diff", description=__doc__.splitlines()[0])
    parser.add_argument("old", help="file or REVISION:path")
    parser.add_argument("new", help="file or REVISION:path")
    parser.add_argument("--fail-on-breaking", action="store_true", help="exit 1 if any breaks")
    args = parser.parse_args(argv)
    changes = diff_specs(read_spec(args.old), read_spec(args.new))
    print(render_report(changes, args.old, args.new))
    if args.fail_on_breaking and any(change.breaking for change in changes):
        print("FAIL_ON_BREAKING: breaking changes found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
