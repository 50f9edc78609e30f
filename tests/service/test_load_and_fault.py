"""scripts/load_and_fault.py, bounded: 20 videos over both providers on two service processes
behind one URL, sharing SQLite and a real Redis, one process SIGKILLed mid-run and started
again. None lost, none handed on twice, none created twice, no paid task without a record."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis_server import redis_server

from scripts.load_and_fault import run


@pytest.mark.timeout(300)
def test_twenty_videos_through_a_kill_none_lost_none_twice(tmp_path: Path) -> None:
    with redis_server(tmp_path / "probe"):  # skipped (or failed under CI) without redis-server
        pass
    figures = run(
        videos=20,
        concurrency=10,
        step=0.5,
        bus=True,
        kill=True,
        folder=tmp_path,
        time_limit=240,
    )
    assert figures.killed
    assert figures.lost == 0, figures
    assert figures.duplicates == 0, figures
    assert figures.created_twice == 0, figures
    assert figures.paid_unknown == 0, figures
    # At most one status read per request that waits (its first) and one per callback
    # delivered (the receiver's confirmation): 2 per video, plus what the kill made the
    # callers and the provider send again.
    reads = round(figures.status_reads * figures.videos)
    assert reads <= figures.requests + figures.callbacks, figures
