"""What is secret, and blanking it: the one rule of the package for keys and presigned URLs.

Everything a provider says may be echoed into a message, a Task field, a log line or a traffic
recording. This module owns the rule every one of those writers calls:

- the API key, in every form a text can carry it: raw; escaped the way `repr`, JSON (``\\/``,
  ``\\u00XX`` and surrogate pairs included) and HTML escape it; percent-encoded (either hex case,
  also twice); its UTF-8 bytes read as Latin-1 (a body that is not UTF-8); and base64 (standard
  and URL-safe alphabets, at any of the three byte alignments it can have inside a longer
  base64 text). Escapes may mix within one echo, and repeat (an escaped escape);
- presigned URLs: a query parameter named like a credential (`is_secret_param`: AWS's, Google's,
  Volcengine TOS's ``X-Tos-Signature``, Tencent COS's ``q-signature`` and ``q-ak``, Aliyun
  OSS's ``Signature`` and ``security-token``, CloudFront's ``Policy``, ``Signature`` and
  ``Key-Pair-Id``, Azure's ``sig``, any ``token``/``key``/``auth``...) blanks the URL's query,
  also in a URL written JSON-escaped (``https:\\/\\/...\\u0026X-Amz-Signature=``) or
  percent-encoded inside another; credentials in a URL (``user:pass@``) are blanked too;
- headers that carry a credential (`is_secret_header`).

The key is blanked *before* any text is cut to length, so that no fragment of it survives a
cut. Two markers, one rule: messages show ``[redacted]``; a recording keeps each URL a valid URL
(``name=REDACTED``), so it still validates against the specs.
"""

from __future__ import annotations

import base64
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Literal
from urllib.parse import unquote, urlsplit

__all__ = [
    "BLANK",
    "URL_BLANK",
    "RedactingFilter",
    "Redactor",
    "cut",
    "has_userinfo",
    "is_secret_header",
    "is_secret_param",
    "printable",
    "redact_url",
    "redact_urls",
]

BLANK = "[redacted]"
# In a URL the marker must keep it a valid URL (a recording is validated against the specs).
URL_BLANK = "REDACTED"
Style = Literal["message", "recording"]

# Words that make a query parameter (or a header) a credential. Matched anywhere in the name and
# in any case, not against a list of exact names: a vendor's new spelling (`X-Tos-Signature`,
# `q-signature`, `security-token`, CloudFront's `Policy` and `Key-Pair-Id`) is caught unnamed.
_CREDENTIAL_WORDS = (
    r"sig|token|credential|key|auth|policy|secret|passw|security|session|access|"
    r"(?:^|[-_.])ak$"  # Tencent COS's q-ak: the access key id
)
_SECRET_NAME = re.compile(_CREDENTIAL_WORDS, re.IGNORECASE)
_SECRET_HEADERS = frozenset({"cookie", "set-cookie"})


def is_secret_param(name: str) -> bool:
    """True when a query parameter so named makes its URL a credential."""
    return _SECRET_NAME.search(name) is not None


def is_secret_header(name: str) -> bool:
    """True when a header so named carries a credential (`Authorization`, `X-Api-Key`, ...)."""
    return name.lower() in _SECRET_HEADERS or _SECRET_NAME.search(name) is not None


# A URL's authority holding an "@": user info, whatever the rest of the URL looks like (a
# malformed URL included, so that it is refused before any message could quote it).
_USERINFO = re.compile(r"^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?[/\\]*[^/\\?#]*@")


def has_userinfo(url: str) -> bool:
    """True when `url` carries credentials (``user:pass@host``) in its authority."""
    return _USERINFO.match(url) is not None


# --- the key's encodings ---------------------------------------------------------------------


def _hex(number: int, width: int) -> str:
    """`number` in hex as a pattern that reads either case."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in format(number, f"0{width}x"))


# One backslash, or more where an escape was escaped again. Possessive (as every repetition
# here that text can make long): a run of backslashes must not be retried at every position.
_ESCAPE = r"\\++"
_NAMED_ESCAPES = {"\n": "n", "\t": "t", "\r": "r", "\b": "b", "\f": "f"}


def _character(char: str, first: bool = False) -> str:
    """A pattern for `char` in any of the encodings a text can carry it in. As the `first` of a
    secret, an escape may not start inside a run of backslashes nor a percent-encoding inside a
    run of "%25": such a run is read once from its start, not again from each of its characters
    (which would cost time quadratic in the run's length)."""
    code = ord(char)
    data = char.encode("utf-8", "surrogatepass")
    # Each look-behind is checked once its backslash or "%" is read, not before: one leading a
    # branch is checked at every position of every text searched (three times the time of the
    # whole search over a URL).
    escape = r"\\(?<!\\\\)\\*+" if first else _ESCAPE
    percent = r"%(?<!%25%)" if first else "%"
    forms = [re.escape(char)]
    if code >= 0x80:  # its UTF-8 bytes read as Latin-1: a body that is not UTF-8
        forms.append(re.escape(data.decode("latin-1")))
    if char == "\\":  # escaped up to three times; bounded, as possessive would eat the next
        forms.append(r"\\{2,8}")
    elif char in "'\"/":
        forms.append(escape + re.escape(char))
    if char in _NAMED_ESCAPES:
        forms.append(escape + _NAMED_ESCAPES[char])
    if code < 0x100:
        forms.append(escape + "x" + _hex(code, 2))
    if code < 0x10000:
        forms.append(escape + "u" + _hex(code, 4))
    else:  # JSON writes an astral character as a surrogate pair
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms.append(escape + "u" + _hex(high, 4) + _ESCAPE + "u" + _hex(low, 4))
    forms.append(escape + "U" + _hex(code, 8))
    forms.append(percent + "".join("(?:25)*" + _hex(byte, 2) + "%" for byte in data)[:-1])
    if char == " ":
        forms.append(r"\+")
    forms.append(f"&#0*{code};")
    forms.append("&#[xX]0*" + _hex(code, 1) + ";")
    return "(?:" + "|".join(forms) + ")"


def _base64_forms(secret: str) -> set[str]:
    """The key base64-encoded whole, and the part of it that any longer base64 text holding it
    shows whatever its byte alignment there (the characters made of the key's bytes alone)."""
    data = secret.encode("utf-8", "surrogatepass")
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for start in range(3):
            aligned = data[start : start + 3 * ((len(data) - start) // 3)]
            if aligned:
                forms.add(encode(aligned).decode("ascii"))
    return {form for form in forms if form}


def _secret_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    literals: set[str] = set()
    escaped: list[str] = []
    for secret in secrets:
        escaped.append("".join(_character(c, first=i == 0) for i, c in enumerate(secret)))
        literals |= _base64_forms(secret)
    if not escaped:
        return None
    # Longest first: an alternation takes the first branch that matches.
    ordered = sorted(literals, key=len, reverse=True)
    return re.compile("|".join([*escaped, *(re.escape(form) for form in ordered)]))


# --- presigned URLs --------------------------------------------------------------------------

# A URL in text, also written JSON-escaped (`https:\/\/h\/p?a=1\u0026sig=x`): the escapes that
# may stand for a URL's own separators are read as part of it.
_URL_ESCAPE = r"\\++(?:/|u00(?:2[6fF]|3[dDfF]|23|25))"
_URL_IN_TEXT = re.compile(
    r"""(?i)\b(?:https?|wss?|ftp):(?:\\*/){2}(?:""" + _URL_ESCAPE + r"""|[^\s'"<>\\`])+"""
)
_UNESCAPE = re.compile(r"\\++(/|u00[0-9a-fA-F]{2})")
# A credential parameter anywhere in text, outside a whole URL: a relative URL, a URL
# percent-encoded inside another, a form body. Found by its head (separator, whole name, "="),
# the name judged by `is_secret_param`; its value, where a parameter's would end, is then
# blanked. Heads only, so that a plain parameter's value cannot hide a nested one
# (`next=...%3Fsig%3D...`); the name is taken whole, possessively: a pattern that looked for
# the word inside it would retry every split of a long word (quadratic time).
_PARAM_HEAD = re.compile(
    r"(?i)(?:^|[?&;,\s]|(?<!\\)\\++u00(?:26|3f)|(?<!%25)%(?:25)*+(?:26|3f))"  # a separator
    r"([\w.~-]++)"  # the name
    r"(?:=|%(?:25)*+3d|\\++u003d)"
)
_PARAM_VALUE = re.compile(r"(?i)(?:\\++(?:/|u00(?:2f|3d|2b))|%[0-9a-f]{2}|[^&\s\"'<>\\#,;%])++")


def _unescaped(url: str) -> str:
    return _UNESCAPE.sub(lambda m: "/" if m.group(1) == "/" else chr(int(m.group(1)[1:], 16)), url)


def _blank_pairs(text: str) -> str:
    """`a=1&b=2` with every value blanked, the names kept (the URL stays a valid URL)."""
    return re.sub(r"=[^&;]*", "=" + URL_BLANK, text)


def _redacted_url(url: str, style: Style) -> str | None:
    """`url` (unescaped) with its credentials blanked; None when it carries none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return BLANK if style == "message" else URL_BLANK
    changed = False
    if "@" in parts.netloc:
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{BLANK if style == 'message' else URL_BLANK}@{host}")
        changed = True
    for field in ("query", "fragment"):
        value: str = getattr(parts, field)
        names = [unquote(pair.partition("=")[0]) for pair in re.split(r"[&;]", value)]
        if any(is_secret_param(name) for name in names if name):
            changed = True
            if style == "message":  # the whole query: its other values may identify the key
                parts = parts._replace(query=BLANK, fragment="")
                break
            parts = parts._replace(**{field: _blank_pairs(value)})
    return parts.geturl() if changed else None


def _blank_urls(text: str, style: Style) -> str:
    if ":" not in text or "/" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        found = match.group(0)
        clean = _redacted_url(_unescaped(found), style)
        return found if clean is None else clean

    return _URL_IN_TEXT.sub(one, text)


def _blank_params(text: str, style: Style) -> str:
    if "=" not in text and "%" not in text and "\\" not in text:
        return text
    marker = BLANK if style == "message" else URL_BLANK
    parts: list[str] = []
    done = 0
    for head in _PARAM_HEAD.finditer(text):
        if head.start() < done or not is_secret_param(head.group(1)):
            continue
        value = _PARAM_VALUE.match(text, head.end())
        if value is not None:
            parts += [text[done : head.end()], marker]
            done = value.end()
    return "".join([*parts, text[done:]]) if parts else text


def redact_url(url: str) -> str:
    """`url` with its query string blanked when a parameter in it is a credential, and any
    ``user:pass@`` blanked."""
    clean = _redacted_url(url, "message")
    return url if clean is None else clean


def redact_urls(text: str) -> str:
    """Every presigned URL in `text` with its query string blanked."""
    return _URLS_ONLY(text)


def shown(value: object, limit: int = 120) -> str:
    """What a message may quote of a caller's value: `repr`, credentials in URLs blanked, cut."""
    return _URLS_ONLY.show(value, limit)


def cut(text: str, limit: int) -> str:
    """At most `limit` characters; to be applied only to text already redacted."""
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


# How many short texts (of at most this many characters) a Redactor keeps blanked.
_KNOWN_TEXTS = 256
_KNOWN_LENGTH = 200


class Redactor:
    """Blanks the given secrets, in every encoding, and presigned URLs' credentials in text.

    `style` picks the marker only: ``"message"`` shows ``[redacted]`` and drops a presigned
    URL's whole query; ``"recording"`` keeps every URL a valid URL (``name=REDACTED``).
    """

    def __init__(self, *secrets: str, style: Style = "message") -> None:
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self.style: Style = style
        self._pattern = _secret_pattern(self.secrets)
        # How far past a cut a match may reach: the recorder keeps this much beyond its limit,
        # redacts, and only then cuts. Each character's longest form with slack for escapes
        # escaped again, and room for a presigned URL to be seen whole.
        self.reach = 32 * max((len(s) for s in self.secrets), default=0) + 4096
        # Short texts blanked already: a task's id comes again in every answer about it.
        self._known: dict[str, str] = {}

    def __repr__(self) -> str:  # the secrets stay out of it
        return f"Redactor({len(self.secrets)} secrets, style={self.style!r})"

    def finds(self, text: str) -> bool:
        """True when `text` carries a secret in any of its encodings."""
        return self._pattern is not None and self._pattern.search(text) is not None

    def __call__(self, text: str) -> str:
        known = self._known.get(text)
        if known is not None:
            return known
        given = text
        if self._pattern is not None:
            # Again while a blank made a new match (a secret that ends where the marker begins).
            for _ in range(4):
                text, count = self._pattern.subn(BLANK, text)
                if not count or not self._pattern.search(text):
                    break
        text = _blank_params(_blank_urls(text, self.style), self.style)
        if len(given) <= _KNOWN_LENGTH:
            if len(self._known) >= _KNOWN_TEXTS:
                self._known.clear()
            self._known[given] = text
        return text

    def data(self, data: bytes) -> bytes:
        """`data` (any bytes, not UTF-8 say) with the secrets blanked, other bytes unchanged."""
        return self(data.decode("latin-1")).encode("latin-1", "replace")

    def header(self, name: str, value: str) -> str:
        """A header's value as it may be shown: a credential header's blanked (its scheme
        kept: ``Bearer [redacted]`` still says what was sent), any other redacted."""
        if not is_secret_header(name):
            return self(value)
        scheme, space, _ = value.partition(" ")
        return f"{scheme} {BLANK}" if space and scheme.isalpha() else BLANK

    def show(self, value: object, limit: int = 120) -> str:
        """`repr(value)` blanked, then cut: what a message may quote of a provider's value."""
        try:
            text = repr(value)
        except (RecursionError, ValueError):  # a deep structure; a huge int's str
            text = f"<{type(value).__name__}>"
        return cut(self(text), limit)


_URLS_ONLY = Redactor()  # no key known: credentials in URLs only


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
    """A logging filter that blanks `secrets` (in every encoding) and presigned URLs' query
    strings in records.

    httpx logs every request URL at INFO; a presigned upload URL carries its signature in the
    query. Add it to a handler (the CLI's `--debug` does, with the keys it was given) to keep
    those out of a log.
    """

    def __init__(self, *secrets: str, terminal: bool = False) -> None:
        super().__init__()
        self._redact: Callable[[str], str] = Redactor(*secrets)
        self._terminal = terminal  # also escape control characters, for a log on a terminal

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._redact(message)
        if self._terminal:
            clean = printable(clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True
