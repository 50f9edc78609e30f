"""`kling-avatar wait` on an id nobody created: NotFound soon, not after the just-created grace."""

from __future__ import annotations

from .helpers import Cli


def test_a_mistyped_apikley_id_is_not_found_within_15_seconds(cli: Cli) -> None:
    # The command's pauses move the mock's clock: this is the time the wait took on it.
    started = cli.mock.state.monotonic()
    result = cli("wait", "does-not-exist", "--provider", "apikley")
    elapsed = cli.mock.state.monotonic() - started

    assert result.status == 5, result.stderr  # the table's "no such task"
    assert "NotFoundError" in result.stderr and "keeps running" not in result.stderr
    assert elapsed < 15  # it took about 40 s while every id had a young task's 30 s grace


def test_a_short_timeout_on_a_mistyped_id_says_not_found_not_still_running(cli: Cli) -> None:
    result = cli("wait", "does-not-exist", "--provider", "apikley", "--timeout", "2")

    assert result.status == 5, result.stderr
    assert "resume" not in result.stderr
