"""Uploads store the bytes and answer a URL the mock serves."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from kling_avatar.testing import MockServer

from .helpers import (
    APIKLEY_BASE64,
    APIKLEY_CREATE,
    APIKLEY_DOWNLOAD,
    APIKLEY_RECORD,
    APIKLEY_STREAM,
    APIKLEY_URL,
    CRUN_UPLOAD_URL,
    Receiver,
    apikley_body,
    apikley_headers,
    crun_headers,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def test_crun_presigned_put_then_file_url(mock: MockServer, http: httpx.Client) -> None:
    answer = http.get(
        CRUN_UPLOAD_URL,
        params={"content_type": "image/png", "ext": ".png"},
        headers=crun_headers(mock),
    ).json()
    assert answer["code"] == 200
    presigned, file_url = answer["data"]["presigned_url"], answer["data"]["file_url"]
    assert http.get(file_url).status_code == 404  # nothing there before the PUT
    put = http.put(presigned, content=PNG, headers={"Content-Type": "image/png"})
    assert put.status_code == 200
    served = http.get(file_url)
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"


def test_crun_put_to_an_unknown_upload_url_is_404(http: httpx.Client) -> None:
    assert http.put("/upload/nothing.png", content=b"x").status_code == 404


@pytest.mark.parametrize("ext", ["png", ".png/../../x", ". ."])
def test_crun_upload_url_takes_any_extension_and_stays_in_its_folder(
    mock: MockServer, http: httpx.Client, ext: str
) -> None:
    answer = http.get(
        CRUN_UPLOAD_URL,
        params={"content_type": "image/png", "ext": ext},
        headers=crun_headers(mock),
    ).json()
    assert answer["code"] == 200
    file_url = answer["data"]["file_url"]
    assert httpx.URL(file_url).path.startswith("/media/uploads/")
    assert http.put(answer["data"]["presigned_url"], content=PNG).status_code == 200
    assert http.get(file_url).content == PNG


def test_apikley_stream_upload(mock: MockServer, http: httpx.Client) -> None:
    answer = http.post(
        APIKLEY_STREAM,
        files={"file": ("face.png", PNG, "image/png")},
        data={"uploadPath": "kling/avatars", "fileName": "me.png"},
        headers=apikley_headers(mock),
    ).json()
    assert answer["success"] is True and answer["code"] == 200
    data = answer["data"]
    assert data["fileName"] == "me.png"
    assert data["filePath"] == "kling/avatars/me.png"
    assert data["fileSize"] == len(PNG) and data["mimeType"] == "image/png"
    assert data["uploadedAt"].endswith("Z")
    assert http.get(data["downloadUrl"]).content == PNG


@pytest.mark.parametrize("prefix", ["", "data:image/png;base64,"])
def test_apikley_base64_upload(mock: MockServer, http: httpx.Client, prefix: str) -> None:
    body = {
        "base64Data": prefix + base64.b64encode(PNG).decode(),
        "uploadPath": "kling",
        "fileName": "face.png",
    }
    data = http.post(APIKLEY_BASE64, json=body, headers=apikley_headers(mock)).json()["data"]
    served = http.get(data["downloadUrl"])
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"


def test_apikley_base64_that_cannot_be_decoded_is_400(mock: MockServer, http: httpx.Client) -> None:
    body = {"base64Data": "A", "uploadPath": "kling"}  # one character: no byte at all
    answer = http.post(APIKLEY_BASE64, json=body, headers=apikley_headers(mock)).json()
    assert answer["code"] == 400 and "base64Data" in answer["msg"]


def test_apikley_url_upload_fetches_the_file(mock: MockServer, http: httpx.Client) -> None:
    with Receiver() as origin:
        origin.files["/voice.mp3"] = (b"ID3fake-mp3", "audio/mpeg")
        body = {"fileUrl": f"{origin.url}/voice.mp3", "uploadPath": "kling"}
        data = http.post(APIKLEY_URL, json=body, headers=apikley_headers(mock)).json()["data"]
    assert data["fileName"] == "voice.mp3" and data["mimeType"] == "audio/mpeg"
    assert http.get(data["downloadUrl"]).content == b"ID3fake-mp3"


def test_apikley_url_upload_of_a_missing_file_is_400(mock: MockServer, http: httpx.Client) -> None:
    with Receiver() as origin:
        body = {"fileUrl": f"{origin.url}/missing.png", "uploadPath": "kling"}
        answer = http.post(APIKLEY_URL, json=body, headers=apikley_headers(mock)).json()
    # The file-upload API's own code set has no 404 (200/400/401/405/500).
    assert answer == {"success": False, "code": 400, "msg": answer["msg"], "data": None}
    assert "fileUrl" in answer["msg"]


@pytest.mark.parametrize("url", ["https://example.com/face.png", "https://xn--0.com/face.png"])
def test_apikley_url_upload_from_another_host_is_refused_as_400(
    mock: MockServer, http: httpx.Client, url: str
) -> None:
    """The mock never fetches off the machine, and a host IDNA rejects is no server error."""
    body = {"fileUrl": url, "uploadPath": "kling"}
    answer = http.post(APIKLEY_URL, json=body, headers=apikley_headers(mock)).json()
    assert answer["code"] == 400 and "could not be downloaded" in answer["msg"]
    assert mock.errors == []


@pytest.mark.parametrize(
    ("upload_path", "file_name", "stored"),
    [
        ("../../etc", "passwd", "etc/passwd"),
        ("a b/ü", "my face.png", "a b/ü/my face.png"),
        ("", "../x.png", ".._x.png"),
    ],
)
def test_apikley_any_upload_path_is_kept_inside_the_store(
    mock: MockServer, http: httpx.Client, upload_path: str, file_name: str, stored: str
) -> None:
    body = {
        "base64Data": base64.b64encode(PNG).decode(),
        "uploadPath": upload_path,
        "fileName": file_name,
    }
    data = http.post(APIKLEY_BASE64, json=body, headers=apikley_headers(mock)).json()["data"]
    assert data["filePath"] == stored
    assert http.get(data["downloadUrl"]).content == PNG


def test_apikley_download_url_for_a_result(mock: MockServer, http: httpx.Client) -> None:
    created = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
    task_id = created.json()["data"]["taskId"]
    record = http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock))
    [result_url] = json.loads(record.json()["data"]["resultJson"])["resultUrls"]
    link = http.post(APIKLEY_DOWNLOAD, json={"url": result_url}, headers=apikley_headers(mock))
    assert link.json()["code"] == 200
    assert http.get(link.json()["data"]).headers["content-type"] == "video/mp4"
    foreign = http.post(
        APIKLEY_DOWNLOAD, json={"url": "https://example.com/x.mp4"}, headers=apikley_headers(mock)
    )
    assert foreign.json()["code"] == 404
