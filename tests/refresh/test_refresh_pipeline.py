"""`make refresh`: a new published document in, our spec rebuilt with our additions intact.

Every refresh here runs on a temporary copy; the real tree is only read.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kling_avatar._yaml import safe_load

from scripts.refresh import HEADER, Paths, check, refresh

from .repo import git

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES = ("specs/upstream/apikley.yaml", "specs/apikley.additions.yaml", "specs/apikley.yaml")
CREATE = "/api/v1/jobs/createTask"


def copy_specs(root: Path) -> Paths:
    for name in SPEC_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, root / name)
    return Paths(root)


def published(change: str) -> dict[str, Any]:
    """Apikley's document as we keep it, with one change a new version of the page might bring."""
    document: dict[str, Any] = safe_load((ROOT / SPEC_FILES[0]).read_text())
    body = document["paths"][CREATE]["post"]["requestBody"]["content"]["application/json"]
    inputs = body["schema"]["properties"]["input"]["properties"]
    if change == "new optional field":
        inputs["mode"] = {"type": "string", "enum": ["std", "pro"], "description": "Quality."}
    elif change == "image_url renamed":
        inputs["image"] = inputs.pop("image_url")
    elif change == "callBackUrl renamed":
        properties = body["schema"]["properties"]
        properties["callbackUrl"] = properties.pop("callBackUrl")
    return document


def write_json(path: Path, document: dict[str, Any]) -> Path:
    # Apikley serves its document as JSON; JSON is YAML, so it is kept exactly as served.
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    return path


def built(paths: Paths) -> dict[str, Any]:
    spec: dict[str, Any] = safe_load(paths.built.read_text())
    return spec


def test_committed_apikley_spec_is_the_build_of_upstream_and_additions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check(Paths(ROOT)) == 0, capsys.readouterr().out


def test_refresh_keeps_the_document_verbatim_and_our_additions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = copy_specs(tmp_path / "repo")
    before = built(paths)
    source = write_json(tmp_path / "ai-avatar-v1-pro.json", published("new optional field"))

    assert refresh(paths, str(source), generate=False, checks=False) == 0

    assert paths.upstream.read_bytes() == source.read_bytes()
    after = built(paths)
    body = after["paths"][CREATE]["post"]["requestBody"]["content"]["application/json"]
    inputs = body["schema"]["properties"]["input"]["properties"]
    assert inputs["mode"] == {"type": "string", "enum": ["std", "pro"], "description": "Quality."}
    assert inputs["image_url"]["format"] == "uri", "a deviation survives the refresh"
    assert after["info"]["x-deviations"] == before["info"]["x-deviations"]
    assert set(after["paths"]) == set(before["paths"]), "our endpoints survive the refresh"
    assert paths.built.read_text().startswith(HEADER)
    out = capsys.readouterr().out
    assert "spec-diff before -> after: 0 breaking, 1 non-breaking" in out
    assert "request body: input.mode added, optional" in out
    assert check(paths) == 0


def test_refresh_fails_on_breaking_changes_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = copy_specs(tmp_path / "repo")
    source = write_json(tmp_path / "new.json", published("callBackUrl renamed"))

    assert refresh(paths, str(source), generate=False, checks=False, fail_on_breaking=True) == 1

    out = capsys.readouterr().out
    assert (
        "BREAKING for callers:\n  [field removed] POST /api/v1/jobs/createTask: request body:"
        " callBackUrl removed\n" in out
    )
    assert "== refresh: spec-diff 1 breaking, 1 non-breaking" in out
    assert paths.upstream.read_bytes() == source.read_bytes(), "the refresh itself happened"


def test_refresh_stops_when_an_addition_no_longer_fits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = copy_specs(tmp_path / "repo")
    source = write_json(tmp_path / "new.json", published("image_url renamed"))

    assert refresh(paths, str(source), generate=False, checks=False) == 1

    out = capsys.readouterr().out
    assert "no longer fits" in out
    assert "selects nothing: no 'image_url'" in out
    for name in SPEC_FILES:
        assert (paths.root / name).read_bytes() == (ROOT / name).read_bytes(), name


def test_refresh_refuses_a_page_that_is_not_an_openapi_document(tmp_path: Path) -> None:
    paths = copy_specs(tmp_path / "repo")
    page = tmp_path / "page.html"
    page.write_text("<html><body>Kling - AI Avatar V1 Pro</body></html>")
    with pytest.raises(SystemExit, match="not an OpenAPI document"):
        refresh(paths, str(page), generate=False, checks=False)
    for name in SPEC_FILES:
        assert (paths.root / name).read_bytes() == (ROOT / name).read_bytes(), name


def test_check_catches_a_hand_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = copy_specs(tmp_path / "repo")
    paths.built.write_text(paths.built.read_text().replace("Remaining credits", "Credits left"))
    assert check(paths) == 1
    out = capsys.readouterr().out
    assert "+      summary: Remaining credits" in out
    assert "move the edit into specs/apikley.additions.yaml" in out


def test_make_refresh_regenerates_and_shows_the_generated_diff(repo: Path, tmp_path: Path) -> None:
    """The whole pipeline but mypy/pytest, in a throwaway git repository."""
    source = write_json(tmp_path / "new.json", published("new optional field"))

    done = subprocess.run(  # noqa: S603 - our own script on our own file
        [sys.executable, "-m", "scripts.refresh", "--source", str(source), "--no-checks"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "input.mode added, optional" in done.stdout
    assert (
        "generated generated/kling_avatar_generated/apikley from specs/apikley.yaml" in done.stdout
    )
    assert "== refresh: spec-diff 0 breaking, 1 non-breaking; regenerate ok" in done.stdout
    changed = git(repo, "diff", "--name-only", "--", "generated/").split()
    assert (
        "generated/kling_avatar_generated/apikley/models/kling_ai_avatar_v1_pro_body_input.py"
        in changed
    )
    assert "kling_ai_avatar_v1_pro_body_input.py" in done.stdout  # git diff --stat
    assert (
        "generated/kling_avatar_generated/apikley/models/kling_ai_avatar_v1_pro_body_input_mode.py"
        in (done.stdout.splitlines())
    ), "the new enum's model is listed as a new file"
