"""The contract suite: does a provider (or the local mock) still do what its spec says?

Needs the ``contract`` extra (``pip install 'kling-avatar[contract]'``; add ``mock`` to run it
against the local mock). Entry points:

- ``kling-avatar contract run|traffic|spec`` (:mod:`._command`), also :func:`main` in process
  (``main(["traffic", "traffic.jsonl"])`` returns the exit status);
- :func:`run_suite` and :func:`verify_traffic` from Python;
- :mod:`kling_avatar.contract.hooks` for a plain ``st run`` (``SCHEMATHESIS_HOOKS``);
- :mod:`kling_avatar.contract.pytest_plugin` for a service's own pytest suite.

Importing this package is cheap and needs no extra (the pytest plugin is registered wherever
the package is installed); the names below load on first use, and say which extra to install
when it is missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._extra import require_extra

if TYPE_CHECKING:
    from . import lifecycle
    from ._command import main
    from ._lifecycle import DriveSettings, Finding, drive
    from ._plan import Run, plan
    from ._rules import PROVIDERS, WRITE_OPERATIONS
    from ._schema import openapi_schema
    from ._spec import load_spec, spec_path
    from ._suite import SuiteResult, check_baseline, run_suite
    from ._traffic import Exchange, TrafficFileError, Verdict, load, verify

    load_traffic = load
    verify_traffic = verify

_WHERE = {
    "lifecycle": (".lifecycle", None),
    "main": ("._command", "main"),
    "DriveSettings": ("._lifecycle", "DriveSettings"),
    "Finding": ("._lifecycle", "Finding"),
    "drive": ("._lifecycle", "drive"),
    "PROVIDERS": ("._rules", "PROVIDERS"),
    "WRITE_OPERATIONS": ("._rules", "WRITE_OPERATIONS"),
    "load_spec": ("._spec", "load_spec"),
    "openapi_schema": ("._schema", "openapi_schema"),
    "spec_path": ("._spec", "spec_path"),
    "Run": ("._plan", "Run"),
    "SuiteResult": ("._suite", "SuiteResult"),
    "check_baseline": ("._suite", "check_baseline"),
    "plan": ("._plan", "plan"),
    "run_suite": ("._suite", "run_suite"),
    "Exchange": ("._traffic", "Exchange"),
    "TrafficFileError": ("._traffic", "TrafficFileError"),
    "Verdict": ("._traffic", "Verdict"),
    "load": ("._traffic", "load"),
    "verify": ("._traffic", "verify"),
    "load_traffic": ("._traffic", "load"),
    "verify_traffic": ("._traffic", "verify"),
}

__all__ = [
    "PROVIDERS",
    "WRITE_OPERATIONS",
    "DriveSettings",
    "Exchange",
    "Finding",
    "Run",
    "SuiteResult",
    "TrafficFileError",
    "Verdict",
    "check_baseline",
    "drive",
    "lifecycle",
    "load",
    "load_spec",
    "load_traffic",
    "main",
    "openapi_schema",
    "plan",
    "run_suite",
    "spec_path",
    "verify",
    "verify_traffic",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name != "main":  # main says which extra is missing itself, with exit status 2
        require_extra()
    module_name, attribute = _WHERE[name]
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value
