"""Checks on what the caller passes, made before anything is sent."""

from __future__ import annotations

import functools
import ipaddress
import math
import re
import socket
from typing import Literal, TypeAlias
from urllib.parse import urlsplit

import attrs

from ._exceptions import InvalidRequestError
from ._redact import shown
from ._uploads import LocalFile, UploadFile, is_local_file, prepare_upload


def positive_int(field: str, value: object, provider: str | None = None) -> int:
    """A caller's count setting: a whole number of at least 1, else a typed error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(f"{field}: must be an integer", provider=provider, field=field)
    if value < 1:
        raise InvalidRequestError(f"{field}: must be at least 1", provider=provider, field=field)
    return value


def positive_seconds(field: str, value: object) -> float:
    """A caller's duration setting: a finite number of seconds above 0, else a typed error."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise InvalidRequestError(f"{field}: must be a finite number of seconds > 0", field=field)
    return float(value)


MODES = ("std", "pro")

# What `image_url`/`audio_url` take: a str is an http(s) URL; a local file is a path object
# (`pathlib.Path`) or an open binary file, uploaded first.
Media: TypeAlias = "str | LocalFile"
PATH_ADVICE = "; a str is always a URL (for a local file pass pathlib.Path(...) or an open file)"


def _http_host(value: str) -> str | None:
    """The host of `value` (lower case, no trailing dot) when it is an http(s) URL with one
    and no white space; None when it is not."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or _SPACE.search(value):
        return None
    return host.rstrip(".")


def is_http_url(value: str) -> bool:
    return _http_host(value) is not None


# Every IPv4 spelling the C resolver reads (dotted, hex, octal, one number) uses only these;
# a host with any other character and no ":" (IPv6) is a name, not worth parsing as an address.
_IPV4_CHARACTERS = frozenset("0123456789abcdefx.")
_SPACE = re.compile(r"\s")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `host` spells, also in the forms the C resolver reads as IPv4
    (`2130706433`, `127.1`, `0x7f.0.0.1`), so they cannot hide a loopback address."""
    if ":" not in host and not _IPV4_CHARACTERS.issuperset(host.lower()):
        return None
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        if not host or ":" in host:
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    address = _address(host)
    return address is not None and address.is_loopback


def is_loopback_url(url: str) -> bool:
    """True when `url` names this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return False
    return _is_loopback(host)


def answer_url_problem(value: object, *, allow_loopback: bool) -> str | None:
    """Why a URL from a provider's answer must not be used, or None when it may.

    Only http(s) URLs with a host and no control characters pass. Link-local (169.254/16 and
    fe80::/10, where cloud metadata services answer), unspecified and multicast addresses never
    do; loopback only when the client itself talks to a loopback base URL (the local mock).
    Private ranges pass: a provider may sit behind a company's proxy. A host *name* is not
    resolved, so a name that resolves to such an address is not caught here.
    """
    if not isinstance(value, str):
        return "not a string"
    host = _http_host(value)
    if host is None or not value.isprintable():
        return "not an http(s) URL"
    # A provider's answers name the same few hosts (its CDN; the mock's 127.0.0.1): a host's
    # verdict is kept, not parsed again as an address for each URL; only a host that fits a
    # DNS name (253 characters), so that a hostile answer cannot make the cache hold much.
    judge = _known_host_problem if len(host) <= 253 else _host_problem
    return judge(host, allow_loopback)


def _host_problem(host: str, allow_loopback: bool) -> str | None:
    address = _address(host)
    if address is not None and (
        address.is_link_local or address.is_unspecified or address.is_multicast
    ):
        return "a link-local, unspecified or multicast address"
    if not allow_loopback and _is_loopback(host):
        return "a loopback address (allowed only with a loopback base URL)"
    return None


_known_host_problem = functools.lru_cache(maxsize=256)(_host_problem)


def check_url(value: object, field: str) -> str:
    if not isinstance(value, str) or not is_http_url(value):
        raise InvalidRequestError(f"{field}: not an http(s) URL: {shown(value)}", field=field)
    return value


def check_task_id(task_id: object) -> str:
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidRequestError(
            f"task_id: must be a non-empty string, got {task_id!r}", field="task_id"
        )
    return task_id


def media(value: object, field: str, kind: Literal["image", "audio"]) -> str | UploadFile:
    """A str must be an http(s) URL; a path object or an open binary file is read (a regular
    file, bounded) and checked for uploading. A file already read (`UploadFile`, as the async
    clients hand it over after reading it off the event loop) passes as it is."""
    if isinstance(value, UploadFile):
        return value
    if isinstance(value, str):
        if is_http_url(value):
            return value
        raise InvalidRequestError(
            f"{field}: not an http(s) URL: {shown(value, 100)}{PATH_ADVICE}", field=field
        )
    if is_local_file(value):
        return prepare_upload(value, field=field, kind=kind)
    raise InvalidRequestError(
        f"{field}: expected an http(s) URL (str), a pathlib.Path or an open binary file, "
        f"got {type(value).__name__}",
        field=field,
    )


def read_local_media(image_url: object, audio_url: object) -> tuple[object, object]:
    """The local files among them read (`UploadFile`), the rest as they are. The async
    clients run this in a thread, so no file is read on the event loop."""
    return (
        media(image_url, "image_url", "image") if is_local_file(image_url) else image_url,
        media(audio_url, "audio_url", "audio") if is_local_file(audio_url) else audio_url,
    )


@attrs.frozen
class TaskInput:
    image: str | UploadFile
    audio: str | UploadFile
    prompt: str
    mode: Literal["std", "pro"]
    callback_url: str | None


def check_task_input(
    image_url: object,
    audio_url: object,
    prompt: object,
    mode: object,
    callback_url: object,
    *,
    max_prompt: int,
) -> TaskInput:
    """The checked input of one creation; `max_prompt` is the provider's (`Adapter.max_prompt`)."""
    if not isinstance(prompt, str):
        raise InvalidRequestError("prompt: must be a string", field="prompt")
    if len(prompt) > max_prompt:
        raise InvalidRequestError(
            f"prompt: {len(prompt)} characters, at most {max_prompt} allowed", field="prompt"
        )
    if mode not in MODES:
        raise InvalidRequestError(f"mode: must be 'std' or 'pro', got {mode!r}", field="mode")
    callback = None if callback_url is None else check_url(callback_url, "callback_url")
    return TaskInput(
        image=media(image_url, "image_url", "image"),
        audio=media(audio_url, "audio_url", "audio"),
        prompt=prompt,
        mode="std" if mode == "std" else "pro",
        callback_url=callback,
    )
