"""The generated clients: what the generator config promises, and the drift check's teeth."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
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
    from kling_avatar_generated import apikley, crun, fal

    for client in (
        crun.AuthenticatedClient(
            base_url="http://127.0.0.1",
            token="sk-secret-1",
            prefix="",
            auth_header_name="x-api-key",
        ),
        apikley.AuthenticatedClient(base_url="http://127.0.0.1", token="sk-secret-1"),
        fal.AuthenticatedClient(base_url="http://127.0.0.1", token="sk-secret-1", prefix="Key"),
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


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_model_is_importable_from_the_lazy_models_package(provider: str) -> None:
    models = importlib.import_module(f"{NAMESPACE}.{provider}.models")
    for name in models.__all__:
        model = getattr(models, name)
        assert model.__name__ == name
        assert name in dir(models)
    with pytest.raises(AttributeError, match="NoSuchModel"):
        models.NoSuchModel  # noqa: B018


@pytest.mark.parametrize(
    ("provider", "creation_model"),
    [("crun", "create_task_request"), ("apikley", "kling_ai_avatar_v1_pro_body")],
)
def test_a_client_that_only_reads_tasks_loads_only_their_models(
    provider: str, creation_model: str
) -> None:
    # A fresh interpreter (this one has imported everything), with an in-process transport.
    code = f"""
import json, sys, httpx
from kling_avatar import AvatarClient
answer = httpx.Response(200, json={{"code": 500, "message": "no"}})
transport = httpx.MockTransport(lambda request: answer)
with AvatarClient({provider!r}, api_key="sk-test-0123456789", base_url="https://x.example",
                  transport=transport, max_retries=0) as client:
    try:
        client.get_task("t1")
    except Exception:
        pass
prefix = "{NAMESPACE}.{provider}.models."
print(json.dumps({{
    "models": [m[len(prefix):] for m in sys.modules if m.startswith(prefix)],
    "httpcore": "httpcore" in sys.modules,
}}))
"""
    done = subprocess.run(  # noqa: S603  (this interpreter, the test's own code)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    all_models = importlib.import_module(f"{NAMESPACE}.{provider}.models").__all__
    assert creation_model not in loaded["models"]
    assert 0 < len(loaded["models"]) < len(all_models) / 2, loaded
    assert not loaded["httpcore"]  # loaded with a real HTTP transport only, as in httpx
