"""The rules the hostile tests rely on, case by case: URL policy, names, redaction, escapes."""

from __future__ import annotations

import json
import logging

import pytest
from kling_avatar._download import safe_file_name
from kling_avatar._inputs import answer_url_problem
from kling_avatar._redact import BLANK, RedactingFilter, Redactor, printable, redact_url

from .provider import KEY

LOOPBACK = [
    "http://127.0.0.1/v.mp4",
    "http://127.8.9.10/v.mp4",
    "http://2130706433/v.mp4",
    "http://127.1/v.mp4",
    "http://0x7f.0.0.1/v.mp4",
    "http://[::1]/v.mp4",
    "http://[::ffff:127.0.0.1]/v.mp4",
    "http://localhost/v.mp4",
    "http://LOCALHOST./v.mp4",
    "http://api.localhost/v.mp4",
]
NEVER = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1%25eth0]/v.mp4",
    "http://0.0.0.0/v.mp4",
    "http://[::]/v.mp4",
    "http://224.0.0.1/v.mp4",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:video/mp4;base64,AAAA",
    "https://cdn.example/v.mp4\n",
    "https:///v.mp4",
    "",
]
FINE = [
    "https://cdn.example/v.mp4?X-Amz-Signature=a",
    "http://10.1.2.3/v.mp4",
    "https://[2001:db8::1]/v",
]


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_in_every_spelling_needs_a_loopback_base_url(url: str) -> None:
    assert answer_url_problem(url, allow_loopback=False) is not None
    assert answer_url_problem(url, allow_loopback=True) is None


@pytest.mark.parametrize("url", NEVER)
def test_some_urls_never_pass(url: str) -> None:
    assert answer_url_problem(url, allow_loopback=True) is not None


@pytest.mark.parametrize("url", FINE)
def test_public_and_private_http_urls_pass(url: str) -> None:
    assert answer_url_problem(url, allow_loopback=False) is None


@pytest.mark.parametrize(
    ("task_id", "url", "name"),
    [
        ("../../x", "https://a/v.pth", "x.mp4"),
        ("..", "https://a/v.mp4", "video.mp4"),
        ("a/b\\c:d", "https://a/v.WEBM", "a_b_c_d.webm"),
        (".hidden", "https://a/v.mov?x=.exe", "hidden.mov"),
        ("\x1b[31mred\x00", "https://a/v", "31mred.mp4"),
        ("x" * 300, "https://a/v.mkv", "x" * 100 + ".mkv"),
    ],
)
def test_file_names_are_one_safe_component(task_id: str, url: str, name: str) -> None:
    assert safe_file_name(task_id, url) == name


def test_the_key_is_blanked_in_its_escaped_forms_before_any_cut() -> None:
    tricky = KEY + "'\\\""
    redact = Redactor(tricky)
    for text in (tricky, repr(tricky), json.dumps({"k": tricky}), repr({"k": [tricky]})):
        assert tricky not in redact(text) and BLANK in redact(text)
    assert KEY[:20] not in redact.show("z" * 110 + tricky, 120)


def test_presigned_queries_are_blanked_and_plain_ones_kept() -> None:
    assert (
        redact_url("https://s3/x?X-Amz-Signature=abc&X-Amz-Credential=k")
        == "https://s3/x?[redacted]"
    )
    assert redact_url("https://api/x?task_id=t1") == "https://api/x?task_id=t1"


def test_the_log_filter_blanks_presigned_urls_and_escapes(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.hostile.filter")
    caplog.handler.addFilter(RedactingFilter(terminal=True))
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info('HTTP Request: PUT %s "200"', "https://s3/up?signature=SIG123\x1b[2J")
    finally:
        caplog.handler.filters.clear()
    (record,) = caplog.records
    assert "SIG123" not in record.getMessage() and "\x1b" not in record.getMessage()


def test_printable_escapes_controls_and_bidi_but_keeps_letters() -> None:
    assert printable("héllo wörld") == "héllo wörld"
    assert printable("a\x1b[2Jb\x00c\u202ed\n") == "a\\x1b[2Jb\\x00c\\u202ed\\n"
