"""The mock knows a provider only through its module in ``kling_avatar/testing/_providers/``.

The shared parts name no provider (they iterate ``kling_avatar._registry``); each provider's
module declares a ``ProviderMock`` that serves every operation of that provider's spec and
agrees with the client about the environment the keys come from.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from kling_avatar._providers import adapter_class
from kling_avatar._registry import PROVIDERS, Provider
from kling_avatar.testing import InProcessMock
from kling_avatar.testing._lookup import provider_mock
from kling_avatar.testing._specs import operation_ids

TESTING = Path(__file__).resolve().parents[2] / "overlay" / "kling_avatar" / "testing"
PROVIDER_NAME = re.compile(r"(?i)crun|apikley")


def _docstrings(tree: ast.AST) -> set[int]:
    nodes = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, nodes) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _shared_modules() -> list[Path]:
    return [p for p in sorted(TESTING.rglob("*.py")) if "_providers" not in p.parts]


def test_no_shared_module_names_a_provider() -> None:
    named = []
    for path in _shared_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        named += [
            f"{path.relative_to(TESTING)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and PROVIDER_NAME.search(node.value)
        ]
    assert _shared_modules(), TESTING  # the check looked somewhere
    assert named == []


def _module_name(path: Path) -> str:
    parts = path.relative_to(TESTING.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports relatively (a name imported from a module counts as one
    too: it is one, or is not among the modules)."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0]
            module = f"{base}.{node.module}" if node.module else base
            # `from . import _media` imports _media (the package is the one being imported).
            found |= {module} if node.module else set()
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_the_provider_modules_never_reach_the_lookup_that_loads_them() -> None:
    """``_lookup`` imports the provider modules by name (which an import graph does not see);
    were one of them to import ``_lookup``, however indirectly, that would be a cycle."""
    modules = {_module_name(path): path for path in TESTING.rglob("*.py")}
    lookup, providers = "kling_avatar.testing._lookup", "kling_avatar.testing._providers."
    seen: set[str] = set()
    todo = [name for name in modules if name.startswith(providers)]
    while todo:
        name = todo.pop()
        if name in seen or name not in modules:
            continue
        seen.add(name)
        todo += _imports(modules[name])
    assert lookup in modules
    assert "kling_avatar.testing._state" in seen  # the walk followed the imports
    assert lookup not in seen


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_module_serves_its_whole_spec(provider: Provider) -> None:
    assert set(provider_mock(provider).handlers) == set(operation_ids(provider))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_mock_takes_keys_from_the_variables_the_client_reads(provider: Provider) -> None:
    declared = provider_mock(provider)
    adapter = adapter_class(provider)
    assert (declared.key_variable, declared.base_url_variable) == (
        adapter.key_env,
        adapter.base_url_env,
    )


def test_a_key_given_one_provider_at_a_time_is_the_same_as_given_by_name() -> None:
    with (
        InProcessMock(crun_key="a", other_apikley_key="b") as spelled,
        InProcessMock(keys={"crun": "a"}, other_keys={"apikley": "b"}) as generic,
    ):
        for mock in (spelled, generic):
            assert (mock.crun_key, mock.keys["crun"]) == ("a", "a")
            assert (mock.other_apikley_key, mock.other_keys["apikley"]) == ("b", "b")
            assert mock.other_crun_key == "a-second-account"


def test_options_that_name_no_provider_or_contradict_are_refused() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'kie_key'"):
        InProcessMock(**{"kie_key": "k"})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no provider 'kie'"):
        InProcessMock(keys={"kie": "k"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="both given"):
        InProcessMock(crun_key="a", keys={"crun": "b"})
    readable_at_once = [p for p in PROVIDERS if provider_mock(p).null_read is None]
    for provider in readable_at_once:
        with pytest.raises(ValueError, match="readable at once"):
            InProcessMock(null_reads={provider: 1})
