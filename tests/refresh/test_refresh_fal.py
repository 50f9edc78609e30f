"""`make refresh FAL_SOURCE=...`: fal's per-endpoint documents in, normalised to OpenAPI 3.0,
merged, our additions applied; a changed document in fal's form taken, diffed and regenerated.

Every refresh here runs on a temporary copy; the real tree is only read.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kling_avatar._yaml import safe_load
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from scripts import refresh_fal
from scripts.refresh_fal import (
    HEADER,
    PUBLISHED,
    FalDocumentError,
    FalPaths,
    Kept,
    check_fal,
    merge,
    normalize,
    normalize_schema,
    read_kept,
    upstream_spec,
)
from scripts.refresh_fal import (
    refresh_fal as run_refresh,
)

from .repo import git
from .test_refresh_additions import differences

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "sources" / "fal-queue-openapi-example.json"
V2_STANDARD = "fal-ai/kling-video/ai-avatar/v2/standard"
SUBMIT = f"/{V2_STANDARD}"
STATUS = f"/{V2_STANDARD}/requests/{{request_id}}/status"
INPUT = "KlingVideoAiAvatarV2StandardInput"
OUTPUT = "KlingVideoAiAvatarV2StandardOutput"
JSON_NULL = {"$ref": "#/components/schemas/JsonNull"}


def copy_specs(root: Path) -> FalPaths:
    paths = FalPaths(root)
    shutil.copytree(FalPaths(ROOT).upstream, paths.upstream)
    for name in ("fal.additions.yaml", "fal.yaml"):
        shutil.copyfile(ROOT / "specs" / name, root / "specs" / name)
    return paths


def kept_document(endpoint: str = V2_STANDARD) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FalPaths(ROOT).document(endpoint).read_bytes())
    return document


def published(change: str) -> dict[str, Any]:
    """v2 standard's document as we keep it, with one change a new version might bring, written
    the way fal writes its documents (3.1-style nulls, `examples` lists)."""
    document = kept_document()
    schemas = document["components"]["schemas"]
    if change == "new optional field":
        schemas[INPUT]["properties"]["negative_prompt"] = {
            "examples": ["blur, distortion"],
            "description": "What the video should not show.",
            "title": "Negative Prompt",
            "anyOf": [{"type": "string"}, {"type": "null"}],
        }
        schemas[INPUT]["x-fal-order-properties"].append("negative_prompt")
    elif change == "output field removed":
        del schemas[OUTPUT]["properties"]["duration"]
        schemas[OUTPUT]["required"].remove("duration")
    elif change == "status path moved":
        paths = document["paths"]
        paths[STATUS.replace("/status", "/state")] = paths.pop(STATUS)
    return document


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2))
    return path


def built(paths: FalPaths) -> dict[str, Any]:
    spec: dict[str, Any] = safe_load(paths.built.read_text())
    return spec


def test_committed_fal_spec_is_the_build_of_fals_documents_and_the_additions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_fal(FalPaths(ROOT)) == 0, capsys.readouterr().out


# --- 1. normalise ----------------------------------------------------------------------------


def test_fals_own_form_is_not_openapi_3_0_until_normalised() -> None:
    document = json.loads(EXAMPLE.read_text())
    with pytest.raises(OpenAPIValidationError):
        validate(document)
    validate(normalize(document))


@pytest.mark.parametrize(
    ("fal", "openapi_3_0"),
    [
        pytest.param(
            {"title": "Seed", "anyOf": [{"type": "integer"}, {"type": "null"}], "examples": [1, 2]},
            {"title": "Seed", "type": "integer", "nullable": True, "example": 1},
            id="null member of a typed anyOf: nullable, in its place",
        ),
        pytest.param(
            {"anyOf": [{"$ref": "#/components/schemas/File"}, {"type": "null"}]},
            {"anyOf": [{"$ref": "#/components/schemas/File"}, JSON_NULL]},
            id="null member next to a reference: JsonNull",
        ),
        pytest.param(
            {"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}]},
            {"anyOf": [{"type": "string", "enum": ["a"]}, JSON_NULL]},
            id="null member next to an enum: JsonNull (Prism cannot compile a nullable enum)",
        ),
        pytest.param(
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]},
            {"anyOf": [{"type": "string"}, {"type": "integer"}, JSON_NULL]},
            id="null member of a wider anyOf: JsonNull",
        ),
        pytest.param(
            {"type": ["number", "null"]},
            {"type": "number", "nullable": True},
            id="a type list with null",
        ),
        pytest.param(
            {"description": "The video", "$ref": "#/components/schemas/File"},
            {"description": "The video", "allOf": [{"$ref": "#/components/schemas/File"}]},
            id="a reference with siblings: allOf, keeping the siblings",
        ),
        pytest.param(
            {"type": "object", "properties": {"a": {"type": "array", "items": {"examples": [[]]}}}},
            {"type": "object", "properties": {"a": {"type": "array", "items": {"example": []}}}},
            id="nested schemas too",
        ),
    ],
)
def test_normalising_a_schema(fal: dict[str, Any], openapi_3_0: dict[str, Any]) -> None:
    assert normalize_schema(fal) == openapi_3_0


def test_normalising_leaves_a_media_types_examples_alone() -> None:
    # A map of named examples is OpenAPI 3.0's own (unlike a schema's list).
    content = {"application/json": {"schema": {"type": "object"}, "examples": {"a": {"value": 1}}}}
    document = {"paths": {"/p": {"get": {"responses": {"200": {"content": content}}}}}}
    assert normalize(document) == document


# --- 2. merge --------------------------------------------------------------------------------


def merged(*documents: dict[str, Any]) -> dict[str, Any]:
    return merge([(Kept(f"e{n}", "test", b""), doc) for n, doc in enumerate(documents)])


def test_the_merge_keeps_a_shared_component_once_and_a_shared_title_aside() -> None:
    one, two = kept_document(), kept_document("fal-ai/kling-video/v1/pro/ai-avatar")
    spec = merged(one, two)
    assert len(spec["paths"]) == len(one["paths"]) + len(two["paths"])
    schemas = spec["components"]["schemas"]
    assert schemas["QueueStatus"] == one["components"]["schemas"]["QueueStatus"]
    # Both inputs are fal's `AIAvatarInput`: as titles, two generated models of one name.
    assert schemas[INPUT]["x-fal-title"] == "AIAvatarInput"
    assert "title" not in schemas[INPUT] and "title" not in schemas["KlingVideoV1ProAiAvatarInput"]
    assert schemas["File"]["title"] == "File", "a title that is its name stays"


def test_the_merge_stops_at_a_component_two_documents_define_differently() -> None:
    one, two = kept_document(), kept_document("fal-ai/kling-video/v1/pro/ai-avatar")
    two["components"]["schemas"]["File"]["required"] = ["url", "file_name"]
    with pytest.raises(
        FalDocumentError, match=r"components\.schemas\.File differs between e0 and e1"
    ):
        merged(one, two)


def test_the_merge_stops_at_a_path_in_two_documents() -> None:
    with pytest.raises(FalDocumentError, match=r"path /fal-ai/\S+ is in both e0 and e1"):
        merged(kept_document(), kept_document())


def test_the_merge_stops_at_servers_that_differ() -> None:
    two = kept_document("fal-ai/kling-video/v1/pro/ai-avatar")
    two["servers"] = [{"url": "https://queue.example"}]
    with pytest.raises(FalDocumentError, match="`servers` differs"):
        merged(kept_document(), two)


# --- 3. the pipeline -------------------------------------------------------------------------


def test_refresh_takes_a_changed_document_and_keeps_our_additions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = copy_specs(tmp_path / "repo")
    before = built(paths)
    source = write_json(tmp_path / "v2-standard.json", published("new optional field"))

    assert run_refresh(paths, [str(source)], generate=False, checks=False) == 0

    assert paths.document(V2_STANDARD).read_bytes() == source.read_bytes(), "kept verbatim"
    assert read_kept(paths)[0].source == str(source)
    assert {item.source for item in read_kept(paths)[1:]} == {"reconstruction"}
    after = built(paths)
    field = after["components"]["schemas"][INPUT]["properties"]["negative_prompt"]
    assert field["type"] == "string" and field["nullable"] is True, "normalised"
    assert field["example"] == "blur, distortion"
    assert after["paths"][SUBMIT]["post"]["operationId"] == "submitAvatarV2Standard"
    assert after["info"]["x-deviations"] == before["info"]["x-deviations"]
    assert set(after["paths"]) == set(before["paths"]), "our paths survive the refresh"
    assert paths.built.read_text().startswith(HEADER)
    out = capsys.readouterr().out
    assert "== spec-diff: specs/fal.yaml before -> after" in out
    assert "spec-diff before -> after: 0 breaking, 1 non-breaking" in out
    assert f"POST {SUBMIT}: request body: negative_prompt added, optional" in out
    assert check_fal(paths) == 0


def test_refresh_fails_on_breaking_changes_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = copy_specs(tmp_path / "repo")
    source = write_json(tmp_path / "v2-standard.json", published("output field removed"))

    assert (
        run_refresh(paths, [str(source)], generate=False, checks=False, fail_on_breaking=True) == 1
    )

    out = capsys.readouterr().out
    result = f"GET /{V2_STANDARD}/requests/{{request_id}}"
    assert f"[field removed] {result}: response 200 body: duration removed" in out
    # The shared readers of every output see it too: the owner/app result and the webhook.
    owner_app = "GET /fal-ai/kling-video/requests/{request_id}"
    assert f"[field removed] {owner_app}: response 200 body: <anyOf 0>.duration removed" in out
    assert f"[field removed] POST {SUBMIT} callback webhook: callback body:" in out
    assert "FAIL_ON_BREAKING is set and callers are broken." in out
    assert paths.document(V2_STANDARD).read_bytes() == source.read_bytes(), "the refresh happened"


def test_refresh_stops_when_an_addition_no_longer_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = copy_specs(tmp_path / "repo")
    originals = {
        path: path.read_bytes() for path in (paths.root / "specs").rglob("*") if path.is_file()
    }
    source = write_json(tmp_path / "v2-standard.json", published("status path moved"))

    assert run_refresh(paths, [str(source)], generate=False, checks=False) == 1

    out = capsys.readouterr().out
    assert "specs/fal.additions.yaml no longer fits fal's documents" in out
    assert f"selects nothing: no '{STATUS}'" in out
    assert {path: path.read_bytes() for path in originals} == originals, "nothing written"


def test_refresh_refuses_a_document_of_another_endpoint_or_none(tmp_path: Path) -> None:
    paths = copy_specs(tmp_path / "repo")
    other = json.loads(EXAMPLE.read_text())
    with pytest.raises(SystemExit, match="alibaba/happy-horse/image-to-video, which is not one of"):
        run_refresh(paths, [str(write_json(tmp_path / "other.json", other))], generate=False)
    del other["info"]["x-fal-metadata"]
    other["info"]["title"] = "Some API"
    with pytest.raises(SystemExit, match="names no endpoint"):
        run_refresh(paths, [str(write_json(tmp_path / "none.json", other))], generate=False)
    two = [str(write_json(tmp_path / f"{n}.json", kept_document())) for n in range(2)]
    with pytest.raises(SystemExit, match=f"a second document for {V2_STANDARD}"):
        run_refresh(paths, two, generate=False)


def test_refresh_published_reads_fals_document_of_every_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = copy_specs(tmp_path / "repo")
    endpoints = [item.endpoint for item in read_kept(paths)]
    served = {PUBLISHED.format(endpoint=e): paths.document(e).read_bytes() for e in endpoints}
    asked: list[str] = []

    def fetch(source: str) -> bytes:
        asked.append(source)
        return served[source]

    monkeypatch.setattr(refresh_fal, "read_source", fetch)
    assert run_refresh(paths, ["published"], generate=False, checks=False) == 0
    assert asked == [
        f"https://fal.ai/api/openapi/queue/openapi.json?endpoint_id={e}" for e in endpoints
    ]
    assert [item.source for item in read_kept(paths)] == asked
    assert check_fal(paths) == 0


def test_make_refresh_regenerates_fals_client(repo: Path, tmp_path: Path) -> None:
    """The whole pipeline but mypy/pytest, in a throwaway git repository."""
    source = write_json(tmp_path / "new.json", published("new optional field"))

    done = subprocess.run(  # noqa: S603 - our own script on our own file
        [sys.executable, "-m", "scripts.refresh", "--fal-source", str(source), "--no-checks"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "generated generated/kling_avatar_generated/fal from specs/fal.yaml" in done.stdout
    assert "== refresh: spec-diff 0 breaking, 1 non-breaking; regenerate ok" in done.stdout
    changed = git(repo, "diff", "--name-only", "--", "generated/").split()
    assert changed == [
        "generated/kling_avatar_generated/fal/models/kling_video_ai_avatar_v2_standard_input.py"
    ]


# --- the deviations list is the one place changes to fal's text are listed -----------------


def is_ours(place: tuple[str, ...], upstream: dict[str, Any]) -> bool:
    """Added next to fal's text: an `x-` annotation, a whole new path, component or top-level
    key, or `info` (the merge's own; fal's four are kept whole in info.x-fal-documents)."""
    if place[0] == "info" or any(step.startswith("x-") for step in place):
        return True
    if len(place) == 2 and place[0] == "paths":
        return place[1] not in upstream["paths"]
    if len(place) == 2 and place[0] == "components":
        return place[1] not in upstream["components"]
    if len(place) == 3 and place[0] == "components":
        return place[2] not in upstream["components"].get(place[1], {})
    return len(place) == 1 and place[0] not in upstream


def covers(deviation: dict[str, str], place: tuple[str, ...]) -> bool:
    dotted = ".".join(place)
    return fnmatch.fnmatchcase(dotted, deviation["at"]) or fnmatch.fnmatchcase(
        dotted, deviation["at"] + ".*"
    )


def changes_to_fals_text() -> tuple[list[tuple[str, ...]], list[dict[str, str]]]:
    upstream = upstream_spec(read_kept(FalPaths(ROOT)))
    ours = safe_load((ROOT / "specs" / "fal.yaml").read_text())
    changed = [place for place in differences(upstream, ours) if not is_ours(place, upstream)]
    return changed, ours["info"]["x-deviations"]


def test_every_change_to_fals_text_is_a_listed_deviation_and_each_listed_one_happened() -> None:
    changed, deviations = changes_to_fals_text()
    assert all({"at", "change", "why"} <= set(d) and d["why"] for d in deviations)
    assert changed, "our spec does change fal's text"
    unlisted = [".".join(p) for p in changed if not any(covers(d, p) for d in deviations)]
    assert unlisted == []
    stale = [d["at"] for d in deviations if not any(covers(d, p) for p in changed)]
    assert stale == []


def test_the_deviation_check_notices_an_unlisted_change() -> None:
    changed, deviations = changes_to_fals_text()
    upstream = upstream_spec(read_kept(FalPaths(ROOT)))
    ours = copy.deepcopy(safe_load((ROOT / "specs" / "fal.yaml").read_text()))
    ours["components"]["schemas"][INPUT]["properties"]["prompt"]["maxLength"] = 10
    changed = [place for place in differences(upstream, ours) if not is_ours(place, upstream)]
    unlisted = [".".join(p) for p in changed if not any(covers(d, p) for d in deviations)]
    assert unlisted == [f"components.schemas.{INPUT}.properties.prompt.maxLength"]
