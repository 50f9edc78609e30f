"""The package's shape: providers are named in their own modules only, and the names agree.

A new provider is its modules (the adapter, the mock's, the contract suite's facts) plus one
line in the registry; these tests fail when anything else in the package starts naming one
(a provider's name or its environment variables in a string), which is where the design
would leak. Docstrings and comments may name them; code may not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest
from kling_avatar import _registry
from kling_avatar._providers import adapter_class

PACKAGE = Path(_registry.__file__).parent
# A name is not part of a longer lower-case word ("fal" in "false", "fallback"); FAL_KEY,
# "fal.ai" and "falKey" are still found.
NAMES = re.compile("(?<![a-z])(?i:" + "|".join(_registry.PROVIDERS) + ")(?![a-z])")


# The mock's per-provider spellings its users already knew (`MockServer(crun_key=...)`,
# `DEFAULT_CRUN_KEY`), kept for them; a provider added later needs none (`keys={name: ...}`).
COMPATIBILITY = PACKAGE / "testing" / "_providers" / "_names.py"


def _allowed(path: Path) -> bool:
    """The registry, and the modules of one provider (`<part>/_providers/<name>.py`)."""
    if path in (PACKAGE / "_registry.py", COMPATIBILITY):
        return True
    return path.parent.name == "_providers" and path.stem in _registry.PROVIDERS


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def provider_names_in(path: Path, root: Path = PACKAGE) -> list[str]:
    """`file:line: text` of each string in `path`'s code that names a provider."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    return [
        f"{path.relative_to(root)}:{node.lineno}: {node.value!r:.80}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and NAMES.search(node.value)
    ]


def test_providers_are_named_only_in_their_own_modules() -> None:
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _allowed(path)
        for hit in provider_names_in(path)
    ]
    assert found == []


def test_the_check_finds_a_name_in_code_but_not_in_a_docstring(tmp_path: Path) -> None:
    name = _registry.PROVIDERS[0]
    module = tmp_path / "m.py"
    module.write_text(f'"""Talks to {name}."""\nKEY = "{name.upper()}_API_KEY"\n')
    assert provider_names_in(module, tmp_path) == [f"m.py:2: {name.upper() + '_API_KEY'!r}"]


@pytest.mark.parametrize(
    "text", ["fal", "FAL_KEY", "fal.ai", "X-Fal-Webhook-Signature", "falKey", "CRUN_API_KEY"]
)
def test_the_check_finds_a_name_in_any_spelling(text: str) -> None:
    assert NAMES.search(text)


@pytest.mark.parametrize("text", ["false", "is not true or false", "fallback"])
def test_the_check_passes_words_that_contain_a_name(text: str) -> None:
    assert NAMES.search(text) is None


def test_the_provider_type_lists_the_registry() -> None:
    names = get_args(_registry.Provider)
    assert sorted(names) == sorted(_registry.PROVIDERS) and len(set(names)) == len(names)


@pytest.mark.parametrize("name", _registry.PROVIDERS)
def test_each_provider_module_declares_itself(name: str) -> None:
    adapter = adapter_class(name)
    assert adapter.name == name
    assert adapter.key_env and adapter.base_url_env and adapter.title
