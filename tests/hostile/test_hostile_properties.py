"""Any JSON at all, at every answer entry point of every provider: a result or an AvatarError,
never another exception, never the key in the error, and never the key sent to another host
than the API's (whatever URLs the answers hand back). Run with
``--hypothesis-show-statistics`` to see how many examples ran: `EXAMPLES` per provider and
entry point (HOSTILE_EXAMPLES overrides it), each printed with ``-s``."""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable
from typing import Any, cast

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kling_avatar import AvatarClient, AvatarError, Provider
from kling_avatar._registry import PROVIDERS

from .provider import KEY, Clock

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
    # fal's: no envelope, URLs to follow, a result of its own.
    "request_id", "status_url", "response_url", "cancel_url", "queue_position", "logs",
    "error", "error_type", "video", "url", "detail", "upload_url",
]  # fmt: skip
# URLs a hostile answer hands back: on the API's host (for this task or another), elsewhere.
answer_urls = st.sampled_from(
    [
        "https://api.example/fal-ai/kling-video/requests/t1/status",
        "https://api.example/fal-ai/kling-video/requests/t1",
        "https://api.example/fal-ai/kling-video/requests/t2/cancel",
        "https://elsewhere.example/fal-ai/kling-video/requests/t1/status",
        "http://api.example/fal-ai/kling-video/requests/t1",
        "https://api.example.evil/fal-ai/kling-video/requests/t1/cancel",
    ]
)
# Objects with the providers' own field names, so parsing gets past the first check.
shaped = st.dictionaries(
    st.sampled_from(FIELDS),
    json_values | st.just("t1") | st.sampled_from(["COMPLETED", "IN_QUEUE", "OK"]) | answer_urls,
    max_size=8,
)
data = shaped | json_values
# Answers without an envelope (fal's): a state, the request asked about or another, the URLs
# to follow, a video, an error; any of them may be anything instead.
bare = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["IN_QUEUE", "IN_PROGRESS", "COMPLETED", "OK"]) | json_values,
        "request_id": st.sampled_from(["t1", "t2"]) | json_values,
    },
    optional={
        "status_url": answer_urls | json_values,
        "response_url": answer_urls | json_values,
        "cancel_url": answer_urls | json_values,
        "upload_url": answer_urls,
        "file_url": answer_urls,
        "video": st.fixed_dictionaries({"url": answer_urls | json_values}) | json_values,
        "queue_position": json_values,
        "logs": json_values,
        "error": json_values,
        "detail": json_values,
    },
)
bodies = st.one_of(
    st.builds(lambda d, c: {"code": c, "msg": KEY, "data": d}, data, st.just(200)),
    st.builds(lambda d, c: {"code": c, "message": "x", "data": d}, data, json_values),
    bare,
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
    "cancel_task": lambda c: c.cancel_task("t1"),
}


class Answers:
    """The fake network: the API answers `body`; a PUT (a presigned upload, fal's cancel)
    answers `put`, drawn from `strategy` at an example's first PUT: most operations send none,
    and an answer drawn for nothing cost as much CPU as the one used. It notes every request
    that carried the key to another host than the API's (there must be none)."""

    def __init__(self, strategy: st.SearchStrategy[object]) -> None:
        self.strategy = strategy
        self.body: Any = None
        self.put: Callable[[], object] = lambda: None
        self.key_sent_elsewhere: list[str] = []

    def answer(self, body: object, data: st.DataObject) -> None:
        """This example's answers: `body`, and `put` drawn from `data` once a PUT asks."""
        self.body = body
        self.put = functools.cache(lambda: data.draw(self.strategy, label="put"))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if KEY in str(request.headers.raw) and request.url.host != "api.example":
            self.key_sent_elsewhere.append(str(request.url))
        chosen = self.put() if request.method == "PUT" else self.body
        try:
            content = json.dumps(chosen).encode()
        except ValueError:  # NaN where JSON has none: still sent, as Python writes it
            content = json.dumps(chosen, allow_nan=True).encode()
        return httpx.Response(200, content=content)


def client_of(provider: str, answers: Answers) -> AvatarClient:
    """A client of `provider` whose network is `answers`, on a clock of its own."""
    client = AvatarClient(
        cast(Provider, provider),
        api_key=KEY,
        transport=httpx.MockTransport(answers),
        max_retries=0,
        poll_interval=0.01,
        base_url="https://api.example",
    )
    return client.use_clock(Clock())


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_any_json_answer_gives_a_result_or_an_avatar_error(provider: str, entry: str) -> None:
    answers = Answers(bodies)
    ran: list[int] = []
    with client_of(provider, answers) as client:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(body=bodies, data=st.data())
        def check(body: object, data: st.DataObject) -> None:
            ran.append(1)
            answers.answer(body, data)
            try:
                ENTRY_POINTS[entry](client)
            except AvatarError as error:
                assert KEY not in str(error) and KEY not in repr(error)
                task = getattr(error, "task", None)
                assert KEY not in repr(task)

        check()
    print(f"\n{provider} {entry}: {len(ran)} examples, each a result or an AvatarError")
    assert len(ran) >= min(EXAMPLES, 100)
    assert answers.key_sent_elsewhere == []


# Answers that hand back URLs to follow, each of them always there: the request asked about
# (or another), a state, and the URLs of its status, result and cancel, its upload and its
# video, each on the API's host or elsewhere; bare or in an envelope.
handing_back = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]),
        "request_id": st.sampled_from(["t1", "t2"]),
        "status_url": answer_urls,
        "response_url": answer_urls,
        "cancel_url": answer_urls,
        "upload_url": answer_urls,
        "file_url": answer_urls,
        "video": st.fixed_dictionaries({"url": answer_urls}),
    }
)
handed_bodies = handing_back | handing_back.map(lambda d: {"code": 200, "msg": "ok", "data": d})


@pytest.mark.parametrize("entry", ["create_task", "get_task", "wait_for_task", "cancel_task"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_urls_an_answer_hands_back_never_take_the_key_elsewhere(provider: str, entry: str) -> None:
    answers = Answers(handed_bodies)
    with client_of(provider, answers) as client:

        @settings(max_examples=EXAMPLES, deadline=None)
        @given(body=handed_bodies, data=st.data())
        def check(body: object, data: st.DataObject) -> None:
            answers.answer(body, data)
            for call in (ENTRY_POINTS[entry], ENTRY_POINTS["get_task"]):
                # The second read follows what the first one kept, if it kept any.
                with contextlib.suppress(AvatarError):
                    call(client)

        check()
    assert answers.key_sent_elsewhere == []
