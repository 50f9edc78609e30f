"""Two accounts per provider: a task one key created is not another key's to read.

A real provider scopes tasks to the account whose key created them; the mock does the same so
that a contract check (and a service's own tests) can see that a task id leaked to another
account reads as "not found". The account serving the current request lives in a context
variable set where the key is checked, so the handlers need no new argument.
"""

from __future__ import annotations

from contextvars import ContextVar

# 0: the account of the provider's main key; 1: the second account's.
ACCOUNT: ContextVar[int] = ContextVar("kling_avatar_mock_account", default=0)


def second_key(key: str) -> str:
    """The second account's default key, told apart from the main one at a glance."""
    return f"{key}-second-account"
