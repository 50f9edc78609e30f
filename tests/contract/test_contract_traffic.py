"""Traffic a client recorded is checked against the specs and the lifecycle: the mock's passes,
a planted deviation is found, and no secret reaches the file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from kling_avatar import AsyncAvatarClient, AvatarClient
from kling_avatar.contract import load_traffic as load
from kling_avatar.contract import main as contract_main
from kling_avatar.contract import verify_traffic as verify
from kling_avatar.testing import MockServer

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"


def _record(mock: MockServer, path: Path) -> None:
    """A service's day: credits, a generation from local files (uploads), credits again."""
    with AvatarClient(
        "crun",
        api_key=mock.crun_key,
        base_url=mock.base_url,
        record_traffic=path,
        poll_interval=0.01,
    ) as client:
        client.get_credits()
        client.generate(image_url=MEDIA / "portrait.png", audio_url=MEDIA / "voice.wav")
        client.get_credits()

    async def apikley() -> None:
        async with AsyncAvatarClient(
            "apikley",
            api_key=mock.apikley_key,
            base_url=mock.base_url,
            record_traffic=path,
            poll_interval=0.01,
        ) as client:
            await client.get_credits()
            await client.generate(image_url=MEDIA / "portrait.png", audio_url=MEDIA / "voice.wav")
            await client.get_credits()

    asyncio.run(apikley())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[str, str]]:
    path = tmp_path_factory.mktemp("traffic") / "traffic.jsonl"
    with MockServer(step=0.0, credits=100.0, seed=0) as mock:
        _record(mock, path)
        keys = (mock.crun_key, mock.apikley_key)
    return path, keys


def test_traffic_recorded_from_the_mock_passes(
    recorded: tuple[Path, tuple[str, str]], tmp_path: Path
) -> None:
    path, _ = recorded
    exchanges, callbacks = load(path)
    verdict = verify(exchanges, callbacks)

    assert verdict.ok, (verdict.violations, verdict.findings)
    assert verdict.tasks == 2
    # Every API exchange was validated; the presigned PUTs of crun's uploads are outside the specs.
    assert verdict.validated >= 10 and verdict.outside == 2
    assert contract_main(["traffic", str(path), "--report-dir", str(tmp_path)]) == 0
    assert (tmp_path / "contract-traffic-coverage.md").exists()


def test_no_secret_reaches_the_file(recorded: tuple[Path, tuple[str, str]]) -> None:
    path, keys = recorded
    text = path.read_text()

    assert all(key not in text for key in keys)
    assert "signature=REDACTED" in text  # the presigned upload URL, in the answer and the PUT
    entries = [json.loads(line) for line in text.splitlines()]
    assert {e["request"]["headers"].get("x-api-key") for e in entries} >= {"[redacted]"}
    assert "Bearer [redacted]" in {e["request"]["headers"].get("authorization") for e in entries}


def _plant(source: Path, target: Path, path_part: str, spoil: object) -> int:
    """Rewrite the last answer of the read whose URL contains ``path_part``; its line number."""
    lines = source.read_text().splitlines()
    index = max(
        i for i, line in enumerate(lines) if path_part in json.loads(line)["request"]["url"]
    )
    entry = json.loads(lines[index])
    body = json.loads(entry["response"]["body"])
    spoil(body)  # type: ignore[operator]
    entry["response"]["body"] = json.dumps(body)
    lines[index] = json.dumps(entry)
    target.write_text("\n".join(lines) + "\n")
    return index + 1


def test_a_planted_spec_deviation_is_found(
    recorded: tuple[Path, tuple[str, str]], tmp_path: Path
) -> None:
    path, _ = recorded
    planted = tmp_path / "planted.jsonl"

    def wrong_type(body: dict[str, object]) -> None:
        body["data"] = str(body["data"])  # Apikley's credits as a string

    line = _plant(path, planted, "/api/v1/chat/credit", wrong_type)
    verdict = verify(*load(planted))

    assert not verdict.ok
    assert len(verdict.violations) == 1
    assert verdict.violations[0].startswith(f"line {line}: apikley getCredits")
    assert contract_main(["traffic", str(planted), "--report-dir", str(tmp_path)]) == 1


def test_a_planted_lifecycle_deviation_is_found(
    recorded: tuple[Path, tuple[str, str]], tmp_path: Path
) -> None:
    path, _ = recorded
    planted = tmp_path / "planted.jsonl"
    # Read twice more; the last read says running: spec-valid, but the task had succeeded.
    lines = path.read_text().splitlines()
    reads = [x for x in lines if "/api/v1/client/job/TaskInfo" in json.loads(x)["request"]["url"]]
    base = tmp_path / "with-reread.jsonl"
    base.write_text("\n".join([*lines, reads[-1]]) + "\n")

    def running(body: dict[str, dict[str, object]]) -> None:
        body["data"]["status"] = "running"

    _plant(base, planted, "/api/v1/client/job/TaskInfo", running)
    verdict = verify(*load(planted))

    assert verdict.violations == ()
    assert [f.name for f in verdict.findings] == ["terminal-state-changed"]


def test_the_recorder_bounds_bodies_and_records_failed_requests(tmp_path: Path) -> None:
    from kling_avatar._traffic import TrafficRecorder

    path = tmp_path / "t.jsonl"
    recorder = TrafficRecorder(path, secrets=["s3cret-key"], max_body=16)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, content=b"x" * 100 + b"s3cret-key")

    transport = recorder.wrap(httpx.MockTransport(answer), asynchronous=False)
    with httpx.Client(transport=transport) as http:  # type: ignore[arg-type]
        assert http.get("https://api.example/big?sig=abc").content.endswith(b"s3cret-key")
        with pytest.raises(httpx.ConnectError):
            http.post("https://api.example/down", content=b"s3cret-key")
    big, down = (json.loads(line) for line in path.read_text().splitlines())

    assert big["response"] == {
        "status": 200,
        "headers": big["response"]["headers"],
        "body": "x" * 16,
        "truncated": True,
    }
    assert big["request"]["url"] == "https://api.example/big?sig=REDACTED"
    assert down["response"] is None and down["error"] == "ConnectError: refused"
    assert down["request"]["body"] == "[redacted]"
    assert "s3cret-key" not in path.read_text()


@pytest.fixture(scope="module")
def recorded_fal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fal's way: two uploads (initiate, then a PUT elsewhere), a submit, its status by the
    URL the answer handed back, its result."""
    path = tmp_path_factory.mktemp("traffic-fal") / "traffic.jsonl"
    with (
        MockServer(step=0.0, credits=100.0, seed=0) as mock,
        AvatarClient(
            "fal",
            api_key=mock.keys["fal"],
            base_url=mock.base_url,
            record_traffic=path,
            poll_interval=0.01,
        ) as client,
    ):
        client.generate(image_url=MEDIA / "portrait.png", audio_url=MEDIA / "voice.wav")
    return path


def test_fal_traffic_recorded_from_the_mock_passes(recorded_fal: Path) -> None:
    verdict = verify(*load(recorded_fal))

    assert verdict.ok, (verdict.violations, verdict.findings)
    assert verdict.tasks == 1
    # The upload PUTs go to the URLs initiateUpload named: outside the spec.
    assert verdict.outside == 2 and verdict.validated == 5


def test_a_fal_request_read_running_after_it_completed_is_found(
    recorded_fal: Path, tmp_path: Path
) -> None:
    lines = recorded_fal.read_text().splitlines()
    [status] = [x for x in lines if "/status" in json.loads(x)["request"]["url"]]
    entry = json.loads(status)
    body = json.loads(entry["response"]["body"])
    body.update(status="IN_PROGRESS")
    entry["response"].update(status=202, body=json.dumps(body))
    planted = tmp_path / "planted.jsonl"
    planted.write_text("\n".join([*lines, json.dumps(entry)]) + "\n")

    verdict = verify(*load(planted))

    assert verdict.violations == ()
    assert [f.name for f in verdict.findings] == ["terminal-state-changed"]
