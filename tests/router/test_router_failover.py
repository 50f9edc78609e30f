"""The failover rule, case by case, against the mock's faults, sync and async.

Each case counts what reached the mock: a creation moves to the next provider only when the
answer proves no task was made, and no call ever leaves more than one task behind.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kling_avatar import (
    APIConnectionError,
    APITimeoutError,
    GenerationFailedError,
    InvalidRequestError,
    NoProviderError,
    RouteEvent,
    ServerError,
    TaskState,
)
from kling_avatar.testing import MockServer

from .helpers import CREATE, UPLOAD, Counts, media_urls

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
Router = Callable[..., Any]

# Answers that prove no task was created: the router moves on to crun.
MOVE_ON: dict[str, dict[str, Any]] = {
    "402 insufficient credits": {"kind": "envelope", "code": 402},
    "455 maintenance": {"kind": "envelope", "code": 455},
    "505 feature disabled": {"kind": "envelope", "code": 505},
    "429 rate limited (HTTP, Retry-After)": {"kind": "http", "status": 429, "retry_after": 1},
    "429 rate limited (envelope)": {"kind": "envelope", "code": 429},
}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again on leaving: connections are refused


@pytest.mark.parametrize("fault", MOVE_ON.values(), ids=MOVE_ON.keys())
def test_an_answer_proving_no_task_moves_on(
    router_for: Router, mock: MockServer, counts: Counts, fault: dict[str, Any]
) -> None:
    mock.fault(operation=CREATE["apikley"], **fault)
    events: list[RouteEvent] = []
    router = router_for(on_route=events.append)
    task = router.create_task(**media_urls(mock))
    assert task.provider == "crun"
    assert counts.calls(CREATE["apikley"]) == 1 and counts.calls(CREATE["crun"]) == 1
    assert counts.tasks() == 1 and counts.tasks("crun") == 1
    skipped, created = events
    assert (skipped.provider, skipped.kind) == ("apikley", "skipped")
    code = fault.get("code") or fault.get("status")
    assert f"({code})" in skipped.reason
    assert (created.provider, created.kind, created.task) == ("crun", "created", task)
    assert "apikley" in created.reason


def test_a_real_balance_of_zero_moves_on(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.set_credits(0.0, "apikley")
    task = router_for().generate(**media_urls(mock))
    assert (task.provider, task.state) == ("crun", TaskState.SUCCEEDED)
    assert counts.tasks() == 1 and counts.calls(CREATE["apikley"]) == 1


def test_a_connection_never_made_moves_on(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    router = router_for(base_urls={"apikley": dead, "crun": mock.base_url}, max_retries=1)
    task = router.create_task(**media_urls(mock))
    assert task.provider == "crun"
    assert counts.tasks() == 1 and counts.calls(CREATE["crun"]) == 1


def test_every_provider_refusing_creates_nothing(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("envelope", CREATE["apikley"], code=455)
    mock.fault("envelope", CREATE["crun"], code=402)
    with pytest.raises(NoProviderError) as raised:
        router_for().create_task(**media_urls(mock))
    assert [e.provider for e in raised.value.skipped] == ["apikley", "crun"]
    assert "no task was created" in str(raised.value)
    assert counts.tasks() == 0


def test_a_lost_answer_after_the_create_raises_and_says_the_task_may_exist(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("drop", CREATE["apikley"], after=True)
    with pytest.raises(APIConnectionError) as raised:
        router_for().create_task(**media_urls(mock))
    assert raised.value.request_sent
    assert "may have been created at apikley" in str(raised.value)
    # The task exists at apikley (the mock made it); crun was never asked.
    assert counts.tasks("apikley") == 1 and counts.tasks() == 1
    assert counts.calls(CREATE["crun"]) == 0


def test_a_timeout_after_sending_raises_and_says_the_task_may_exist(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("slow", CREATE["apikley"], delay=1.0)
    with pytest.raises(APITimeoutError) as raised:
        router_for(timeout=0.2).create_task(**media_urls(mock))
    assert raised.value.request_sent and "may have been created" in str(raised.value)
    assert counts.calls(CREATE["crun"]) == 0
    assert counts.tasks("crun") == 0


def test_a_server_error_at_creation_is_ambiguous_and_raises(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("envelope", CREATE["apikley"], code=500)
    with pytest.raises(ServerError, match="may have been created"):
        router_for().create_task(**media_urls(mock))
    assert counts.calls(CREATE["crun"]) == 0


def test_refused_input_raises_without_trying_elsewhere(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("envelope", CREATE["apikley"], code=422, message="image_url is not reachable")
    with pytest.raises(InvalidRequestError) as raised:
        router_for().create_task(**media_urls(mock))
    assert raised.value.provider == "apikley" and "may have been" not in str(raised.value)
    assert counts.calls(CREATE["crun"]) == 0 and counts.tasks() == 0


def test_input_refused_before_sending_reaches_no_provider(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    with pytest.raises(InvalidRequestError, match="prompt"):
        router_for().create_task(**media_urls(mock), prompt="x" * 6000)
    assert counts.calls(CREATE["apikley"]) == counts.calls(CREATE["crun"]) == 0


def test_a_failed_generation_is_the_callers_decision(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("task_fail", CREATE["apikley"], fail_msg="content refused")
    with pytest.raises(GenerationFailedError) as raised:
        router_for().generate(**media_urls(mock))
    assert raised.value.task is not None and raised.value.task.provider == "apikley"
    assert counts.tasks() == 1 and counts.calls(CREATE["crun"]) == 0


def test_a_failed_generation_is_rerun_elsewhere_when_asked(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("task_fail", CREATE["apikley"])
    events: list[RouteEvent] = []
    task = router_for(on_route=events.append).generate(**media_urls(mock), rerun_failed=True)
    assert (task.provider, task.state) == ("crun", TaskState.SUCCEEDED)
    # Two tasks, because the caller asked for the second; never a third.
    assert counts.tasks("apikley") == 1 and counts.tasks("crun") == 1
    assert [e.kind for e in events] == ["created", "rerun", "created"]


def test_a_local_file_is_uploaded_to_the_provider_that_takes_the_task(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("envelope", UPLOAD["apikley"], code=455, times=None)
    task = router_for().generate(image_url=MEDIA / "portrait.png", audio_url=MEDIA / "voice.wav")
    assert task.provider == "crun"
    assert counts.calls(UPLOAD["crun"]) == 2  # image and audio, at crun
    assert counts.calls(CREATE["apikley"]) == 0 and counts.tasks() == 1
    with mock.state.lock:
        param = mock.state.tasks[task.id].param
    assert "/media/uploads/" in param["input"]["image_url"]


def test_the_task_is_read_and_awaited_at_its_provider(
    router_for: Router, mock: MockServer, counts: Counts
) -> None:
    mock.fault("envelope", CREATE["apikley"], code=402)
    router = router_for()
    task = router.create_task(**media_urls(mock))
    assert router.get_task(task).provider == "crun"
    assert router.wait_for_task(task.id, provider="crun").state is TaskState.SUCCEEDED
    with pytest.raises(InvalidRequestError, match="provider"):
        router.get_task(task.id)  # two providers: an id alone does not say where
    assert counts.calls("getTaskDetails") == 0
