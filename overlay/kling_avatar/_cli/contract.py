"""`kling-avatar contract ...`: handed whole to kling_avatar.contract, whose parser it is."""

from __future__ import annotations

__all__ = ["HELP", "NAME", "run"]

NAME = "contract"
HELP = "the contract suite: run, traffic FILE, spec PROVIDER (contract extra)"


def run(argv: list[str]) -> int:
    """Imported only here, so the other commands never load schemathesis."""
    from kling_avatar.contract._command import main as contract_main

    return contract_main(argv)
