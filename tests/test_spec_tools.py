"""The Prism checks of `make spec-prism` catch the spec they were written for: a JSON null Prism
cannot compile makes its proxy pass every answer, and the checks say so."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from kling_avatar._yaml import safe_load

from scripts.spectools.prism_proxy_check import check_spec

ROOT = Path(__file__).resolve().parent.parent
PRISM = ROOT / "node_modules" / ".bin" / "prism"
# The form the specs used before: Spectral, Redocly and Prism's ajv all reject it.
OLD_JSON_NULL = {"nullable": True, "enum": [None]}

pytestmark = pytest.mark.skipif(
    not PRISM.exists(), reason="node_modules/ is not installed: `make spec-prism` installs it"
)


@pytest.fixture
def old_crun(tmp_path: Path) -> Path:
    spec = safe_load((ROOT / "specs" / "crun.yaml").read_text())
    spec["components"]["schemas"]["JsonNull"] = OLD_JSON_NULL
    path = tmp_path / "crun.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_the_compile_check_names_the_schemas_prism_cannot_compile(old_crun: Path) -> None:
    done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        ["node", str(ROOT / "scripts" / "spectools" / "prism_compile.cjs"), str(old_crun)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "POST /api/v1/client/job/CreateTask 200 application/json" in done.stdout
    assert '"nullable" cannot be used without "type"' in done.stdout


def test_the_proxy_check_sees_prism_pass_a_wrong_answer(old_crun: Path) -> None:
    verdicts = {op: (right, wrong) for op, right, wrong in check_spec(str(PRISM), old_crun)}
    assert verdicts["createTask"] == ("passed", "passed")  # what Prism did with the old spec
    assert verdicts["getBalance"] == ("passed", "passed")
