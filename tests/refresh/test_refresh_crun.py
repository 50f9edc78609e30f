"""`make refresh CRUN_SOURCE=<file>`: a new copy of crun's page, the spec elements whose
cited sentence changed named, and nothing written until they are fixed.

Every refresh here runs on a temporary copy; the real tree is only read.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kling_avatar._yaml import safe_load

from scripts.refresh_crun import check_page, main_crun, quotes

ROOT = Path(__file__).resolve().parents[2]
PAGE = "specs/sources/crun-kling-avatar.txt"
SPEC = "specs/crun.yaml"
MODEL = "/components/schemas/CreateTaskRequest/properties/model"


def copy_tree(root: Path) -> Path:
    for name in (PAGE, SPEC):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, root / name)
    return root


def page() -> str:
    return (ROOT / PAGE).read_text()


def spec() -> dict[str, object]:
    loaded: dict[str, object] = safe_load((ROOT / SPEC).read_text())
    return loaded


def test_every_quote_in_the_spec_is_on_the_kept_page() -> None:
    result = check_page(spec(), page(), page())
    assert result.stale == [] and result.changed == [] and result.diff == []


def test_the_elements_resting_on_the_page_cite_it() -> None:
    cited = {pointer for pointer, _ in quotes(spec())}
    for pointer in (
        "/paths/~1api~1v1~1client~1job~1CreateTask/post",
        MODEL,
        "/components/schemas/CreateTaskRequest/properties/callback_url",
        "/components/schemas/KlingAvatarInput/properties/mode",
        "/components/schemas/KlingAvatarInput/properties/prompt",
        "/components/schemas/ResponseCode",
        "/components/schemas/Envelope/properties/message",
        "/components/securitySchemes/ApiKeyAuth",
    ):
        assert pointer in cited, pointer


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (("Must be kling/avatar for", "Must be kling/avatar-v2 for"), [MODEL]),
        (
            ('"mode": "pro",', '"quality": "pro",'),
            ["/components/schemas/KlingAvatarInput/properties/mode"],
        ),
        (
            ("It returns an HTTP 200 status code", "It returns an HTTP 204 status code"),
            [
                "/paths/~1api~1v1~1client~1job~1CreateTask/post/callbacks/taskCompleted"
                "/{$request.body#~1callback_url}/post/responses/200"
            ],
        ),
    ],
)
def test_a_changed_cited_sentence_names_its_element_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: tuple[str, str],
    named: list[str],
) -> None:
    root = copy_tree(tmp_path)
    new = page().replace(*edit)
    assert new != page()
    assert main_crun(root, new.encode()) == 1
    out = capsys.readouterr().out
    assert [
        line.split(":")[0].removeprefix("CHANGED ")
        for line in out.splitlines()
        if line.startswith("CHANGED ")
    ] == named
    assert edit[1] in out  # the diff shows the new text
    assert (root / PAGE).read_text() == page()


def test_a_change_nobody_cites_is_shown_and_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_tree(tmp_path)
    new = page().replace("Higher resolution source images", "Sharper source images")
    assert main_crun(root, new.encode()) == 0
    out = capsys.readouterr().out
    assert "+Use high-quality" in out and "Sharper source images" in out
    assert "no cited passage changed" in out
    assert (root / PAGE).read_text() == new


def test_rewrapped_and_rebulleted_text_is_the_same_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_tree(tmp_path)
    new = page().replace("  • ", "- ").replace(" status code upon", "\n   status code upon")
    assert main_crun(root, new.encode()) == 0
    assert "CHANGED" not in capsys.readouterr().out


def test_make_refresh_takes_crun_source(tmp_path: Path) -> None:
    """The command line the README gives, end to end (on the real tree, which it only reads)."""
    same = tmp_path / "crun.txt"
    same.write_text(page())
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "scripts.refresh", "--crun-source", str(same)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the page is unchanged" in done.stdout
