"""Polls and lateness of `wait_for_task` per job length, next to polling every 0.5 s.

The real wait flow of `AvatarClient` runs against a fake Apikley on a simulated clock: its
pauses advance the clock instead of sleeping, and the fake answers "generating" until the job's
run time has passed, then "success" with the provider's create/complete times. Per nominal
length, several jobs of that length +-3% are waited for, one after the other, by one client:

- cold: a fresh client each job (it knows nothing but the task's age);
- warm: one client for all of them (it has seen earlier jobs of about that length finish).

Lateness is the time from the job's end to the poll that saw it. Goals: jobs under 60 s at most
3 s late; jobs of 60 s and more at most 5% late with at least 10x fewer polls than 0.5 s
polling. No schedule meets both goals at 60-120 s without knowing the length: at most 3 s late
for every job up to 60 s takes at least 20 polls by 60 s, where 10x fewer than 0.5 s polling
allows 12; the cold rows show what is left.

    python scripts/bench_wait.py [--jobs 5] [--check]
"""

from __future__ import annotations

import json
import math
import random
import statistics
import sys
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run as a file: make `scripts._bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kling_avatar import AvatarClient
from kling_avatar._base_client import Done, Send, Sleep, advance

from scripts._bench import KEY, Goals, parser

LENGTHS = (5.0, 15.0, 30.0, 45.0, 60.0, 90.0, 120.0, 300.0, 600.0)
FIXED = 0.5
EPOCH = 1_790_000_000.0  # the simulated wall clock at t = 0


class Simulation:
    """One job on a simulated clock, and the fake provider that reports it."""

    def __init__(self, run_time: float) -> None:
        self.now = 0.0
        self.run_time = run_time
        self.created = 0.0

    def answer(self, request: httpx.Request) -> httpx.Response:
        done = self.now >= self.created + self.run_time
        data = {
            "taskId": request.url.params["taskId"],
            "model": "kling/ai-avatar-v1-pro",
            "state": "success" if done else "generating",
            "param": "{}",
            "resultJson": '{"resultUrls":["https://cdn.example/v.mp4"]}' if done else "",
            "failCode": "",
            "failMsg": "",
            "createTime": int((EPOCH + self.created) * 1000),
            "completeTime": int((EPOCH + self.created + self.run_time) * 1000) if done else None,
        }
        body = {"code": 200, "msg": "success", "data": data}
        return httpx.Response(200, content=json.dumps(body).encode())


def wait(client: AvatarClient, sim: Simulation, task_id: str) -> tuple[int, float]:
    """Polls and lateness of one wait, the client created the task at `sim.created`."""
    client._clock = lambda: sim.now
    client._wall = lambda: EPOCH + sim.now
    client._created[task_id] = sim.created
    flow = client._wait_flow(task_id, 3600.0, None, None)
    polls, reply = 0, None
    while not isinstance(step := advance(flow, reply, None), Done):
        reply = None
        if isinstance(step, Send):
            polls += 1
            reply = client._client(step.server).request(**step.kwargs)
        elif isinstance(step, Sleep):
            sim.now += step.seconds
    return polls, sim.now - (sim.created + sim.run_time)


def make_client(sim_box: list[Simulation]) -> AvatarClient:
    transport = httpx.MockTransport(lambda request: sim_box[0].answer(request))
    return AvatarClient("apikley", api_key=KEY, base_url="https://api.example", transport=transport)


def run(length: float, jobs: int, warm: bool) -> tuple[float, float]:
    """Mean polls and worst lateness over `jobs` jobs of `length` +-3%."""
    box: list[Simulation] = []
    shared = make_client(box) if warm else None
    polls, late = [], []
    for _ in range(jobs + (2 if warm else 0)):
        sim = Simulation(length * random.uniform(0.97, 1.03))  # noqa: S311 - a benchmark
        box[:] = [sim]
        client = shared or make_client(box)
        p, lateness = wait(client, sim, f"task-{random.getrandbits(32)}")
        polls.append(p)
        late.append(lateness)
        if shared is None:
            client.close()
    if warm:  # the first two only teach the client the run time
        polls, late = polls[2:], late[2:]
    if shared is not None:
        shared.close()
    return statistics.mean(polls), max(late)


def main() -> int:
    args_parser = parser(__doc__)
    args_parser.add_argument("--jobs", type=int, default=5, help="jobs per length and mode")
    args_parser.add_argument("--seed", type=int, default=1)
    args = args_parser.parse_args()
    random.seed(args.seed)
    goals = Goals()
    print(f"wait_for_task on a simulated clock vs polling every {FIXED} s (Apikley, fake):")
    for length in LENGTHS:
        fixed_polls = math.ceil(length / FIXED)
        for mode in ("cold", "warm"):
            polls, late = run(length, args.jobs, warm=mode == "warm")
            detail = f"{polls:5.1f} polls vs {fixed_polls}, worst {late:5.2f} s late"
            label = f"{length:4.0f} s job, {mode}"
            if length < 60:
                goals.at_most(f"{label}: seconds late", late, 3.0, detail)
            else:
                goals.at_most(f"{label}: % late", 100 * late / length, 5.0, detail)
                goals.at_least(f"{label}: x fewer polls", fixed_polls / polls, 10.0)
    return goals.finish(args.check)


if __name__ == "__main__":
    sys.exit(main())
