"""No input of any kind gets an HTTP 500 or a traceback: odd bytes answer envelope 422."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar.testing import MockServer
from kling_avatar.testing._lookup import provider_mock
from kling_avatar.testing._specs import routes

from .helpers import (
    APIKLEY_BASE64,
    APIKLEY_RECORD,
    APIKLEY_STREAM,
    CRUN_CREATE,
    CRUN_INFO,
    apikley_headers,
    crun_body,
    crun_headers,
    key_headers,
)

JSON = {"Content-Type": "application/json"}


def _assert_422(answer: httpx.Response, text_key: str = "message", code: int = 422) -> str:
    """A refusal in the body; the file-upload API's is its own 400, not the Market's 422."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["code"] == code and body["data"] is None
    message: str = body[text_key]
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize(
    ("content", "headers", "names"),
    [
        (b"\xff\xfe\x00garbage", JSON, "UTF-8"),
        (b'{"model": "kling/avatar", "input": {"image_url": "\xe9"}}', JSON, "UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, JSON, "nested"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, JSON, "nested"),
        (b"{not json", JSON, ""),
        (b"", JSON, "RequestBody"),
        (b"[]", JSON, "object"),
        (b'"just a string"', JSON, "object"),
        (b'{"model": "kling/avatar"}', {"Content-Type": "text/plain"}, "Content-Type"),
        (b'{"model": "kling/avatar"}', {}, ""),
        (b"model=kling", {"Content-Type": "application/x-www-form-urlencoded"}, "Content-Type"),
        (b"--x\r\n\r\n", {"Content-Type": "multipart/form-data"}, ""),
    ],
)
def test_crun_create_with_odd_bodies(
    mock: MockServer, http: httpx.Client, content: bytes, headers: dict[str, str], names: str
) -> None:
    answer = http.post(CRUN_CREATE, content=content, headers={**crun_headers(mock), **headers})
    assert names in _assert_422(answer)
    assert mock.calls("createTask") == 1
    assert mock.credits("crun") == 100.0


@pytest.mark.parametrize(
    "query",
    [
        "task_id=%ff%fe%00",
        "task_id=",
        "task_id=a&task_id=b",
        "&&==&task_id",
        "task_id=" + "x" * 8000,
        "task_id=%E4%BD%A0%E5%A5%BD",
        "task_id[]=1&task_id[x]=2",
        "%zz=%",
    ],
)
def test_crun_status_with_odd_query_strings(
    mock: MockServer, http: httpx.Client, query: str
) -> None:
    answer = http.get(f"{CRUN_INFO}?{query}", headers=crun_headers(mock))
    assert answer.status_code == 200
    assert answer.json()["code"] in (404, 422)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"no boundary at all", "multipart/form-data"),
        (
            b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nxx',
            "multipart/form-data; boundary=b",
        ),
        (b"--b--\r\n", "multipart/form-data; boundary=b"),
        (
            b'--b\r\nContent-Disposition: form-data; name="uploadPath"\r\n\r\n'
            b"\xff\xfe\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
    ],
)
def test_apikley_stream_upload_with_broken_multipart(
    mock: MockServer, http: httpx.Client, content: bytes, content_type: str
) -> None:
    headers = {**apikley_headers(mock), "Content-Type": content_type}
    answer = http.post(APIKLEY_STREAM, content=content, headers=headers)
    _assert_422(answer, "msg", code=400)


@pytest.mark.parametrize("path", [APIKLEY_STREAM, CRUN_CREATE])
def test_a_body_without_a_content_type_is_refused_not_a_500(
    mock: MockServer, http: httpx.Client, path: str
) -> None:
    headers = apikley_headers(mock) if path == APIKLEY_STREAM else crun_headers(mock)
    answer = http.post(path, content=b"x", headers=headers)
    assert answer.status_code == 200
    assert answer.json()["code"] in (400, 422)
    assert "Content-Type" in answer.json()["msg" if path == APIKLEY_STREAM else "message"]
    assert not mock.errors


def test_chunked_body_is_read_like_any_other(mock: MockServer, http: httpx.Client) -> None:
    body = json.dumps(crun_body()).encode()

    def chunks() -> Iterator[bytes]:
        yield body[:10]
        yield body[10:]

    answer = http.post(CRUN_CREATE, content=chunks(), headers={**crun_headers(mock), **JSON})
    assert answer.request.headers["transfer-encoding"] == "chunked"
    assert answer.json()["code"] == 200


def test_declared_huge_body_is_refused_before_it_is_read(mock: MockServer) -> None:
    host, port = mock.base_url.removeprefix("http://").split(":")
    request = (
        f"POST {APIKLEY_BASE64} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {mock.apikley_key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 999999999\r\nConnection: close\r\n\r\n{"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b'"code":400' in body and b"too large" in body  # the file-upload API's code


def test_apikley_record_with_non_ascii_task_id(mock: MockServer, http: httpx.Client) -> None:
    answer = http.get(
        APIKLEY_RECORD, params={"taskId": "задача\u0000"}, headers=apikley_headers(mock)
    )
    assert answer.json() == {"code": 422, "msg": "recordInfo is null", "data": None}


_OPERATIONS = sorted(routes().values(), key=lambda route: route.operation_id)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    route=st.sampled_from(_OPERATIONS),
    content=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=20),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.text(max_size=10), children, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda value: httpx.Request("POST", "http://x", json=value).content),
    ),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "multipart/form-data; boundary=x", "", "a/b; c"]
    ),
    query=st.one_of(
        st.text(
            st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="#"), max_size=40
        ),
        st.text(max_size=20).map(lambda text: quote(text, safe="=&")),
    ),
)
def test_no_input_gets_a_500(
    kling_mock_server: MockServer,
    route: object,
    content: bytes,
    content_type: str,
    query: str,
) -> None:
    from kling_avatar.testing._specs import Route

    assert isinstance(route, Route)
    mock = kling_mock_server
    key = key_headers(mock, route.provider)
    headers = {**key, "Content-Type": content_type} if content_type else key
    url = httpx.URL(mock.base_url + route.path, query=query.encode("ascii"))
    answer = httpx.request(route.method, url, content=content, headers=headers, timeout=10.0)
    assert "Traceback" not in answer.text
    if provider_mock(route.provider).http_statuses:  # fal: the status is the answer's code
        assert answer.status_code in (200, 202, 400, 403, 404, 422), answer.text
        assert isinstance(answer.json(), dict)
    else:
        assert answer.status_code == 200, answer.text
        assert answer.json()["code"] in (200, 400, 402, 404, 422)
    assert not mock.errors
