"""Keeping secrets out of text: the API key, presigned URLs' signatures, terminal escapes.

Everything a provider says may be echoed into a message, a Task field or a log line. The key is
blanked in every form it can take there (raw, and escaped the way `repr` and JSON escape it),
and always *before* any text is cut to length, so that no fragment of it survives a cut.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from urllib.parse import parse_qsl, urlsplit

__all__ = ["BLANK", "RedactingFilter", "Redactor", "cut", "printable", "redact_url", "redact_urls"]

BLANK = "[redacted]"

# Query parameters that make a URL its own credential (S3/GCS/Azure/OSS presigned URLs, CDN
# tokens). A URL carrying any of them has its whole query string blanked in text.
_CREDENTIAL_PARAMS = re.compile(
    r"sig|signature|token|credential|key|auth|policy|security|secret|password", re.IGNORECASE
)
_URL_IN_TEXT = re.compile(r"""(?i)\b(?:https?|wss?)://[^\s'"<>\\]+""")


def redact_url(url: str) -> str:
    """`url` with its query string blanked when a parameter in it is a credential."""
    try:
        parts = urlsplit(url)
        names = [name for name, _ in parse_qsl(parts.query, keep_blank_values=True)]
    except ValueError:
        return BLANK
    if not any(_CREDENTIAL_PARAMS.search(name) for name in names):
        return url
    return parts._replace(query=BLANK, fragment="").geturl()


def redact_urls(text: str) -> str:
    """Every presigned URL in `text` with its query string blanked."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters; to be applied only to text already redacted."""
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


class Redactor:
    """Blanks one secret (and presigned URLs' queries) in provider-supplied text."""

    def __init__(self, secret: str = "") -> None:
        forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]} if secret else set()
        # Longest first, so that an escaped form is not half-replaced by a shorter one.
        self._forms = sorted((f for f in forms if f), key=len, reverse=True)

    def finds(self, text: str) -> bool:
        """True when `text` carries the secret in any of its forms."""
        return any(form in text for form in self._forms)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, BLANK)
        return redact_urls(text)

    def show(self, value: object, limit: int = 120) -> str:
        """`repr(value)` blanked, then cut: what a message may quote of a provider's value."""
        try:
            text = repr(value)
        except (RecursionError, ValueError):  # a deep structure; a huge int's str
            text = f"<{type(value).__name__}>"
        return cut(self(text), limit)


# Control characters (C0, DEL, C1) and the invisible format characters that reorder or hide
# text (bidi overrides, zero-width joiners): what a hostile string uses to rewrite a terminal.
def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def printable(text: str) -> str:
    """`text` with every control or format character shown as an escape (`\\x1b`), never raw."""
    if text.isprintable():
        return text
    return "".join(
        char if not _unsafe(char) else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


class RedactingFilter(logging.Filter):
    """A logging filter that blanks presigned URLs' query strings (and `secrets`) in records.

    httpx logs every request URL at INFO; a presigned upload URL carries its signature in the
    query. Add it to a handler (the CLI's `--debug` does) to keep those out of a log.
    """

    def __init__(self, *secrets: str, terminal: bool = False) -> None:
        super().__init__()
        self._redactors = [Redactor(s) for s in secrets] or [Redactor()]
        self._terminal = terminal  # also escape control characters, for a log on a terminal

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = message
        for redact in self._redactors:
            clean = redact(clean)
        if self._terminal:
            clean = printable(clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True
