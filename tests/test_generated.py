"""The generated clients: what the generator config promises, and the drift check's teeth."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.generate import GENERATED, PROVIDERS, diff_trees


@pytest.mark.parametrize("provider", PROVIDERS)
def test_generated_package_ships_py_typed(provider: str) -> None:
    assert (GENERATED / f"{provider}_client" / "py.typed").is_file()
    assert not list((GENERATED / f"{provider}_client").rglob(".ruff_cache"))


def test_generated_clients_keep_the_token_out_of_repr() -> None:
    import apikley_client
    import crun_client

    for client in (
        crun_client.AuthenticatedClient(
            base_url="http://127.0.0.1",
            token="sk-secret-1",
            prefix="",
            auth_header_name="x-api-key",
        ),
        apikley_client.AuthenticatedClient(base_url="http://127.0.0.1", token="sk-secret-1"),
    ):
        assert "sk-secret-1" not in repr(client)


def test_drift_check_reports_edits_and_stale_files(tmp_path: Path) -> None:
    committed = tmp_path / "crun_client"
    shutil.copytree(GENERATED / "crun_client", committed)
    assert diff_trees(GENERATED / "crun_client", committed, "generated/crun_client") == []

    (committed / "client.py").write_text((committed / "client.py").read_text() + "# hand edit\n")
    (committed / "stale.py").write_text("LEFT_BEHIND = True\n")
    (committed / "types.py").unlink()
    report = "".join(diff_trees(GENERATED / "crun_client", committed, "generated/crun_client"))

    assert "-# hand edit" in report
    assert "--- generated/crun_client/stale.py" in report and "-LEFT_BEHIND = True" in report
    assert "+++ regenerated/types.py" in report
