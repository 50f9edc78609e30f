"""A hostile traffic file: each bad line is a TrafficFileError naming its line, a line is read
only up to the bound, and whatever loads can be verified without an untyped error."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar.contract import TrafficFileError
from kling_avatar.contract import load_traffic as load
from kling_avatar.contract import main as contract_main
from kling_avatar.contract import verify_traffic as verify

GOOD = json.dumps(
    {
        "started": 1.0,
        "request": {"method": "GET", "url": "http://h/api/v1/chat/credit", "headers": {}},
        "response": {"status": 200, "headers": {}, "body": '{"code":200,"msg":"ok","data":5}'},
    }
).encode()

# Each line made one of the untyped errors the old reader raised (issue 21, item 13).
HOSTILE = {
    "UnicodeDecodeError": b'{"request": "\xff\xfe"}',
    "JSONDecodeError": b'{"request": ',
    "KeyError": b'{"response": null}',
    "AttributeError": b"[1, 2]",
    "RecursionError": b"[" * 200_000 + b"]" * 200_000,
    "TypeError: a request that is a string": b'{"request": "GET /"}',
    "a status that is not a number": (
        b'{"request": {"method": "GET", "url": "http://h/"}, "response": {"status": "x"}}'
    ),
    "base64 that is not": (
        b'{"request": {"method": "GET", "url": "http://h/", "body_base64": "%%%"}}'
    ),
    "ValueError: Invalid IPv6 URL": b'{"request": {"method": "GET", "url": "http://[::1"}}',
    "NaN": b'{"started": NaN, "request": {"method": "GET", "url": "http://h/"}}',
    "ValueError: a header value with a line break": (
        b'{"request": {"method": "GET", "url": "http://h/", "headers": {"x": "\\r"}}}'
    ),
    "a response header name with a line break": (
        b'{"request": {"method": "GET", "url": "http://h/"},'
        b' "response": {"status": 200, "headers": {"a\\nb": "1"}}}'
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_bad_line_is_an_error_naming_its_line(name: str, tmp_path: Path) -> None:
    path = tmp_path / "traffic.jsonl"
    path.write_bytes(GOOD + b"\n\n" + HOSTILE[name] + b"\n" + GOOD + b"\n")
    with pytest.raises(TrafficFileError) as caught:
        load(path)
    assert caught.value.line == 3
    assert str(caught.value).startswith("line 3: ")


def test_the_command_says_which_line_is_bad_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "traffic.jsonl"
    path.write_bytes(GOOD + b"\n" + HOSTILE["JSONDecodeError"] + b"\n")
    assert contract_main(["traffic", str(path), "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "line 2: not JSON" in err
    assert "Traceback" not in err


def test_a_long_line_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "traffic.jsonl"
    line_bytes = 32 * 1024 * 1024
    with path.open("wb") as file:
        file.write(GOOD + b"\n")
        file.write(b'{"request": {"method": "GET", "url": "http://h/", "body": "')
        file.write(b"a" * line_bytes)
        file.write(b'"}}\n')
    tracemalloc.start()
    try:
        with pytest.raises(TrafficFileError, match=r"^line 2 is longer than 65536 bytes"):
            load(path, max_line_bytes=64 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # the bound plus change, not the 32 MB line


def test_the_default_bound_refuses_a_line_past_16_mib(tmp_path: Path) -> None:
    path = tmp_path / "traffic.jsonl"
    with path.open("wb") as file:
        file.write(b"[" + b" " * (16 * 1024 * 1024) + b"]\n")
    with pytest.raises(TrafficFileError, match=r"^line 1 is longer than"):
        load(path)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_field = st.sampled_from(["request", "response", "kind", "started", "method", "url", "status"])
_entry = st.fixed_dictionaries(
    {
        "request": st.fixed_dictionaries(
            {
                "method": st.sampled_from(["GET", "POST"]) | st.text(max_size=5),
                "url": st.sampled_from(
                    [
                        "http://h/api/v1/client/job/TaskInfo?task_id=t",
                        "http://h/api/v1/jobs/recordInfo?taskId=t",
                        "http://h/api/v1/jobs/createTask",
                        "http://[::1",
                        "http://h/api/v1/chat/credit",
                    ]
                )
                | st.text(max_size=30),
            },
            optional={
                "headers": st.dictionaries(st.text(max_size=8), st.text(max_size=8)),
                "body": st.text(max_size=40) | _json.map(json.dumps),
            },
        )
        | _json,
    },
    optional={
        "response": st.none()
        | st.fixed_dictionaries(
            {"status": st.integers(100, 599) | _json},
            optional={
                "body": _json.map(json.dumps) | st.text(max_size=40),
                "headers": st.dictionaries(st.text(max_size=8), st.text(max_size=8)),
            },
        ),
        "started": st.floats(allow_nan=False) | _json,
        "kind": st.just("callback") | _json,
        "body": _json,
    },
)
_line = (
    st.binary(max_size=200).filter(lambda b: b"\n" not in b)
    | _json.map(lambda v: json.dumps(v).encode())
    | _entry.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(_field, _json).map(lambda v: json.dumps(v).encode())
)


@pytest.fixture(scope="module")
def traffic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file each example writes its lines to (over the last one's), in a folder of its own."""
    return tmp_path_factory.mktemp("traffic") / "traffic.jsonl"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_line, min_size=1, max_size=6))
def test_arbitrary_lines_load_and_verify_or_fail_with_their_line(
    lines: list[bytes], traffic_file: Path
) -> None:
    traffic_file.write_bytes(b"\n".join(lines) + b"\n")
    try:
        exchanges, callbacks = load(traffic_file)
    except TrafficFileError as exc:
        assert 1 <= exc.line <= len(lines)
        assert str(exc).startswith(f"line {exc.line}")
        assert lines[exc.line - 1].strip()  # never a blank line's fault
        return
    verdict = verify(exchanges, callbacks)
    assert verdict.exchanges == len(exchanges)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(_entry, min_size=1, max_size=6))
def test_arbitrary_exchanges_verify_or_fail_with_their_line(
    entries: list[object], traffic_file: Path
) -> None:
    lines = [json.dumps(entry).encode() for entry in entries]
    test_arbitrary_lines_load_and_verify_or_fail_with_their_line.hypothesis.inner_test(  # type: ignore[attr-defined]
        lines, traffic_file
    )
