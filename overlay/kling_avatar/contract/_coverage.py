"""Coverage of documented answers: which operations answered what, against what the specs list.

Each operation documents a set of answers (`_spec.documented_answers`): HTTP
200 with each envelope ``code``, and each other HTTP status. The suite records every answer it
gets (schemathesis's runs, read off their events in `_run.py`; the lifecycle runs; the fault
sweep), and :func:`report` sets them side by side: Markdown for a
CI job summary and JSON, both in ``reports/``. Against the mock, `_sweep.py` reaches the
answers the runs did not.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ._spec import Answer, answer_of, documented_answers, operation, operations


@attrs.frozen
class Seen:
    """One answer an operation gave, and which part of the suite saw it."""

    provider: str
    operation_id: str
    status: int
    code: int | None
    source: str  # "schemathesis", "lifecycle", "fault sweep", "traffic"

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self), sort_keys=True)


def seen_of(provider: str, operation_id: str, status: int, body: object, source: str) -> Seen:
    answer = answer_of(status, body, operation(provider, operation_id))
    return Seen(provider, operation_id, answer.status, answer.code, source)


def read_seen(path: Path) -> list[Seen]:
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            found.append(Seen(**json.loads(line)))
    return found


@attrs.frozen
class OperationCoverage:
    provider: str
    operation_id: str
    label: str
    documented: tuple[Answer, ...]
    seen: Mapping[Answer, Mapping[str, int]]  # answer -> source -> count
    undocumented: tuple[Answer, ...]  # answered but not in the spec

    @property
    def missing(self) -> tuple[Answer, ...]:
        return tuple(a for a in self.documented if a not in self.seen)


@attrs.frozen
class Coverage:
    operations: tuple[OperationCoverage, ...]

    @property
    def documented(self) -> int:
        return sum(len(op.documented) for op in self.operations)

    @property
    def seen(self) -> int:
        return sum(len(op.documented) - len(op.missing) for op in self.operations)

    @property
    def missing(self) -> list[tuple[OperationCoverage, Answer]]:
        return [(op, answer) for op in self.operations for answer in op.missing]

    @property
    def operations_seen(self) -> int:
        return sum(1 for op in self.operations if op.seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "documented": self.documented,
            "seen": self.seen,
            "operations": len(self.operations),
            "operations_seen": self.operations_seen,
            "per_operation": [
                {
                    "provider": op.provider,
                    "operationId": op.operation_id,
                    "operation": op.label,
                    "documented": [str(a) for a in op.documented],
                    "seen": {str(a): dict(sources) for a, sources in sorted(op.seen.items())},
                    "missing": [str(a) for a in op.missing],
                    "undocumented": [str(a) for a in op.undocumented],
                }
                for op in self.operations
            ],
        }

    def markdown(self, title: str = "Contract coverage") -> str:
        lines = [
            f"## {title}",
            "",
            f"{self.seen} of {self.documented} documented answers seen; "
            f"{self.operations_seen} of {len(self.operations)} operations answered.",
            "",
            "| provider | operation | documented | seen | never seen | seen, undocumented |",
            "|---|---|---|---|---|---|",
        ]
        for op in self.operations:
            lines.append(
                f"| {op.provider} | `{op.operation_id}` | {len(op.documented)} | "
                f"{len(op.documented) - len(op.missing)} | "
                f"{', '.join(str(a) for a in op.missing) or '-'} | "
                f"{', '.join(str(a) for a in op.undocumented) or '-'} |"
            )
        return "\n".join(lines) + "\n"


def coverage(seen: Iterable[Seen], providers: Sequence[str]) -> Coverage:
    counts: Counter[tuple[str, str, Answer, str]] = Counter(
        (s.provider, s.operation_id, Answer(s.status, s.code), s.source) for s in seen
    )
    result = []
    for provider in providers:
        for op in operations(provider):
            documented = documented_answers(op)
            per: dict[Answer, dict[str, int]] = {}
            for (p, op_id, answer, source), count in counts.items():
                if (p, op_id) == (provider, op.operation_id):
                    per.setdefault(answer, {})[source] = count
            undocumented = tuple(sorted(a for a in per if a not in documented))
            result.append(
                OperationCoverage(
                    provider=provider,
                    operation_id=op.operation_id,
                    label=op.label,
                    documented=documented,
                    seen={a: s for a, s in per.items() if a in documented},
                    undocumented=undocumented,
                )
            )
    return Coverage(tuple(result))


def write_reports(cov: Coverage, report_dir: Path, stem: str = "contract-coverage") -> None:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / f"{stem}.json").write_text(
        json.dumps(cov.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    (report_dir / f"{stem}.md").write_text(cov.markdown(), encoding="utf-8")
