"""The mock ships with the package, finds its specs installed or in-tree, stays optional."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from kling_avatar.testing import _specs

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_specs_where_the_mock_looks_first() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    installed = Path(_specs.__file__).parent / "specs"
    package_root = Path(_specs.__file__).parents[2]  # the folder holding kling_avatar/
    assert _specs._CANDIDATES[0] == installed
    for name in ("crun.yaml", "apikley.yaml"):
        target = shipped[f"specs/{name}"]
        assert package_root / target == installed / name


def test_in_tree_the_mock_serves_the_repositorys_own_specs() -> None:
    assert _specs.specs_dir() == ROOT / "specs"


def test_importing_the_client_does_not_import_the_mock() -> None:
    code = (
        "import sys, kling_avatar\n"
        "mock_modules = ('kling_avatar.testing', 'connexion', 'uvicorn')\n"
        "loaded = [name for name in mock_modules if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
