"""The contract suite inside a service's own pytest run.

Registered by the package's ``pytest11`` entry point (or
``-p kling_avatar.contract.pytest_plugin``); it does nothing until asked:

- ``pytest --kling-contract`` adds one test per provider that runs the suite against a fresh
  local mock (the ``mock`` extra); ``--kling-contract=https://api.crun.ai
  --kling-contract-provider crun`` runs it live with the key from CRUN_API_KEY (APIKLEY_API_KEY
  for Apikley), creating nothing unless ``--kling-contract-allow-create``.
- the ``kling_contract`` fixture runs it from a test of one's own:
  ``kling_contract("crun", base_url=..., key=...)``; it fails the test with the suite's summary
  and returns the :class:`~kling_avatar.contract.SuiteResult` otherwise.

Reports go to pytest's temporary folder, or ``--kling-contract-report-dir``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .._providers import key_variable
from ._rules import PROVIDERS

if TYPE_CHECKING:
    from ._suite import SuiteResult

MOCK = "mock"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kling-contract", "kling-avatar contract suite")
    group.addoption(
        "--kling-contract",
        nargs="?",
        const=MOCK,
        default=None,
        metavar="URL",
        help="add the contract suite's tests: against a local mock, or the provider at URL",
    )
    group.addoption(
        "--kling-contract-provider",
        default="all",
        help=f"{', '.join(PROVIDERS)} or all (default)",
    )
    group.addoption("--kling-contract-max-examples", type=int, default=25)
    group.addoption("--kling-contract-seed", type=int, default=0)
    group.addoption("--kling-contract-allow-create", action="store_true")
    group.addoption("--kling-contract-report-dir", type=Path, default=None)


def run_contract(
    provider: str,
    *,
    base_url: str | None = None,
    key: str | None = None,
    report_dir: Path,
    **options: Any,
) -> SuiteResult:
    """Run the suite for one provider; raise AssertionError with its summary when it fails."""
    from ._suite import run_suite

    if base_url and not key:
        raise ValueError(f"a live contract run of {provider} needs its key")
    keys = {provider: key} if base_url and key else None
    suite = run_suite((provider,), base_url, keys, report_dir=report_dir, **options)
    if not suite.ok:
        raise AssertionError(f"the {provider} contract does not hold:\n{suite.summary()}")
    return suite


class ContractItem(pytest.Item):
    """One provider's contract run, added by ``--kling-contract``."""

    def __init__(self, *, provider: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.provider = provider

    def runtest(self) -> None:
        config = self.config
        target = config.getoption("kling_contract")
        base_url = None if target == MOCK else target
        variable = key_variable(self.provider)
        key = os.environ.get(variable) if base_url else None
        if base_url and not key:
            raise AssertionError(f"{variable} must hold the key for {base_url}")
        chosen = config.getoption("kling_contract_report_dir")
        # An Item has no fixtures; pytest's own temporary-path factory (kept under --basetemp and
        # pruned like every test's tmp_path) is reachable only through this private attribute.
        factory = config._tmp_path_factory  # type: ignore[attr-defined]  # noqa: SLF001
        report_dir = chosen or Path(factory.mktemp(f"contract-{self.provider}"))
        run_contract(
            self.provider,
            base_url=base_url,
            key=key,
            report_dir=report_dir / self.provider,
            max_examples=config.getoption("kling_contract_max_examples"),
            seed=config.getoption("kling_contract_seed"),
            allow_create=config.getoption("kling_contract_allow_create"),
        )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AssertionError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "kling-contract", 0, f"contract of {self.provider}"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    target = config.getoption("kling_contract")
    if target is None:
        return
    chosen = config.getoption("kling_contract_provider")
    providers = PROVIDERS if chosen == "all" else (chosen,)
    if any(provider not in PROVIDERS for provider in providers):
        raise pytest.UsageError(
            f"--kling-contract-provider: {', '.join(PROVIDERS)} or all, not {chosen!r}"
        )
    if target != MOCK and len(providers) != 1:
        raise pytest.UsageError("--kling-contract=URL needs --kling-contract-provider")
    items.extend(
        ContractItem.from_parent(session, name=f"kling-contract[{provider}]", provider=provider)
        for provider in providers
    )


@pytest.fixture
def kling_contract(tmp_path: Path) -> Callable[..., SuiteResult]:
    """``kling_contract(provider, base_url=None, key=None, **run_suite_options)``: the suite
    against a fresh mock (no ``base_url``) or the provider at ``base_url``; fails the test with
    the summary when the contract does not hold."""

    def check(provider: str, **options: Any) -> SuiteResult:
        options.setdefault("max_examples", 25)
        return run_contract(provider, report_dir=tmp_path / "contract" / provider, **options)

    return check
