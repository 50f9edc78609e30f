"""spec-diff classes each change the way a caller of our generated clients meets it.

Each fixture under fixtures/ is an OpenAPI Overlay applied to one of our real specs, so the
versions compared are our specs with one kind of change made on purpose.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kling_avatar._yaml import safe_load

from scripts.refresh import apply_overlay
from scripts.specdiff import Change, Kind, diff_specs, render_report
from scripts.specdiff.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CREATE = "POST /api/v1/jobs/createTask"
CALLBACK = "POST /api/v1/jobs/createTask callback taskCompleted"
QUERY = "GET /api/v1/jobs/recordInfo"

Row = tuple[bool, Kind, str]


def versions(fixture: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(our spec, our spec with the fixture's change)."""
    overlay = safe_load((FIXTURES / fixture).read_text())
    base = safe_load((ROOT / overlay["extends"]).read_text())
    return base, apply_overlay(base, overlay)


def rows(changes: list[Change]) -> list[Row]:
    return [(change.breaking, change.kind, str(change)) for change in changes]


CASES: dict[str, list[Row]] = {
    "removed-field.overlay.yaml": [
        (True, Kind.FIELD_REMOVED, f"{CREATE}: request body: callBackUrl removed"),
        # TaskRecord is shared: the removal reaches every reader of it.
        (True, Kind.FIELD_REMOVED, f"{CALLBACK}: callback body: data.resultJson removed"),
        (True, Kind.FIELD_REMOVED, f"{QUERY}: response 200 body: data.resultJson removed"),
    ],
    "new-required-field.overlay.yaml": [
        (True, Kind.FIELD_ADDED, f"{CREATE}: request body: input.aspect_ratio added, required"),
        # A caller reading a response is not hurt by a field it may ignore.
        (False, Kind.FIELD_ADDED, f"{CREATE}: response 200 body: data.recordId added, required"),
    ],
    "narrowed-enum.overlay.yaml": [
        (
            True,
            Kind.ENUM_VALUE_REMOVED,
            f"{CREATE}: request body: model enum value kling/v1-avatar-standard removed",
        ),
        (
            True,
            Kind.ENUM_VALUE_REMOVED,
            f"{CALLBACK}: callback body: data.state enum value queuing removed",
        ),
        (
            True,
            Kind.ENUM_VALUE_REMOVED,
            f"{QUERY}: response 200 body: data.state enum value queuing removed",
        ),
    ],
    "renamed-path.overlay.yaml": [
        (
            True,
            Kind.PATH_RENAMED,
            f"{QUERY}: now GET /api/v2/jobs/recordInfo (operationId getTaskDetails)",
        ),
    ],
    "new-optional-field.overlay.yaml": [
        (False, Kind.FIELD_ADDED, f"{CREATE}: request body: input.negative_prompt added, optional"),
        (False, Kind.FIELD_ADDED, f"{CALLBACK}: callback body: data.progress added, optional"),
        (False, Kind.FIELD_ADDED, f"{QUERY}: response 200 body: data.progress added, optional"),
    ],
    "changed-auth.overlay.yaml": [
        (
            True,
            Kind.AUTH_CHANGED,
            "security: scheme ApiKeyAuth {'type': 'apiKey', 'in': 'header', 'name': 'x-api-key'}"
            " -> {'type': 'http', 'scheme': 'bearer'}",
        ),
    ],
    "moved-server.overlay.yaml": [
        (
            True,
            Kind.SERVER_CHANGED,
            "servers (every operation): servers ['https://api.crun.ai', 'https://api.crunai.com']"
            " -> ['https://api.crun.example', 'https://api.crunai.com']",
        ),
        (
            True,
            Kind.TYPE_CHANGED,
            "POST /api/v1/client/job/CreateTask callback taskCompleted: callback body:"
            " <anyOf 0>.create_at type integer -> string",
        ),
        (
            True,
            Kind.TYPE_CHANGED,
            "POST /api/v1/client/job/CreateTask callback taskCompleted: callback body:"
            " <anyOf 1>.data.create_at type integer -> string",
        ),
        (
            True,
            Kind.TYPE_CHANGED,
            "GET /api/v1/client/job/TaskInfo: response 200 body: data.create_at"
            " type integer -> string",
        ),
    ],
}


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_each_kind_of_change_is_classed(fixture: str) -> None:
    old, new = versions(fixture)
    assert rows(diff_specs(old, new)) == CASES[fixture]


def test_every_fixture_has_its_expected_classification() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.overlay.yaml")) == sorted(CASES)


@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_spec_against_itself_has_no_changes(provider: str) -> None:
    spec = safe_load((ROOT / "specs" / f"{provider}.yaml").read_text())
    assert diff_specs(spec, spec) == []


def test_the_same_edit_breaks_a_request_and_not_a_response() -> None:
    """Making a field optional hurts the reader of a response, not the writer of a request;
    making it required, the other way round."""
    base = safe_load((ROOT / "specs" / "apikley.yaml").read_text())
    body = "$.paths['/api/v1/jobs/createTask'].post.requestBody.content['application/json'].schema"
    overlay = {
        "overlay": "1.1.0",
        "info": {"title": "t", "version": "1"},
        "actions": [
            {"target": f"{body}.required[1]", "remove": True},  # input: required -> optional
            {"target": "$.components.schemas.TaskRecord.required[1]", "remove": True},  # state
        ],
    }
    changes = rows(diff_specs(base, apply_overlay(base, overlay)))
    assert (False, Kind.REQUIRED_CHANGED, f"{CREATE}: request body: input made optional") in (
        changes
    )
    assert (
        True,
        Kind.REQUIRED_CHANGED,
        f"{QUERY}: response 200 body: data.state made optional",
    ) in changes
    assert [row for row in changes if not row[2].startswith((CREATE, QUERY))] == []


def test_a_change_to_a_shared_schema_is_found_through_refs() -> None:
    old, new = versions("narrowed-enum.overlay.yaml")
    assert "$ref" in str(old["components"]["schemas"]["TaskRecord"]["properties"]["state"])
    places = {change.where for change in diff_specs(old, new)}
    assert {QUERY, CALLBACK} <= places


def write(tmp_path: Path, name: str, spec: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def test_cli_exit_status_follows_fail_on_breaking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, broken = versions("removed-field.overlay.yaml")
    _, widened = versions("new-optional-field.overlay.yaml")
    old_file = write(tmp_path, "old.yaml", old)
    broken_file = write(tmp_path, "broken.yaml", broken)
    widened_file = write(tmp_path, "widened.yaml", widened)

    assert main([old_file, broken_file]) == 0
    assert main([old_file, broken_file, "--fail-on-breaking"]) == 1
    assert main([old_file, widened_file, "--fail-on-breaking"]) == 0
    out = capsys.readouterr().out
    assert "3 breaking, 0 non-breaking" in out
    assert "0 breaking, 3 non-breaking" in out


def test_cli_reads_a_git_revision(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make spec-diff OLD=HEAD:specs/crun.yaml NEW=specs/crun.yaml` after a hand edit."""
    monkeypatch.chdir(ROOT)
    assert main(["HEAD:specs/crun.yaml", str(ROOT / "specs" / "crun.yaml")]) == 0
    assert "spec-diff HEAD:specs/crun.yaml -> " in capsys.readouterr().out


def test_report_lists_breaking_changes_first() -> None:
    old, new = versions("new-required-field.overlay.yaml")
    report = render_report(diff_specs(old, new), "old.yaml", "new.yaml")
    assert report.splitlines() == [
        "spec-diff old.yaml -> new.yaml: 1 breaking, 1 non-breaking",
        "BREAKING for callers:",
        f"  [field added] {CREATE}: request body: input.aspect_ratio added, required",
        "non-breaking:",
        f"  [field added] {CREATE}: response 200 body: data.recordId added, required",
    ]


def test_parameter_response_and_operation_changes() -> None:
    base = safe_load((ROOT / "specs" / "apikley.yaml").read_text())
    query = "$.paths['/api/v1/jobs/recordInfo'].get"
    overlay = {
        "overlay": "1.1.0",
        "info": {"title": "t", "version": "1"},
        "actions": [
            {"target": f"{query}.parameters[0]", "update": {"required": False}},
            {
                "target": f"{query}.parameters",
                "update": {"name": "v", "in": "query", "required": True},
            },
            {"target": f"{query}.responses['429']", "remove": True},
            {"target": "$.paths['/api/v1/chat/credit'].get.operationId", "update": "credits"},
            {"target": "$.paths", "update": {"/api/v1/ping": {"get": {"responses": {}}}}},
        ],
    }
    assert rows(diff_specs(base, apply_overlay(base, overlay))) == [
        (False, Kind.OPERATION_ADDED, "GET /api/v1/ping: operation added"),
        (False, Kind.REQUIRED_CHANGED, f"{QUERY}: query parameter taskId made optional"),
        (True, Kind.PARAMETER_ADDED, f"{QUERY}: query parameter v added, required"),
        (True, Kind.RESPONSE_REMOVED, f"{QUERY}: response 429 removed"),
        (
            True,
            Kind.OPERATION_ID_CHANGED,
            "GET /api/v1/chat/credit: operationId getCredits -> credits",
        ),
    ]
