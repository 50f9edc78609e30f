"""The exit status table a script author reads (README, --help) is the one the command uses."""

from __future__ import annotations

import re
from pathlib import Path

from kling_avatar._cli import EXIT_STATUSES, build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_matches_the_command() -> None:
    rows = re.findall(r"^\| (\d+) \| `(\w+)`", README.read_text(), flags=re.MULTILINE)

    assert {name: int(status) for status, name in rows} == {
        cls.__name__: status for cls, status in EXIT_STATUSES.items()
    }


def test_help_lists_every_status() -> None:
    text = build_parser().format_help()

    for cls, status in EXIT_STATUSES.items():
        assert re.search(rf"^\s+{status}\s+{cls.__name__}: ", text, flags=re.MULTILINE), cls
    for status in (0, 1, 2, 17, 130):
        assert re.search(rf"^\s+{status}\s+\S", text, flags=re.MULTILINE), status
