"""``python -m kling_avatar.testing``: serves on 127.0.0.1, prints its keys, takes faults."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from kling_avatar._registry import PROVIDERS
from kling_avatar.testing import COST_PRO, DEFAULT_APIKLEY_KEY, DEFAULT_CRUN_KEY, MockServer
from kling_avatar.testing._lookup import provider_mock

from .helpers import APIKLEY_CREDIT, CRUN_BALANCE, CRUN_CREATE, CRUN_INFO, crun_body

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _cli(
    *args: str, env: dict[str, str] | None = None, more: list[str] | None = None
) -> Iterator[tuple[str, list[str]]]:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    process = subprocess.Popen(  # noqa: S603  (our own module, fixed arguments)
        [sys.executable, "-m", "kling_avatar.testing", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**environment, **(env or {})},
    )
    try:
        assert process.stdout is not None
        # Two lines on top, two per provider (its base URL and key), one summary.
        lines = [process.stdout.readline() for _ in range(3 + 2 * len(PROVIDERS))]
        yield f"http://127.0.0.1:{port}", lines
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        if more is not None and process.stdout is not None:
            more.extend(process.stdout.read().splitlines())


def test_cli_takes_keys_from_the_environment_without_printing_them() -> None:
    env = {"CRUN_API_KEY": "ak_env_secret", "APIKLEY_API_KEY": "env-secret"}
    with _cli("--step", "0", env=env) as (url, lines):
        assert not any("secret" in line for line in lines)
        answer = httpx.get(url + APIKLEY_CREDIT, headers={"Authorization": "Bearer env-secret"})
        assert answer.json()["code"] == 200
        refused = httpx.get(
            url + APIKLEY_CREDIT, headers={"Authorization": f"Bearer {DEFAULT_APIKLEY_KEY}"}
        )
        assert refused.json()["code"] == 401


def test_cli_prints_the_default_keys_and_takes_faults_clock_and_credits() -> None:
    with _cli(
        "--step",
        "30",
        "--credits",
        "5",
        "--fault",
        "envelope@getTaskInfo:code=455,times=1",
        "--fault",
        "http@createTask:status=429,retry_after=7",
    ) as (url, lines):
        assert url in lines[0]
        printed = "".join(lines)
        assert f"CRUN_API_KEY={DEFAULT_CRUN_KEY}" in printed
        assert f"APIKLEY_API_KEY={DEFAULT_APIKLEY_KEY}" in printed
        headers = {"x-api-key": DEFAULT_CRUN_KEY}
        refused = httpx.post(url + CRUN_CREATE, json=crun_body(), headers=headers)
        assert (refused.status_code, refused.headers["retry-after"]) == (429, "7")
        created = httpx.post(url + CRUN_CREATE, json=crun_body(), headers=headers)
        task_id = created.json()["data"]["task_id"]

        def read() -> dict[str, object]:
            answer = httpx.get(url + CRUN_INFO, params={"task_id": task_id}, headers=headers)
            body: dict[str, object] = answer.json()
            return body

        assert read()["code"] == 455
        data = read()["data"]
        assert isinstance(data, dict) and data["status"] == "pending"  # 30 s per state
        balance = httpx.get(url + CRUN_BALANCE, headers=headers).json()
        assert balance["data"] == {"balance": 5.0 - COST_PRO}


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--fault", "explode", "unknown fault kind"),
        ("--rate-limit", "apikley=20", "not PROVIDER=CREATIONS/SECONDS"),
        ("--rate-limit", "kie=20/10", "unknown provider"),
    ],
)
def test_cli_rejects_a_malformed_option(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # The module's main in process: it refuses before it binds or serves anything.
    from kling_avatar.testing.__main__ import main

    status = main([option, value])

    stderr = capsys.readouterr().err
    assert status == 2 and option in stderr and message in stderr


def test_readme_curl_example_works_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Local mock server") :]
    assert "make mock" in section
    lines = iter(section.splitlines())
    curl = next(line for line in lines if line.startswith("curl "))
    while curl.endswith("\\"):  # a shell continuation line
        curl = curl[:-1] + next(lines)
    url = re.search(r"http://127\.0\.0\.1:8123(\S+)", curl)
    data = re.search(r"-d '([^']+)'", curl)
    assert url is not None and data is not None
    headers = dict(h.split(": ", 1) for h in re.findall(r'-H "([^"]+)"', curl))
    monkeypatch.delenv("CRUN_API_KEY", raising=False)
    monkeypatch.delenv("APIKLEY_API_KEY", raising=False)
    with MockServer() as mock:
        answer = httpx.post(mock.base_url + url.group(1), content=data.group(1), headers=headers)
    assert answer.json()["code"] == 200, answer.text


def test_cli_prints_export_lines_and_one_line_per_request() -> None:
    later: list[str] = []
    env = {"APIKLEY_API_KEY": "env-secret"}
    with _cli("--step", "0", "--fault", "drop@getBalance", env=env, more=later) as (url, lines):
        exports = [line.strip() for line in lines if line.startswith("export ")]
        assert sorted(exports) == [
            f"export APIKLEY_BASE_URL={url}",
            f"export CRUN_API_KEY={DEFAULT_CRUN_KEY}",
            f"export CRUN_BASE_URL={url}",
            f"export FAL_BASE_URL={url}",
            f"export FAL_KEY={provider_mock('fal').default_key}",
        ]  # a key from the environment is neither printed nor replaced
        assert "$APIKLEY_API_KEY" in "".join(lines)
        headers = {"x-api-key": DEFAULT_CRUN_KEY}
        created = httpx.post(url + CRUN_CREATE, json=crun_body(), headers=headers).json()
        httpx.get(url + CRUN_INFO, params={"task_id": "nope"}, headers=headers)
        httpx.get(url + "/elsewhere")
        with pytest.raises(httpx.TransportError):
            httpx.get(url + CRUN_BALANCE, headers=headers)
    assert later[:4] == [
        f"POST {CRUN_CREATE} createTask -> HTTP 200, code 200",
        f"GET {CRUN_INFO} getTaskInfo -> HTTP 200, code 404",
        "GET /elsewhere - -> HTTP 404, code 404",
        f"GET {CRUN_BALANCE} getBalance -> no answer (connection dropped)",
    ]
    assert created["data"]["task_id"] not in "\n".join(later)  # paths only, no query


def test_cli_quiet_prints_no_request_lines() -> None:
    later: list[str] = []
    with _cli("--quiet", more=later) as (url, lines):
        assert "one line per request" not in lines[-1]
        httpx.get(url + CRUN_BALANCE, headers={"x-api-key": DEFAULT_CRUN_KEY})
    assert later == []


def test_cli_on_a_taken_port_suggests_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
            [sys.executable, "-m", "kling_avatar.testing", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    suggestion = re.search(r"make mock PORT=(\d+)", done.stderr)
    assert suggestion is not None and int(suggestion.group(1)) != port, done.stderr
