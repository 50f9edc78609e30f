"""What changed between two versions of an OpenAPI spec, and whether it breaks callers.

    python -m scripts.specdiff OLD NEW [--fail-on-breaking]

OLD and NEW are files (YAML or JSON) or git objects such as ``HEAD:specs/crun.yaml``. Both are
dereferenced first, so a change to a shared schema shows at every operation that uses it.
"""

from scripts.specdiff._compare import diff_specs
from scripts.specdiff._model import Change, Direction, Kind
from scripts.specdiff._report import render_report

__all__ = ["Change", "Direction", "Kind", "diff_specs", "render_report"]
