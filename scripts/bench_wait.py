"""Polls and lateness of `wait_for_task` per job length, next to polling every 0.5 s.

The real wait flow of `AvatarClient` runs against the local mock (`MockServer`, real HTTP on
loopback) on the mock's clock: each pause of the flow moves the mock's clock (`advance`) and the
client's by the same amount instead of sleeping, and the mock's task ends when its run time
(`MockServer.step` per state) has passed on that clock. Per nominal length and provider, jobs of
that length +-3% are created and waited for one after the other:

- cold: a fresh client each job (it knows the task's age, nothing of its length);
- warm: one client for all of them (it has seen earlier jobs of about that length finish).

Lateness is the time on the mock's clock from the job's end to the poll that saw it, the
request's own time included. Goals: jobs under 60 s at most 3 s late; jobs of 60 s and more at
most 5% late with at least 10x fewer polls than 0.5 s polling. No schedule meets both goals at
60-120 s without knowing the length: at most 3 s late for every job up to 60 s takes at least
20 polls by 60 s, where 10x fewer than 0.5 s polling allows 12 for a 60 s job (24 for 120 s,
which also needs about 14 more polls at 5% steps from 60 s); the cold rows show what is left.

    python scripts/bench_wait.py [--jobs 5] [--providers apikley,crun] [--check]
"""

from __future__ import annotations

import math
import random
import statistics
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `scripts._bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kling_avatar import AvatarClient, as_provider
from kling_avatar import _flows as flows
from kling_avatar._steps import Done, Send, Sleep, advance
from kling_avatar.testing import MockClock, MockServer
from kling_avatar.testing._lookup import provider_mock

from scripts._bench import Goals, parser

LENGTHS = (5.0, 15.0, 30.0, 45.0, 60.0, 90.0, 120.0, 300.0, 600.0)
FIXED = 0.5


def make_client(mock: MockServer, provider: str, clock: MockClock) -> AvatarClient:
    key = mock.crun_key if provider == "crun" else mock.apikley_key
    return clock.attach(AvatarClient(as_provider(provider), api_key=key, base_url=mock.base_url))


def one_job(
    client: AvatarClient, mock: MockServer, clock: MockClock, run_time: float
) -> tuple[int, float]:
    """Creates a task of `run_time` seconds on the mock and waits for it: polls, lateness."""
    mock.step = run_time / len(provider_mock(client.provider).lifecycle.states)
    started = clock.monotonic()
    task = client.create_task(
        image_url=f"{mock.base_url}/media/face.png", audio_url=f"{mock.base_url}/media/voice.wav"
    )
    flow = flows.wait(client.session, task.id, 3600.0)
    polls = 0
    reply: object = None
    error: Exception | None = None
    while not isinstance(step := advance(flow, reply, error), Done):
        reply, error = None, None
        if isinstance(step, Send):
            polls += 1
            try:
                reply = step.channel.send(step.server, step.kwargs)
            except Exception as exc:  # for the wait to judge, as the driver does
                error = exc
        elif isinstance(step, Sleep):
            clock.sleep(step.seconds)
    return polls, clock.monotonic() - (started + run_time)


def run(
    mock: MockServer, provider: str, length: float, jobs: int, warm: bool
) -> tuple[float, float]:
    """Mean polls and worst lateness over `jobs` jobs of `length` +-3%."""
    clock = MockClock(mock)
    shared = make_client(mock, provider, clock) if warm else None
    polls, late = [], []
    for _ in range(jobs + (2 if warm else 0)):
        client = shared or make_client(mock, provider, clock)
        p, lateness = one_job(client, mock, clock, length * random.uniform(0.97, 1.03))  # noqa: S311
        polls.append(p)
        late.append(lateness)
        if shared is None:
            client.close()
    if shared is not None:
        shared.close()
        polls, late = polls[2:], late[2:]  # the first two only teach the client the run time
    return statistics.mean(polls), max(late)


def main() -> int:
    args_parser = parser(__doc__)
    args_parser.add_argument("--jobs", type=int, default=5, help="jobs per length and mode")
    args_parser.add_argument("--providers", default="apikley,crun")
    args_parser.add_argument("--seed", type=int, default=1)
    args = args_parser.parse_args()
    random.seed(args.seed)
    goals = Goals()
    with MockServer(step=0.0, credits=1e9) as mock:
        for provider in args.providers.split(","):
            print(f"wait_for_task on the mock's clock vs polling every {FIXED} s ({provider}):")
            for length in LENGTHS:
                fixed_polls = math.ceil(length / FIXED)
                for mode in ("cold", "warm"):
                    polls, late = run(mock, provider, length, args.jobs, warm=mode == "warm")
                    detail = f"{polls:5.1f} polls vs {fixed_polls}, worst {late:5.2f} s late"
                    label = f"{provider} {length:4.0f} s job, {mode}"
                    if length < 60:
                        goals.at_most(f"{label}: seconds late", late, 3.0, detail)
                    else:
                        goals.at_most(f"{label}: % late", 100 * late / length, 5.0, detail)
                        goals.at_least(f"{label}: x fewer polls", fixed_polls / polls, 10.0)
    return goals.finish(args.check)


if __name__ == "__main__":
    sys.exit(main())
