"""The generated clients: what the generator config promises, and the drift check's teeth."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.generate import NAMESPACE, PACKAGES, PROVIDERS, diff_trees


@pytest.mark.parametrize("provider", PROVIDERS)
def test_generated_package_ships_py_typed(provider: str) -> None:
    assert (PACKAGES / provider / "py.typed").is_file()
    assert not list((PACKAGES / provider).rglob(".ruff_cache"))


def test_the_wheel_installs_one_top_level_package_for_both_clients() -> None:
    """Nothing generic (`crun_client`) lands next to a user's own packages."""
    import tomllib

    pyproject = tomllib.loads((PACKAGES.parents[1] / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert sorted(Path(p).name for p in packages) == ["kling_avatar", NAMESPACE]


def test_generated_clients_keep_the_token_out_of_repr() -> None:
    from kling_avatar_generated import apikley, crun

    for client in (
        crun.AuthenticatedClient(
            base_url="http://127.0.0.1",
            token="sk-secret-1",
            prefix="",
            auth_header_name="x-api-key",
        ),
        apikley.AuthenticatedClient(base_url="http://127.0.0.1", token="sk-secret-1"),
    ):
        assert "sk-secret-1" not in repr(client)


def test_drift_check_reports_edits_and_stale_files(tmp_path: Path) -> None:
    label = f"generated/{NAMESPACE}/crun"
    committed = tmp_path / "crun"
    shutil.copytree(PACKAGES / "crun", committed)
    assert diff_trees(PACKAGES / "crun", committed, label) == []

    (committed / "client.py").write_text((committed / "client.py").read_text() + "# hand edit\n")
    (committed / "stale.py").write_text("LEFT_BEHIND = True\n")
    (committed / "types.py").unlink()
    report = "".join(diff_trees(PACKAGES / "crun", committed, label))

    assert "-# hand edit" in report
    assert f"--- {label}/stale.py" in report and "-LEFT_BEHIND = True" in report
    assert "+++ regenerated/types.py" in report
