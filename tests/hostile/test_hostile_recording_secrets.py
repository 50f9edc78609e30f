"""No secret in a traffic recording, a log or an error, in any encoding (issue 21, item 4).

A hostile provider on a real socket echoes the key in every form a text can carry it (raw,
JSON-escaped, `\\/`-escaped, percent-encoded in either hex case, base64, in a body that is not
UTF-8, in a gzip body, in headers, across the recorder's cut) and hands out presigned URLs of
each storage vendor, written JSON-escaped (`https:\\/\\/...\\u0026X-Tos-Signature=`). The
recording, the `kling_avatar` log, `--debug`'s output and every error are then searched for
each encoding of each secret, base64 included (and inside every base64 body once decoded).
The oracle (`encodings`) is written here, independently of the redactor it judges.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, quote_plus

import pytest
from command import run_in_process
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from kling_avatar import (
    AsyncAvatarClient,
    AvatarClient,
    AvatarError,
    DownloadError,
    InvalidRequestError,
    Provider,
    Task,
    TaskState,
)
from kling_avatar._redact import Redactor

from .provider import VIDEO, asked_id, created, routes, task_data
from .server import HostileServer, Request, Script, answer, head

MEDIA = Path(__file__).resolve().parents[2] / "examples" / "media"
# A key a header can carry, with every character an escape changes: / for `\/`, " and \ for
# JSON and repr, + = & % for percent-encoding.
KEY = 'sk-Hostile/Key+0123456789=abc&def"ghi\\jkl%mno'
# Each vendor's presigned query; every value named here is a secret.
VENDOR_SECRETS = {
    "aws": ["AKIAZQ7EXAMPLE", "TOKawsZq7", "SIGawsZq7"],
    "gcs": ["CREDgcsZq7", "SIGgcsZq7"],
    "tos": ["CREDtosZq7", "TOKtosZq7", "SIGtosZq7"],
    "cos": ["AKcosZq7", "SIGcosZq7"],
    "oss": ["AKossZq7", "SIGossZq7", "TOKossZq7"],
    "cloudfront": ["POLcfZq7", "SIGcfZq7", "KPcfZq7"],
    "azure": ["SIGazZq7"],
}
PRESIGNED = {
    "aws": "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAZQ7EXAMPLE%2F20260101"
    "&X-Amz-Security-Token=TOKawsZq7&X-Amz-Expires=60&X-Amz-Signature=SIGawsZq7",
    "gcs": "X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=CREDgcsZq7"
    "&X-Goog-Expires=60&X-Goog-Signature=SIGgcsZq7",
    "tos": "X-Tos-Algorithm=TOS4-HMAC-SHA256&X-Tos-Credential=CREDtosZq7"
    "&X-Tos-Security-Token=TOKtosZq7&X-Tos-Signature=SIGtosZq7",
    "cos": "q-sign-algorithm=sha1&q-ak=AKcosZq7&q-sign-time=1700000000&q-signature=SIGcosZq7",
    "oss": "OSSAccessKeyId=AKossZq7&Expires=1700000000&Signature=SIGossZq7"
    "&security-token=TOKossZq7",
    "cloudfront": "Expires=1700000000&Policy=POLcfZq7&Signature=SIGcfZq7&Key-Pair-Id=KPcfZq7",
    "azure": "sv=2024-01-01&se=2026-01-01&sr=b&sp=r&sig=SIGazZq7",
}
SECRETS = [KEY, *(s for values in VENDOR_SECRETS.values() for s in values)]


def encodings(secret: str) -> set[str]:
    """Every encoding of `secret` searched for: raw; as repr and JSON escape it (also with
    `\\/`); percent-encoded (upper and lower hex, `+` for space); base64 (both alphabets, with
    and without padding); its UTF-8 bytes read as Latin-1."""
    data = secret.encode("utf-8", "surrogatepass")
    js = json.dumps(secret)[1:-1]
    percent = quote(secret, safe="")
    forms = {
        secret,
        repr(secret)[1:-1],
        js,
        json.dumps(secret, ensure_ascii=False)[1:-1],
        js.replace("/", "\\/"),
        percent,
        lower_hex(percent),
        quote(secret),
        quote_plus(secret),
        data.decode("latin-1"),
    }
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
    return {form for form in forms if form}


def lower_hex(percent_encoded: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), percent_encoded)


def found(text: str, secrets: Iterable[str] = SECRETS) -> list[str]:
    """The encodings of `secrets` that `text` holds."""
    return sorted({form for s in secrets for form in encodings(s) if form in text})


def found_in_recording(path: Path) -> list[str]:
    """The encodings of the secrets in the file, and in each base64 body once decoded."""
    text = path.read_text(encoding="utf-8")
    hits = found(text)
    for line in text.splitlines():
        entry = json.loads(line)
        for part in (entry["request"], entry["response"] or {}):
            if "body_base64" in part:
                hits += found(base64.b64decode(part["body_base64"]).decode("latin-1"))
    return hits


# --- the hostile provider -------------------------------------------------------------------


def escaped(url: str) -> str:
    """`url` as a JSON encoder that escapes `/` and `&` writes it (PHP's; Go's for `&`)."""
    return url.replace("/", "\\/").replace("&", "\\u0026")


def every_echo() -> str:
    """The key in every encoding, and each vendor's presigned URL JSON-escaped, as one text."""
    forms = sorted(encodings(KEY))
    urls = [escaped(f"https://store.example/v.mp4?{query}") for query in PRESIGNED.values()]
    return " | ".join([*forms, *urls])


def echo_answers(base: str) -> dict[str, bytes]:
    """Answers to a status read, by the task id asked: each an echo of the secrets."""
    key_js = json.dumps(KEY)[1:-1]
    text = every_echo()
    pad = "x" * (PAD - len('{"msg": "') - 10)  # the key starts 10 bytes before the cut
    return {
        "plain": head(401, {"Content-Type": "text/plain"}, len(KEY)) + KEY.encode(),
        "json": answer({"code": 401, "msg": f"invalid key {KEY}"}),
        "slash": answer(
            ('{"code": 401, "msg": "key ' + key_js.replace("/", "\\/") + '"}').encode()
        ),
        "percent": answer({"code": 401, "msg": f"key={quote(KEY, safe='')}"}),
        "percent-lower": answer({"code": 401, "msg": f"key={lower_hex(quote(KEY, safe=''))}"}),
        "base64": answer({"code": 401, "msg": base64.b64encode(b"u:" + KEY.encode()).decode()}),
        "everything": answer(('{"code": 500, "msg": ' + json.dumps(text) + "}").encode()),
        "not-utf8": head(500, {"Content-Type": "text/plain"}, None)
        + b"\xff\xfe\x80 "
        + text.encode("utf-8")
        + b" \xc3(",
        "gzip": _gzipped(json.dumps({"code": 401, "msg": text}).encode()),
        "header": head(
            401,
            {
                "Content-Type": "application/json",
                "X-Echo": KEY,
                "Location": f"{base}/x?{PRESIGNED['tos']}",
            },
            2,
        )
        + b"{}",
        # The key across the recorder's cut, as text and in a body that is not UTF-8.
        "cut": answer(f'{{"msg": "{pad}{key_js}", "more": "{"y" * 64}"}}'.encode()),
        "cut-binary": head(500, {}, None) + b"\xff" * (PAD - 10) + KEY.encode() + b"\xfe" * 64,
    }


PAD = 2048  # the recorder's max_body in these tests


def _gzipped(body: bytes) -> bytes:
    packed = gzip.compress(body)
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    return head(200, headers, len(packed)) + packed


def hostile(provider: str) -> HostileServer:
    """A provider that echoes the secrets (`echo_answers`) and whose task `presigned-<vendor>`
    succeeded with a video at a presigned URL of that vendor, written JSON-escaped."""

    def status(request: Request) -> Script:
        base = f"http://{request.headers['host']}"
        asked = asked_id(provider, request)
        if asked.startswith("presigned-"):
            url = f"{base}/v/{asked}.mp4?{PRESIGNED[asked.removeprefix('presigned-')]}"
            data = task_data(provider, asked, urls=[url])
            body = json.dumps({"code": 200, "msg": "success", "data": data})
            return [answer(body.replace(url, escaped(url)).encode())]
        return [echo_answers(base).get(asked, answer({"code": 404, "msg": "no"}, 404))]

    def upload(request: Request) -> Script:
        base = f"http://{request.headers['host']}"
        if provider == "apikley":
            data = {"downloadUrl": f"{base}/files/p.png?{PRESIGNED['oss']}", "fileName": "p.png"}
            body = json.dumps({"success": True, "code": 200, "msg": "ok", "data": data})
            return [answer(body.encode())]
        put = f"{base}/put?{PRESIGNED['cos']}&{PRESIGNED['cloudfront']}"
        data = {"presigned_url": put, "file_url": f"{base}/files/p.png"}
        body = json.dumps({"code": 200, "msg": "ok", "data": data})
        return [answer(body.replace(put, escaped(put)).encode())]

    def other(request: Request) -> Script:
        body = b"" if request.method == "PUT" else VIDEO
        return [head(200, {"Content-Type": "video/mp4"}, len(body)) + body]

    return HostileServer(
        routes(
            provider,
            status=status,
            create=lambda r: [created(provider, "t1")],
            upload=upload,
            other=other,
        )
    )


def session(client: Any, folder: Path, provider: str) -> list[object]:
    """Everything a caller may show: errors (str, repr, args) and tasks (repr), after reading
    each echo, each presigned task (downloading its video) and an upload."""
    shown: list[object] = []

    def attempt(run: Callable[[], object]) -> object:
        try:
            result = run()
        except AvatarError as exc:
            shown.extend([str(exc), repr(exc), str(exc.args)])
            return None
        if isinstance(result, Task):  # an upload's URL is the caller's to use, signed
            shown.append(repr(result))
        return result

    for asked in echo_answers("http://h"):
        attempt(functools.partial(client.get_task, asked))
    for vendor in PRESIGNED:
        task = attempt(functools.partial(client.get_task, f"presigned-{vendor}"))
        assert task is not None, shown[-1]
        attempt(functools.partial(client.download, task, folder / f"{vendor}.mp4"))
    attempt(functools.partial(client.upload_file, MEDIA / "portrait.png"))
    return shown


async def async_session(client: Any, folder: Path, provider: str) -> list[object]:
    """`session` for the async client: each coroutine is awaited where `session` calls."""
    loop = asyncio.get_running_loop()

    class Blocking:
        def __getattr__(self, name: str) -> Callable[..., object]:
            method = getattr(client, name)

            def call(*args: object, **kw: object) -> object:
                return asyncio.run_coroutine_threadsafe(method(*args, **kw), loop).result(30)

            return call

    return await asyncio.to_thread(session, Blocking(), folder, provider)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_no_secret_in_the_recording_the_log_or_any_error(
    provider: str, mode: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from kling_avatar._traffic import TrafficRecorder

    caplog.set_level(logging.DEBUG)
    recording = tmp_path / "traffic.jsonl"
    recorder = TrafficRecorder(recording, max_body=PAD)
    options: dict[str, Any] = {"max_retries": 0, "api_key": KEY, "record_traffic": recorder}
    with hostile(provider) as server:
        options["base_url"] = server.url
        if mode == "sync":
            with AvatarClient(cast(Provider, provider), **options) as client:
                shown = session(client, tmp_path, provider)
        else:

            async def run() -> list[object]:
                async with AsyncAvatarClient(cast(Provider, provider), **options) as client:
                    return await async_session(client, tmp_path, provider)

            shown = asyncio.run(run())
        assert not server.errors
        puts = [r for r in server.requests if r.method in ("PUT", "POST") and r.body]

    entries = [json.loads(line) for line in recording.read_text().splitlines()]
    urls = [e["request"]["url"] for e in entries]
    # Everything happened and was recorded: each echo, each presigned download, the upload...
    assert len(entries) >= len(echo_answers("h")) + 2 * len(PRESIGNED) + 1
    assert all((tmp_path / f"{vendor}.mp4").read_bytes() == VIDEO for vendor in PRESIGNED)
    assert puts  # the upload's bytes were sent
    assert any("body_base64" in (e["response"] or {}) for e in entries)  # a binary answer
    # ... and no secret anywhere, in any encoding, base64 bodies decoded ...
    assert found_in_recording(recording) == []
    # ... the presigned URLs recorded as valid URLs, names kept, values blanked.
    assert any("X-Tos-Signature=REDACTED" in url for url in urls)
    assert any("Key-Pair-Id=REDACTED" in url for url in urls)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("kling_avatar")]
    assert found("\n".join(logged)) == []
    assert found("\n".join(map(str, shown))) == []


def test_a_key_crossing_the_cut_is_blanked_whole(tmp_path: Path) -> None:
    from kling_avatar._traffic import TrafficRecorder

    recording = tmp_path / "traffic.jsonl"
    with hostile("crun") as server:
        recorder = TrafficRecorder(recording, max_body=PAD)
        with AvatarClient(
            "crun", api_key=KEY, base_url=server.url, max_retries=0, record_traffic=recorder
        ) as client:
            for asked in ("cut", "cut-binary"):
                with pytest.raises(AvatarError):
                    client.get_task(asked)
    text_entry, binary_entry = (
        json.loads(line)["response"] for line in recording.read_text().splitlines()
    )
    assert text_entry["truncated"] and len(text_entry["body"].encode()) <= PAD
    assert binary_entry["truncated"] and len(base64.b64decode(binary_entry["body_base64"])) <= PAD
    # No piece of the key of 6 characters or more reached the file.
    text = text_entry["body"] + base64.b64decode(binary_entry["body_base64"]).decode("latin-1")
    assert not any(KEY[i : i + 6] in text for i in range(len(KEY) - 5))


# --- credentials in a base URL --------------------------------------------------------------

USER, PASSWORD = "alice-Zq7user", "pa55-Zq7word"
WITH_USERINFO = [
    f"http://{USER}:{PASSWORD}@127.0.0.1:{{port}}",
    f"https://{USER}:{PASSWORD}@api.example/",
    f"http://{PASSWORD}@127.0.0.1:{{port}}/api",
    f"http://{USER}:{PASSWORD}@[::1",  # not even a valid URL: refused before it is quoted
    f"{USER}:{PASSWORD}@api.example",
]


def _no_credentials(texts: Iterable[str]) -> None:
    for text in texts:
        assert USER not in text and PASSWORD not in text, text
        assert found(text, [PASSWORD]) == []


@pytest.mark.parametrize("url", WITH_USERINFO)
@pytest.mark.parametrize("provider", ["crun", "apikley"])
def test_a_base_url_with_credentials_is_refused_unquoted(provider: str, url: str) -> None:
    with HostileServer(lambda r: [answer({"code": 200, "data": 1})]) as server:
        url = url.format(port=server.port)
        errors: list[InvalidRequestError] = []
        with pytest.raises(InvalidRequestError) as sync:
            AvatarClient(cast(Provider, provider), api_key=KEY, base_url=url)
        errors.append(sync.value)

        async def build() -> None:
            AsyncAvatarClient(cast(Provider, provider), api_key=KEY, base_url=url)

        with pytest.raises(InvalidRequestError) as asynchronous:
            asyncio.run(build())
        errors.append(asynchronous.value)
        assert server.requests == []  # nothing sent (httpx would have sent them as Basic auth)
    for error in errors:
        assert error.field == "base_url" and "credentials" in str(error)
    _no_credentials([str(e) for e in errors] + [repr(e) for e in errors])


def test_a_base_url_with_credentials_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APIKLEY_BASE_URL", f"https://{USER}:{PASSWORD}@api.example")
    with pytest.raises(InvalidRequestError, match="APIKLEY_BASE_URL") as caught:
        AvatarClient("apikley", api_key=KEY)
    _no_credentials([str(caught.value), repr(caught.value)])


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command with `env`: its `main` in this process (a process of its own with `--debug`,
    which configures the process's root logger)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRUN_", "APIKLEY_"))}
    if "--debug" not in args:
        status, stdout, stderr = run_in_process(list(args), {**clean, **env})
        return subprocess.CompletedProcess(list(args), status, stdout, stderr)
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "kling_avatar", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_the_cli_refuses_a_base_url_with_credentials_unquoted(debug: list[str]) -> None:
    with HostileServer(lambda r: [answer({"code": 200, "data": 1})]) as server:
        base = f"http://{USER}:{PASSWORD}@127.0.0.1:{server.port}"
        run = _cli(
            {"CRUN_API_KEY": KEY, "CRUN_BASE_URL": base}, "credits", "--provider", "crun", *debug
        )
        assert server.requests == []
    assert run.returncode != 0 and "credentials" in run.stderr, run.stderr
    _no_credentials([run.stdout, run.stderr])
    assert found(run.stdout + run.stderr, [KEY]) == []


# --- --debug's output -----------------------------------------------------------------------


def test_debug_output_holds_no_secret_in_any_encoding() -> None:
    """A generation against a crun that uploads to a presigned URL, hands out a presigned video
    and fails echoing every secret in every encoding: `--debug` logs each request, the
    traceback and the message, and none of it shows a secret."""

    def status(request: Request) -> Script:
        base = f"http://{request.headers['host']}"
        data = task_data(
            "crun", "t1", "failed", message=every_echo(), urls=[f"{base}/v.mp4?{PRESIGNED['gcs']}"]
        )
        body = json.dumps({"code": 200, "msg": "success", "data": data})
        return [answer(body.encode())]

    def upload(request: Request) -> Script:
        base = f"http://{request.headers['host']}"
        put = f"{base}/put?{PRESIGNED['tos']}&{PRESIGNED['aws']}"
        body = json.dumps(
            {"code": 200, "msg": "ok", "data": {"presigned_url": put, "file_url": f"{base}/f.png"}}
        )
        return [answer(body.replace(put, escaped(put)).encode())]

    def other(request: Request) -> Script:
        return [head(200, {"X-Echo": KEY}, 0)]

    server = HostileServer(
        routes(
            "crun",
            status=status,
            create=lambda r: [created("crun", "t1")],
            upload=upload,
            other=other,
        )
    )
    with server:
        run = _cli(
            {"CRUN_API_KEY": KEY, "CRUN_BASE_URL": server.url},
            "generate",
            "--provider",
            "crun",
            "--debug",
            "--image",
            str(MEDIA / "portrait.png"),
            "--audio",
            "https://media.example/v.wav",
        )
        puts = [r for r in server.requests if r.method == "PUT"]
    output = run.stdout + run.stderr
    assert run.returncode == 10, output  # the generation failed, as the provider said
    assert puts and "HTTP Request: PUT" in output  # the debug log is on, the PUT logged ...
    assert "Traceback" in output  # ... the traceback printed ...
    assert found(output) == []  # ... and no secret in any encoding


# --- the rule itself, over arbitrary keys and text ------------------------------------------


def _wrapped(form: str, before: str, after: str) -> list[str]:
    return [before + form + after, f"{before}{form}{form}{after}", f"{before}{form} {after}{form}"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.text(min_size=4, max_size=40), before=st.text(max_size=30), after=st.text(max_size=30)
)
def test_the_redactor_leaves_no_encoding_of_any_key(key: str, before: str, after: str) -> None:
    redact = Redactor(key)
    # A key that is part of the marker itself cannot be told from it.
    assume(not any(form in "[redacted] REDACTED" for form in encodings(key)))
    for form in sorted(encodings(key)):
        for text in _wrapped(form, before, after):
            clean = redact(text)
            assert found(clean, [key]) == [], (form, text, clean)
    # Base64 of any text holding the key, whatever the key's alignment in it.
    for pad in ("", "a", "ab"):
        packed = base64.b64encode((pad + before + key + after).encode("utf-8", "surrogatepass"))
        assert found(redact(packed.decode()), [key]) == []
        # Five bytes hold a whole base64 group of the key's own bytes at any alignment.
        assert redact.finds(packed.decode()) or len(key.encode("utf-8", "surrogatepass")) < 5
    # Bytes that are not UTF-8 around the key's UTF-8 bytes.
    data = (
        b"\xff"
        + before.encode("utf-8", "surrogatepass")
        + key.encode("utf-8", "surrogatepass")
        + b"\x80"
    )
    assert found(redact.data(data).decode("latin-1"), [key]) == []


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_apikley_presigned_video_urls_keep_their_signature(mode: str) -> None:
    """The URLs in `resultJson` are the caller's to fetch: blanking their query (as a message
    would) leaves a URL that cannot be downloaded."""
    with hostile("apikley") as server:
        options: dict[str, Any] = {"max_retries": 0, "api_key": KEY, "base_url": server.url}
        if mode == "sync":
            with AvatarClient("apikley", **options) as client:
                task = client.get_task("presigned-cloudfront")
        else:

            async def run() -> Task:
                async with AsyncAvatarClient("apikley", **options) as client:
                    return await client.get_task("presigned-cloudfront")

            task = asyncio.run(run())
    assert task.video_urls == [f"{server.url}/v/presigned-cloudfront.mp4?{PRESIGNED['cloudfront']}"]
    assert "SIGcfZq7" not in repr(task)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_download_redirect_carrying_the_key_is_refused_unquoted(
    mode: str, tmp_path: Path
) -> None:
    """The video host redirects to a URL holding the key percent-encoded: the client does not
    follow it (the key would go to whoever that host is), and the error does not show it."""

    def route(request: Request) -> Script:
        if request.path == "/v.mp4":
            target = f"http://{request.headers['host']}/next?k={quote(KEY, safe='')}"
            return [head(302, {"Location": target}, 0)]
        return [head(200, {"Content-Type": "video/mp4"}, len(VIDEO)) + VIDEO]

    with HostileServer(route) as server:
        task = Task(
            id="t1",
            provider="crun",
            state=TaskState.SUCCEEDED,
            provider_state="success",
            video_urls=[f"{server.url}/v.mp4"],
        )
        options: dict[str, Any] = {"max_retries": 0, "api_key": KEY, "base_url": server.url}
        target = tmp_path / "v.mp4"
        with pytest.raises(DownloadError) as caught:
            if mode == "sync":
                with AvatarClient("crun", **options) as client:
                    client.download(task, target)
            else:

                async def run() -> None:
                    async with AsyncAvatarClient("crun", **options) as client:
                        await client.download(task, target)

                asyncio.run(run())
        assert [r.path for r in server.requests] == ["/v.mp4"]  # the redirect not followed
    assert "API key" in str(caught.value) and not target.exists()
    assert found(str(caught.value) + repr(caught.value), [KEY]) == []
