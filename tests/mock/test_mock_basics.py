"""Creating and reading tasks on both providers, keys, validation, credits."""

from __future__ import annotations

import json

import httpx
import pytest
from kling_avatar.testing import (
    COST_PRO,
    COST_STD,
    DEFAULT_APIKLEY_KEY,
    DEFAULT_CRUN_KEY,
    MockServer,
)

from .helpers import (
    APIKLEY_CREATE,
    APIKLEY_CREDIT,
    APIKLEY_RECORD,
    CRUN_BALANCE,
    CRUN_CREATE,
    CRUN_ESTIMATE,
    CRUN_INFO,
    apikley_body,
    apikley_headers,
    crun_body,
    crun_headers,
)


def test_crun_task_is_created_and_finished_at_first_read(
    mock: MockServer, http: httpx.Client
) -> None:
    created = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock))
    assert created.status_code == 200
    task_id = created.json()["data"]["task_id"]
    assert created.json()["code"] == 200

    info = http.get(CRUN_INFO, params={"task_id": task_id}, headers=crun_headers(mock)).json()
    assert info["code"] == 200 and info["message"] == "success"
    data = info["data"]
    assert data["task_id"] == task_id
    assert data["status"] == "success"
    assert data["param"] == crun_body()  # the request, as an object
    assert data["result"]["code"] == 200
    assert data["credits"] == COST_PRO
    assert isinstance(data["create_at"], int) and data["create_at"] < 10**11  # seconds
    [video_url] = data["result"]["media_urls"]
    video = http.get(video_url)
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"


def test_apikley_task_is_created_and_finished_at_first_read(
    mock: MockServer, http: httpx.Client
) -> None:
    created = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
    assert created.json()["code"] == 200
    task_id = created.json()["data"]["taskId"]

    record = http.get(APIKLEY_RECORD, params={"taskId": task_id}, headers=apikley_headers(mock))
    body = record.json()
    assert body["code"] == 200 and body["msg"] == "success"
    data = body["data"]
    assert data["taskId"] == task_id
    assert data["state"] == "success"
    assert json.loads(data["param"]) == apikley_body()  # a JSON string, not an object
    [video_url] = json.loads(data["resultJson"])["resultUrls"]
    assert data["failCode"] == "" and data["failMsg"] == ""
    assert data["createTime"] > 10**12  # milliseconds
    assert data["completeTime"] >= data["createTime"]
    assert http.get(video_url).headers["content-type"] == "video/mp4"


def test_each_task_gets_a_fresh_id(mock: MockServer, http: httpx.Client) -> None:
    ids = {
        http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()["data"][
            "task_id"
        ]
        for _ in range(5)
    }
    assert len(ids) == 5


def test_seed_replays_the_same_task_ids() -> None:
    def first_ids() -> list[str]:
        with MockServer(seed=7) as mock, httpx.Client(base_url=mock.base_url) as http:
            return [
                http.post(
                    APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock)
                ).json()["data"]["taskId"]
                for _ in range(3)
            ]

    assert first_ids() == first_ids()


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (CRUN_BALANCE, {}),
        (CRUN_BALANCE, {"x-api-key": "ak_wrong"}),
        (CRUN_BALANCE, {"Authorization": "Bearer whatever"}),
    ],
)
def test_crun_missing_or_wrong_key_is_envelope_401(
    http: httpx.Client, path: str, headers: dict[str, str]
) -> None:
    response = http.get(path, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"code": 401, "message": response.json()["message"], "data": None}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}, {"Authorization": "x"}],
)
def test_apikley_missing_or_wrong_key_is_envelope_401(
    mock: MockServer, http: httpx.Client, headers: dict[str, str]
) -> None:
    response = http.get(APIKLEY_CREDIT, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 401 and body["data"] is None and body["msg"]
    assert mock.apikley_key not in response.text


def test_keys_are_the_documented_defaults_unless_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRUN_API_KEY", raising=False)
    monkeypatch.delenv("APIKLEY_API_KEY", raising=False)
    mock = MockServer()
    assert (mock.crun_key, mock.apikley_key) == (DEFAULT_CRUN_KEY, DEFAULT_APIKLEY_KEY)
    monkeypatch.setenv("CRUN_API_KEY", "ak_from_env")
    monkeypatch.setenv("APIKLEY_API_KEY", "from-env")
    mock = MockServer()
    assert (mock.crun_key, mock.apikley_key) == ("ak_from_env", "from-env")
    assert MockServer(crun_key="ak_arg").crun_key == "ak_arg"
    assert "ak_from_env" not in repr(mock) and "from-env" not in repr(mock)


def test_key_of_the_other_provider_is_refused(mock: MockServer, http: httpx.Client) -> None:
    response = http.get(APIKLEY_CREDIT, headers={"Authorization": f"Bearer {mock.crun_key}"})
    assert response.json()["code"] == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["input"].pop("image_url"), "image_url"),
        (lambda b: b["input"].update(audio_url="not a url"), "audio_url"),
        (lambda b: b.update(model="kling/other"), "model"),
        (lambda b: b["input"].update(mode="ultra"), "mode"),
        (lambda b: b["input"].update(prompt="x" * 5001), "prompt"),
        (lambda b: b.update(callback_url="nope"), "callback_url"),
        (lambda b: b.pop("input"), "input"),
    ],
)
def test_crun_invalid_body_is_envelope_422_naming_the_field(
    mock: MockServer, http: httpx.Client, change: object, field: str
) -> None:
    body = crun_body()
    change(body)  # type: ignore[operator]
    response = http.post(CRUN_CREATE, json=body, headers=crun_headers(mock))
    assert response.status_code == 200
    answer = response.json()
    assert answer["code"] == 422 and answer["data"] is None
    assert field in answer["message"]
    assert mock.credits("crun") == 100.0  # nothing was charged


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b["input"].pop("prompt"), "prompt"),
        (lambda b: b["input"].update(image_url=""), "image_url"),
        (lambda b: b.update(model="kling/ai-avatar-v2"), "model"),
        (lambda b: b.update(callBackUrl="ftp:/x y"), "callBackUrl"),
    ],
)
def test_apikley_invalid_body_is_envelope_422_naming_the_field(
    mock: MockServer, http: httpx.Client, change: object, field: str
) -> None:
    body = apikley_body()
    change(body)  # type: ignore[operator]
    answer = http.post(APIKLEY_CREATE, json=body, headers=apikley_headers(mock)).json()
    assert answer["code"] == 422 and answer["data"] is None
    assert field in answer["msg"]


def test_missing_query_parameter_is_envelope_422_naming_it(
    mock: MockServer, http: httpx.Client
) -> None:
    crun = http.get(CRUN_INFO, headers=crun_headers(mock)).json()
    assert crun["code"] == 422 and "task_id" in crun["message"]
    apikley = http.get(APIKLEY_RECORD, headers=apikley_headers(mock)).json()
    assert apikley["code"] == 422 and "taskId" in apikley["msg"]


def test_unknown_task_ids(mock: MockServer, http: httpx.Client) -> None:
    crun = http.get(CRUN_INFO, params={"task_id": "nope"}, headers=crun_headers(mock)).json()
    assert crun["code"] == 404 and crun["data"] is None
    apikley = http.get(APIKLEY_RECORD, params={"taskId": "nope"}, headers=apikley_headers(mock))
    assert apikley.json() == {"code": 422, "msg": "recordInfo is null", "data": None}


def test_credits_drop_per_task_and_creation_at_zero_is_402() -> None:
    with MockServer(credits=3.0) as mock, httpx.Client(base_url=mock.base_url) as http:
        std = crun_body()
        std["input"]["mode"] = "std"
        assert http.post(CRUN_CREATE, json=std, headers=crun_headers(mock)).json()["code"] == 200
        assert http.get(CRUN_BALANCE, headers=crun_headers(mock)).json()["data"] == {
            "balance": 3.0 - COST_STD
        }
        estimate = http.post(CRUN_ESTIMATE, json=crun_body(), headers=crun_headers(mock)).json()
        assert estimate["data"] == {
            "estimated_credits": COST_PRO,
            "balance": 3.0 - COST_STD,
            "affordable": True,
        }
        assert (
            http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()["code"]
            == 200
        )
        refused = http.post(CRUN_CREATE, json=crun_body(), headers=crun_headers(mock)).json()
        assert refused == {"code": 402, "message": "Insufficient credits", "data": None}

        mock.set_credits(0.0)
        assert http.get(APIKLEY_CREDIT, headers=apikley_headers(mock)).json()["data"] == 0
        refused = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
        assert refused.json() == {"code": 402, "msg": "Insufficient credits", "data": None}
        mock.set_credits(10.0, "apikley")
        again = http.post(APIKLEY_CREATE, json=apikley_body(), headers=apikley_headers(mock))
        assert again.json()["code"] == 200
        assert mock.credits("apikley") == 10.0 - COST_PRO


def test_calls_counts_every_request_of_an_operation(mock: MockServer, http: httpx.Client) -> None:
    http.get(CRUN_BALANCE, headers=crun_headers(mock))
    http.get(CRUN_BALANCE)  # refused for its key, still counted
    assert mock.calls("getBalance") == 2
    assert mock.calls("getCredits") == 0


def test_unknown_path_is_404_and_wrong_method_405(http: httpx.Client) -> None:
    assert http.get("/api/v1/nothing").status_code == 404
    wrong_method = http.get(CRUN_CREATE)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
