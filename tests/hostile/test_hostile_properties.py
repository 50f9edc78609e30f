"""Any JSON at all, at every answer entry point: a result or an AvatarError, never another
exception, and never the key in the error. Run with ``--hypothesis-show-statistics`` to see how
many examples ran: `EXAMPLES` per provider and entry point (HOSTILE_EXAMPLES overrides it), each
printed with ``-s``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, cast

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar import AvatarClient, AvatarError, Provider

from .provider import KEY

# Strings a hostile provider likes: the key, escapes, separators, URLs of every scheme.
hostile_text = st.sampled_from(
    [
        KEY,
        f"x{KEY}y",
        "../../etc/passwd",
        "\x1b[2J",
        "\x00",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://169.254.169.254/",
        "https://cdn.example/v.mp4?X-Amz-Signature=abc",
        "",
    ]
) | st.text(max_size=30)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | hostile_text
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=5)
    ),
    max_leaves=25,
)
FIELDS = [
    "task_id", "taskId", "status", "state", "result", "media_urls", "resultJson", "resultUrls",
    "failMsg", "failCode", "message", "code", "credits", "balance", "create_at", "createTime",
    "presigned_url", "file_url", "downloadUrl", "complete_at", "completeTime",
]  # fmt: skip
# Objects with the providers' own field names, so parsing gets past the first check.
shaped = st.dictionaries(st.sampled_from(FIELDS), json_values | st.just("t1"), max_size=8)
data = shaped | json_values
bodies = st.one_of(
    st.builds(lambda d, c: {"code": c, "msg": KEY, "data": d}, data, st.just(200)),
    st.builds(lambda d, c: {"code": c, "message": "x", "data": d}, data, json_values),
    json_values,
)

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "100"))
ENTRY_POINTS: dict[str, Callable[[AvatarClient], object]] = {
    "get_task": lambda c: c.get_task("t1"),
    "create_task": lambda c: c.create_task(
        image_url="https://a.example/p.png", audio_url="https://a.example/v.mp3"
    ),
    "get_credits": lambda c: c.get_credits(),
    "upload_file": lambda c: c.upload_file(b"ID3 an mp3"),
    "wait_for_task": lambda c: c.wait_for_task("t1", timeout=0.05),
}


class Answers:
    """The fake network: the API answers `body`; a presigned PUT answers `put`."""

    def __init__(self) -> None:
        self.body: Any = None
        self.put: Any = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        chosen = self.put if request.method == "PUT" else self.body
        try:
            content = json.dumps(chosen).encode()
        except ValueError:  # NaN where JSON has none: still sent, as Python writes it
            content = json.dumps(chosen, allow_nan=True).encode()
        return httpx.Response(200, content=content)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_any_json_answer_gives_a_result_or_an_avatar_error(provider: str, entry: str) -> None:
    answers = Answers()
    ran: list[int] = []
    transport = httpx.MockTransport(answers)
    with AvatarClient(
        cast(Provider, provider),
        api_key=KEY,
        transport=transport,
        max_retries=0,
        poll_interval=0.01,
        base_url="https://api.example",
    ) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(body=bodies, put=bodies)
        def check(body: object, put: object) -> None:
            ran.append(1)
            answers.body, answers.put = body, put
            try:
                ENTRY_POINTS[entry](client)
            except AvatarError as error:
                assert KEY not in str(error) and KEY not in repr(error)
                task = getattr(error, "task", None)
                assert KEY not in repr(task)

        check()
    print(f"\n{provider} {entry}: {len(ran)} examples, each a result or an AvatarError")
    assert len(ran) >= min(EXAMPLES, 100)
