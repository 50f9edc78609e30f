"""The specs read with libyaml's parser (``kling_avatar._yaml``) are the data PyYAML's own safe
loader reads, and what the safe loader refuses it refuses too."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kling_avatar._yaml import safe_load

SPECS = sorted((Path(__file__).resolve().parents[1] / "specs").glob("*.yaml"))


@pytest.mark.parametrize("spec", SPECS, ids=lambda path: path.name)
def test_a_spec_reads_as_the_safe_loader_reads_it(spec: Path) -> None:
    text = spec.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.safe_load(text)


def test_python_objects_are_refused() -> None:
    with pytest.raises(yaml.YAMLError):
        safe_load("!!python/object/apply:os.system ['true']")
