"""Each lifecycle rule on hand-made observations: what it flags, and that it leaves a healthy
task alone. The facts (state order, terminal states, units) come from the specs."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import attrs
from kling_avatar.contract import check_baseline, run_suite
from kling_avatar.contract.lifecycle import (
    SHAPES,
    Callback,
    Probe,
    Read,
    TaskRun,
    check_credits,
    check_task,
    lifecycle,
)

NOW = 1_800_000_000.0
MP4_HEAD = b"\x00\x00\x00\x1cftypisom" + bytes(52)


def _crun(status: str, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"task_id": "t1", "status": status, "create_at": int(NOW), **fields}
    return {"code": 200, "message": "success", "data": data}


def _run(*bodies: dict[str, Any], probes: tuple[Probe, ...] = (), **kw: Any) -> TaskRun:
    reads = tuple(Read(NOW + i, 200, body) for i, body in enumerate(bodies))
    return TaskRun("crun", "t1", NOW - 1, reads, probes=probes, **kw)


SUCCESS = _crun(
    "success",
    complete_at=int(NOW) + 1,
    credits=2,
    result={"code": 200, "message": "ok", "media_urls": ["https://cdn.example/t1.mp4"]},
)
VIDEO = Probe("https://cdn.example/t1.mp4", 206, "video/mp4", MP4_HEAD)


def _names(run: TaskRun) -> list[str]:
    return [finding.name for finding in check_task(run)]


def test_the_specs_give_order_terminal_states_and_units() -> None:
    crun, apikley = lifecycle(SHAPES["crun"]), lifecycle(SHAPES["apikley"])

    assert crun.states == ("pending", "running", "success", "failed")
    assert crun.terminal == {"success", "failed"}
    assert crun.units == {"create_at": 1.0, "complete_at": 1.0}
    assert apikley.terminal == {"success", "fail"}
    assert apikley.units["createTime"] == 0.001
    assert (crun.callback_field, apikley.callback_field) == ("callback_url", "callBackUrl")


def test_a_healthy_task_has_no_finding() -> None:
    assert _names(_run(_crun("pending"), _crun("running"), SUCCESS, SUCCESS, probes=(VIDEO,))) == []


def test_states_move_forward_only_and_terminal_states_stay() -> None:
    assert _names(_run(_crun("running"), _crun("pending"), SUCCESS, probes=(VIDEO,))) == [
        "state-went-backwards"
    ]
    assert _names(_run(SUCCESS, _crun("running"), probes=(VIDEO,))) == ["terminal-state-changed"]
    assert _names(_run(_crun("pending"), _crun("pending"))) == ["task-never-finished"]


def test_timestamps_in_the_wrong_unit_or_order() -> None:
    milliseconds = _crun("running", create_at=int(NOW * 1000))
    assert "timestamp-implausible" in _names(_run(milliseconds, SUCCESS, probes=(VIDEO,)))
    early = dict(SUCCESS, data={**SUCCESS["data"], "complete_at": int(NOW) - 100})
    assert "timestamps-out-of-order" in _names(_run(early, probes=(VIDEO,)))


def test_a_success_needs_a_url_that_answers_with_a_video() -> None:
    no_url = _crun("success", result={"code": 200, "message": "ok", "media_urls": []})
    assert _names(_run(no_url)) == ["success-without-result-url"]
    dead = Probe(VIDEO.url, 404, "text/plain", b"gone")
    assert _names(_run(SUCCESS, probes=(dead,))) == ["result-url-dead"]
    html = Probe(VIDEO.url, 200, "text/html", b"<html>")
    assert _names(_run(SUCCESS, probes=(html,))) == ["result-url-not-a-video"]


def test_a_failure_carries_its_reason() -> None:
    bare = _crun("failed", complete_at=int(NOW), result=None)
    assert _names(_run(bare)) == ["failure-without-reason"]
    told = _crun("failed", complete_at=int(NOW), result={"code": 501, "message": "no face"})
    assert _names(_run(told)) == []


# fal: no envelope; the status answers 202 until COMPLETED (200); the video is the result's.
FAL_VIDEO = "https://v3.fal.media/files/r1.mp4"
FAL_RESULT = Read(NOW + 9, 200, {"video": {"url": FAL_VIDEO}, "duration": 5.1})
FAL_PROBE = Probe(FAL_VIDEO, 206, "video/mp4", MP4_HEAD)
WEBHOOK_HEADERS = {
    "x-fal-webhook-request-id": "r1",
    "x-fal-webhook-user-id": "u1",
    "x-fal-webhook-timestamp": str(int(NOW)),
    "x-fal-webhook-signature": "ab" * 64,
}


def _fal(status: str, **fields: Any) -> Read:
    body = {"status": status, "request_id": "r1", **fields}
    return Read(NOW, 200 if status == "COMPLETED" else 202, body)


def _fal_run(*reads: Read, result: Read | None = FAL_RESULT, **kw: Any) -> TaskRun:
    timed = tuple(attrs.evolve(read, at=NOW + i) for i, read in enumerate(reads))
    kw.setdefault("probes", (FAL_PROBE,) if result is FAL_RESULT else ())
    return TaskRun("fal", "r1", NOW - 1, timed, result=result, **kw)


def test_fal_s_spec_gives_its_states_and_its_callback() -> None:
    fal = lifecycle(SHAPES["fal"])

    assert fal.states == ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")
    assert fal.terminal == {"COMPLETED"}  # x-terminal; a failed request ends COMPLETED too
    assert fal.units == {}  # fal's status reports no times
    assert (fal.callback_in, fal.callback_field) == ("query", "fal_webhook")
    assert {name.lower() for name in fal.callback_headers} == set(WEBHOOK_HEADERS)


def test_a_healthy_fal_request_has_no_finding() -> None:
    run = _fal_run(_fal("IN_QUEUE", queue_position=0), _fal("IN_PROGRESS"), _fal("COMPLETED"))
    assert check_task(run) == []
    # Its webhook agrees with it: OK, the request's id and the result's video.
    ok = Callback(
        {"request_id": "r1", "status": "OK", "payload": {"video": {"url": FAL_VIDEO}}},
        WEBHOOK_HEADERS,
    )
    assert check_task(attrs.evolve(run, callbacks=(ok,), callback_expected=True)) == []


def test_completed_is_terminal() -> None:
    names = _names(_fal_run(_fal("COMPLETED"), _fal("IN_PROGRESS")))
    assert names == ["terminal-state-changed"]
    assert _names(_fal_run(_fal("IN_QUEUE"), _fal("IN_QUEUE"), result=None)) == [
        "task-never-finished"
    ]


def test_a_failed_completed_carries_error_and_error_type() -> None:
    failed = _fal("COMPLETED", error="Runner disconnected", error_type="runner_disconnected")
    assert _names(_fal_run(failed, result=None)) == []
    half = _fal("COMPLETED", error="Runner disconnected")
    assert _names(_fal_run(half, result=None)) == ["failure-without-reason"]


def test_a_fal_success_s_result_must_be_a_video_that_answers() -> None:
    refused = Read(NOW + 9, 422, {"detail": [{"loc": ["body"], "msg": "no", "type": "x"}]})
    assert _names(_fal_run(_fal("COMPLETED"), result=refused)) == ["success-without-result-url"]
    dead = Probe(FAL_VIDEO, 404, "application/json", b"{}")
    assert _names(_fal_run(_fal("COMPLETED"), probes=(dead,))) == ["result-url-dead"]
    # Traffic of a service that never fetched the result: nothing to judge it by.
    assert _names(_fal_run(_fal("COMPLETED"), result=None)) == []


def test_a_fal_webhook_must_agree_and_carry_its_signature() -> None:
    run = _fal_run(_fal("COMPLETED"), callback_expected=True)
    error = Callback({"request_id": "r1", "status": "ERROR", "error": "x"}, WEBHOOK_HEADERS)
    assert _names(attrs.evolve(run, callbacks=(error,))) == ["callback-disagrees-with-task"]
    unsigned = Callback(
        {"request_id": "r1", "status": "OK", "payload": {"video": {"url": FAL_VIDEO}}},
        {"content-type": "application/json"},
    )
    assert _names(attrs.evolve(run, callbacks=(unsigned,))) == ["callback-off-schema"]
    assert _names(run) == ["callback-missing"]


def test_the_balance_moves_by_the_reported_cost() -> None:
    run = _run(SUCCESS, probes=(VIDEO,))
    assert check_credits("crun", 100.0, 98.0, [run]) == []
    [finding] = check_credits("crun", 100.0, 95.0, [run])
    assert finding.name == "credits-do-not-match-cost"
    assert check_credits("apikley", 100.0, 95.0, [run]) == []  # Apikley reports no cost
    assert check_credits("fal", 100.0, 95.0, [run]) == []  # fal has no balance to read


def _baseline(path: Path, **entry: object) -> Path:
    base = {"operation": "GET /x", "check": "not_a_server_error", "failure": "F", "signature": "s"}
    path.write_text(json.dumps({"format_version": 1, "entries": [{**base, **entry}]}))
    return path


def test_baseline_entries_need_a_reason_and_an_unexpired_date(tmp_path: Path) -> None:
    today = datetime.date(2026, 12, 1)
    good = _baseline(tmp_path / "a.json", reason="crun answers 500 on x", expires="2026-12-01")
    assert check_baseline(good, today) == []
    expired = _baseline(tmp_path / "b.json", reason="crun answers 500 on x", expires="2026-11-30")
    [problem] = check_baseline(expired, today)
    assert "expired on 2026-11-30" in problem
    bare = _baseline(tmp_path / "c.json")
    assert len(check_baseline(bare, today)) == 2  # no reason, no expiry date


def test_an_expired_baseline_entry_fails_the_run(tmp_path: Path) -> None:
    expired = _baseline(tmp_path / "b.json", reason="crun answers 500 on x", expires="2026-11-30")

    suite = run_suite(
        ["crun"],
        report_dir=tmp_path,
        baseline=expired,
        schema=False,
        lifecycle=False,
        today=datetime.date(2026, 12, 1),
    )

    assert not suite.ok
    assert "expired on 2026-11-30" in suite.summary()
    assert 'name="baseline"' in (tmp_path / "contract.xml").read_text()
