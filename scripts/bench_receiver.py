"""Status reads per task and detection delay, with the callback receiver and without, same run.

Against the local mock (which POSTs each finished task's callback to its callback URL), for
jobs of several lengths (the mock's `step` seconds per state: crun has 2 states, Apikley 3):
`generate(..., receiver=...)` with the receiver served by uvicorn on 127.0.0.1, next to plain
`generate(...)` polling on the client's default schedule, all running at the same time. Every
status read (the waiter's and the receiver's confirmation) is counted per task by the client's
transport. The delay is from the moment the task finished at the mock (when its callback is
sent) to the moment `generate` returned.

Goals, with callbacks: at most 2 status reads per task whatever the job's length, and
completion seen within 0.5 s of the callback.

    python scripts/bench_receiver.py [--steps 0.5,2,8] [--tasks 4]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import httpx
from kling_avatar import AvatarClient, Receiver, as_provider
from kling_avatar._serving import serve
from kling_avatar.testing import MockServer

GOAL_READS = 2
GOAL_DELAY = 0.5
STATUS_PATHS = ("/api/v1/client/job/TaskInfo", "/api/v1/jobs/recordInfo")
PROVIDERS = ("crun", "apikley")


class CountingTransport(httpx.HTTPTransport):
    """Counts status reads per task id (query `task_id` or `taskId`)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in STATUS_PATHS:
            params = request.url.params
            task_id = params.get("task_id") or params.get("taskId") or ""
            with self._lock:
                self.reads[task_id] += 1
        return super().handle_request(request)


def run_one(client: AvatarClient, mock: MockServer, receiver: Receiver | None) -> tuple[str, float]:
    """One generation; its task id and the delay between finishing and being seen."""
    task = client.generate(
        image_url=f"{mock.base_url}/media/portrait.png",
        audio_url=f"{mock.base_url}/media/voice.mp3",
        receiver=receiver,
        timeout=300,
    )
    seen = time.monotonic()
    state = mock.state.tasks[task.id]
    finished = state.created_mono + mock.state.run_time(state)  # the mock's clock is monotonic
    return task.id, seen - finished


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="0.5,2,8", help="seconds per state, comma-separated")
    parser.add_argument("--tasks", type=int, default=4, help="tasks per provider, length, mode")
    args = parser.parse_args()
    steps = [float(s) for s in args.steps.split(",")]
    transport = CountingTransport()
    rows: list[tuple[str, str, float, list[int], list[float]]] = []
    with ExitStack() as stack:
        # Distinct seeds: distinct task ids, so reads are counted per task across the mocks.
        mocks = {
            step: stack.enter_context(MockServer(step=step, seed=7 + i))
            for i, step in enumerate(steps)
        }
        clients: dict[tuple[float, str], AvatarClient] = {}
        for step, mock in mocks.items():
            for provider in PROVIDERS:
                key = mock.crun_key if provider == "crun" else mock.apikley_key
                clients[step, provider] = stack.enter_context(
                    AvatarClient(
                        as_provider(provider),
                        api_key=key,
                        base_url=mock.base_url,
                        transport=transport,
                    )
                )
        # The receiver confirms through a client per provider; each mock knows only its own
        # tasks, so one receiver per mock.
        receivers: dict[float, Receiver] = {}
        for step in mocks:
            receivers[step] = Receiver(
                "http://127.0.0.1:1",
                clients=[clients[step, p] for p in PROVIDERS],
            )
            url = stack.enter_context(serve(receivers[step]))
            receivers[step].public_url = url
        jobs = [
            (mode, provider, step)
            for mode in ("callbacks", "polling")
            for provider in PROVIDERS
            for step in steps
            for _ in range(args.tasks)
        ]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = [
                (
                    job,
                    pool.submit(
                        run_one,
                        clients[job[2], job[1]],
                        mocks[job[2]],
                        receivers[job[2]] if job[0] == "callbacks" else None,
                    ),
                )
                for job in jobs
            ]
            results = [(job, future.result()) for job, future in futures]
        wall = time.monotonic() - started
    for mode in ("callbacks", "polling"):
        for provider in PROVIDERS:
            for step in steps:
                done = [r for (m, p, s), r in results if (m, p, s) == (mode, provider, step)]
                reads = [transport.reads[task_id] for task_id, _ in done]
                delays = [delay for _, delay in done]
                length = step * (2 if provider == "crun" else 3)
                rows.append((mode, provider, length, reads, delays))
    print(f"bench_receiver: {len(jobs)} generations against the mock, all at once, {wall:.1f} s")
    print(f"{'':10} {'provider':8} {'job':>6}  {'reads/task':>14}  {'delay s':>16}")
    print(f"{'':10} {'':8} {'':>6}  {'mean':>6} {'max':>7}  {'median':>8} {'max':>7}")
    for mode, provider, length, reads, delays in rows:
        print(
            f"{mode:10} {provider:8} {length:5.1f}s  {statistics.mean(reads):6.2f} {max(reads):7d}"
            f"  {statistics.median(delays):8.3f} {max(delays):7.3f}"
        )
    by_mode = {
        mode: (
            [r for m, _, _, reads, _ in rows if m == mode for r in reads],
            [d for m, _, _, _, delays in rows if m == mode for d in delays],
        )
        for mode in ("callbacks", "polling")
    }
    cb_reads, cb_delays = by_mode["callbacks"]
    poll_reads, poll_delays = by_mode["polling"]
    ok_reads = max(cb_reads) <= GOAL_READS
    ok_delay = max(cb_delays) <= GOAL_DELAY
    print(
        f"with callbacks: max {max(cb_reads)} status reads per task (goal <= {GOAL_READS}): "
        f"{'ok' if ok_reads else 'MISSED'}; without: mean {statistics.mean(poll_reads):.1f}, "
        f"max {max(poll_reads)} ({statistics.mean(poll_reads) / statistics.mean(cb_reads):.1f}x)"
    )
    print(
        f"with callbacks: max delay {max(cb_delays):.3f} s after the callback "
        f"(goal <= {GOAL_DELAY} s): {'ok' if ok_delay else 'MISSED'}; without: median "
        f"{statistics.median(poll_delays):.3f} s, max {max(poll_delays):.3f} s "
        f"({statistics.median(poll_delays) / max(statistics.median(cb_delays), 1e-3):.0f}x the "
        "median with callbacks)"
    )
    return 0 if ok_reads and ok_delay else 1


if __name__ == "__main__":
    raise SystemExit(main())
