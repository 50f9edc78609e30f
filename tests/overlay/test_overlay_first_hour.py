"""What a new user meets first: a wrong base URL, a typo in the provider, versions, codes."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import get_args

import httpx
import kling_avatar
import pytest
from kling_avatar import (
    AvatarClient,
    EndpointNotFoundError,
    InvalidRequestError,
    NotFoundError,
    Provider,
    as_provider,
)
from kling_avatar.testing import MockServer

from .fake import always, answer, envelope, fake_client
from .helpers import FAST, key_of

ROOT = Path(__file__).resolve().parents[2]


def test_a_wrong_base_url_is_endpoint_not_found_naming_the_address(
    mock: MockServer, provider: str
) -> None:
    with AvatarClient(
        as_provider(provider),
        api_key=key_of(mock, provider),
        base_url=mock.base_url + "/wrong",
        **FAST,
    ) as client:
        with pytest.raises(EndpointNotFoundError) as caught:
            client.get_credits()
        # Waiting on any id says the same at once: an address that is wrong is never "not
        # there yet", however long Apikley's grace for new tasks is.
        with pytest.raises(EndpointNotFoundError):
            client.wait_for_task("some-task", timeout=30, not_found_grace=30)
    error = caught.value
    assert not isinstance(error, NotFoundError), "catching 'no such task' must not catch this"
    assert (error.provider, error.code) == (provider, 404)
    assert f"{mock.base_url}/wrong/api/v1/" in error.message
    assert "base URL" in error.message


def test_a_missing_task_at_the_right_address_is_still_not_found(
    mock: MockServer, provider: str
) -> None:
    with (
        AvatarClient(
            as_provider(provider), api_key=key_of(mock, provider), base_url=mock.base_url, **FAST
        ) as client,
        pytest.raises(NotFoundError) as caught,
    ):
        client.wait_for_task("no-such-task", timeout=10, not_found_grace=0)
    assert not isinstance(caught.value, EndpointNotFoundError)


def test_an_http_404_is_the_address_even_with_an_envelope_body() -> None:
    # A provider's missing task is HTTP 200 with code 404 in the body; the same body under an
    # HTTP 404 comes from a router that does not know the path.
    body = envelope(None, 404)
    with (
        fake_client("crun", always(answer(body)), max_retries=0) as client,
        pytest.raises(NotFoundError) as in_body,
    ):
        client.get_task("t-1")
    assert type(in_body.value) is NotFoundError

    def routed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json=body, request=request)

    # The query (where a presigned URL keeps its signature) stays out of it. (A base URL with
    # user info is refused when the client is built: test_hostile_recording_secrets.py.)
    url = "https://api.example/v1"
    with (
        fake_client("crun", routed, max_retries=0, base_url=url) as client,
        pytest.raises(EndpointNotFoundError) as as_status,
    ):
        client.get_task("task-in-the-query")
    message = as_status.value.message
    assert "GET https://api.example/v1/api/v1/client/job/TaskInfo:" in message
    for secret in ("task-in-the-query", "?"):
        assert secret not in message


def test_local_validation_errors_have_code_422_like_the_providers() -> None:
    with (
        fake_client("apikley", always(answer(envelope(None)))) as client,
        pytest.raises(InvalidRequestError) as caught,
    ):
        client.create_task(
            image_url="https://example.com/a.png",
            audio_url="https://example.com/a.mp3",
            prompt="x" * 5001,
        )
    assert (caught.value.code, caught.value.field) == (422, "prompt")
    with pytest.raises(InvalidRequestError) as provider_error:
        as_provider("crunn")
    assert (provider_error.value.code, provider_error.value.field) == (422, "provider")


def test_a_runtime_provider_name_is_checked_and_accepted() -> None:
    assert as_provider("apikley") == "apikley"
    name: str = "crun"  # say, from a setting
    # Untyped callers still pass a plain string; it is checked at run time.
    client = AvatarClient(name, api_key="k")  # type: ignore[arg-type]
    assert client.provider == "crun"
    with pytest.raises(InvalidRequestError, match="must be 'apikley' or 'crun'"):
        AvatarClient("crunn", api_key="k")  # type: ignore[arg-type]


def test_a_provider_typo_is_a_type_error_for_mypy(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(
        "import os\n"
        "from kling_avatar import AsyncAvatarClient, AvatarClient, as_provider\n"
        'AvatarClient("crun")\n'
        'AvatarClient("crunn")\n'
        'AsyncAvatarClient("apikly")\n'
        'AvatarClient(as_provider(os.environ["PROVIDER"]))\n'
    )
    # The repository's mypy cache makes this a few seconds, not a full analysis of httpx.
    done = subprocess.run(  # noqa: S603 (our pinned mypy on our own snippet)
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(snippet)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["4", "5"], done.stdout + done.stderr
    names = ", ".join(repr(name) for name in get_args(Provider))
    assert all(f"Literal[{names}]" in line for line in errors), errors


def test_version_is_the_packages_one() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    # One source: pyproject reads the version from the module that defines __version__.
    assert pyproject["project"]["dynamic"] == ["version"]
    source = ROOT / pyproject["tool"]["hatch"]["version"]["path"]
    assert f'__version__ = "{kling_avatar.__version__}"' in source.read_text()
    assert kling_avatar.__version__[0].isdigit()
