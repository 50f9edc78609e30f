"""Completion callbacks: reading them, and checking their signatures (kie.ai-style HMACs under
the user's key, and signatures made with a provider's own published keys).

Both entry points take whatever arrived (bytes, str, or an already-decoded value of any JSON
type) and headers in any common shape, and raise nothing but AvatarError subclasses. They read
the task id from the same place, so a signature verified for one task can never vouch for a
body that `parse_callback` reads as another.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

from ._exceptions import InvalidRequestError, InvalidSignatureError, UnexpectedResponseError
from ._models import Task
from ._providers import PROVIDERS, Adapter, adapter_class, decode_json
from ._seen import SeenStore
from ._signatures import CallbackSigning, PublishedKeySigning

__all__ = [
    "callback_task_id",
    "header_map",
    "parse_callback",
    "verify_callback_signature",
    "verify_published_signature",
]

Payload: TypeAlias = bytes | bytearray | str | object
HeaderValue: TypeAlias = str | bytes
Headers: TypeAlias = Mapping[str, str] | Mapping[str, HeaderValue] | Iterable[object]

# kie.ai documents `data.taskId`; its own sample code reads `data.task_id`.
_ID_KEYS = ("taskId", "task_id")
_MAX_HEADER_COUNT = 200
_TOO_MANY_HEADERS = "too many headers"


def _body(payload: Payload, provider: str | None) -> Mapping[str, object]:
    if isinstance(payload, bytes | bytearray | str):
        body: object = decode_json(bytes(payload) if isinstance(payload, bytearray) else payload)
    else:
        body = payload
    if not isinstance(body, Mapping):
        shown = payload if isinstance(payload, bytes | bytearray | str) else type(payload).__name__
        raise UnexpectedResponseError(
            f"the callback body is not a JSON object: {str(shown)[:120]!r}", provider=provider
        )
    return body


def _task_object(adapter: Adapter, body: Mapping[str, object]) -> Mapping[str, object]:
    """The task object inside `body`, its id under both spellings (they must not disagree)."""
    data = adapter.callback_data(body)
    if not isinstance(data, Mapping):
        raise adapter.reader.unexpected(f"the callback carries no task object: {data!r:.120}")
    given = [data[key] for key in _ID_KEYS if key in data]
    if not given:
        return data
    task_id = adapter.reader.text(given[0], "the callback's task id")
    if any(other != task_id for other in given):
        raise adapter.reader.unexpected("the callback names two different task ids")
    return {**data, **dict.fromkeys(_ID_KEYS, task_id)}


def _adapter(provider: object) -> Adapter:
    return adapter_class(provider)()


def callback_task_id(provider: str, payload: Payload) -> str:
    """The task id a callback names (where both `parse_callback` and the signature read it)."""
    adapter = _adapter(provider)
    data = _task_object(adapter, _body(payload, adapter.name))
    return adapter.reader.text(data.get("taskId"), "the callback's task id")


def parse_callback(provider: str, payload: Payload) -> Task:
    """The task a completion callback reports.

    `payload` is the request body as bytes or str, or already decoded. crun's bare `TaskInfo`
    and its envelope-wrapped form are both accepted, and Apikley's `{code, msg, data}` (the id as
    `taskId` or `task_id`). Anything else raises UnexpectedResponseError. The body is only the
    provider's claim: a receiver confirms it with `get_task` (see `Receiver`).
    """
    adapter = _adapter(provider)
    return adapter.task(_task_object(adapter, _body(payload, adapter.name)))


def header_map(headers: object) -> dict[str, str]:
    """Lower-cased names to values, from a mapping, pairs (ASGI's, bytes or str), or an
    httpx/Starlette headers object; latin-1 for bytes, as HTTP has it."""
    if isinstance(headers, Mapping):
        items: Iterable[object] = headers.items()
    elif isinstance(headers, Iterable) and not isinstance(headers, str | bytes | bytearray):
        items = headers
    else:
        raise InvalidSignatureError(f"headers must be a mapping or pairs, not {type(headers)}")
    found: dict[str, str] = {}
    try:
        for count, pair in enumerate(items):
            if count >= _MAX_HEADER_COUNT:
                raise InvalidSignatureError(_TOO_MANY_HEADERS)
            if not (isinstance(pair, tuple | list) and len(pair) == 2):
                raise InvalidSignatureError("headers must be (name, value) pairs")
            name, value = (
                part.decode("latin-1") if isinstance(part, bytes | bytearray) else part
                for part in pair
            )
            if isinstance(name, str) and isinstance(value, str):
                found.setdefault(name.lower(), value)
    except InvalidSignatureError:
        raise
    except Exception as exc:  # a hostile headers object: whatever its iteration raises
        raise InvalidSignatureError(f"unreadable headers: {type(exc).__name__}") from None
    return found


def _check_key(key: object) -> bytes:
    if isinstance(key, str):
        secret = key.encode()
    elif isinstance(key, bytes | bytearray):
        secret = bytes(key)
    else:
        raise InvalidRequestError("key: must be str or bytes", field="key")
    if not secret:
        # Anyone can compute an HMAC with the empty key.
        raise InvalidRequestError("key: the webhook key is empty", field="key")
    return secret


def check_tolerance(tolerance: object) -> float:
    if (
        isinstance(tolerance, int | float)
        and not isinstance(tolerance, bool)
        and math.isfinite(tolerance)
        and tolerance >= 0
    ):
        return float(tolerance)
    raise InvalidRequestError(
        f"tolerance: must be a finite number of seconds >= 0, got {tolerance!r:.40}",
        field="tolerance",
    )


def _scheme(provider: str | None) -> tuple[str, CallbackSigning]:
    """The provider whose body is read, and the scheme that checks the signature: its own, else
    that of the provider that signs callbacks (by default, that provider's body too)."""
    signer, default = next(
        (name, scheme)
        for name in PROVIDERS
        if isinstance(scheme := adapter_class(name).signs_callbacks, CallbackSigning)
    )
    if provider is None:
        return signer, default
    own = adapter_class(provider).signs_callbacks
    if isinstance(own, PublishedKeySigning):
        raise InvalidRequestError(
            f"provider: {provider} signs its callbacks with its own published keys: "
            "check them with verify_published_signature",
            field="provider",
        )
    return provider, own or default


def verify_callback_signature(
    payload: Payload,
    headers: Headers,
    key: str | bytes,
    *,
    tolerance: float = 300,
    now: float | None = None,
    provider: str | None = None,
    seen: SeenStore | None = None,
) -> str:
    """Checks a kie.ai-style webhook signature; returns the task id it vouches for.

    `X-Webhook-Signature` must be base64(HMAC-SHA256(key, taskId + "." + X-Webhook-Timestamp)),
    compared in constant time, and the timestamp within `tolerance` seconds of `now`. The task id
    is read where `parse_callback(provider, ...)` reads it. The scheme signs the task id and the
    time only, not the body, so the same signature verifies any number of times inside the
    window with any body: pass a `seen` store to refuse a signature a second time, and confirm
    the body with `get_task` when it must be trusted (`Receiver` does both). `provider` is the
    one that sent it; by default the provider whose callbacks are signed so.

    Raises InvalidSignatureError when it fails; InvalidRequestError for an empty key or a
    tolerance that is negative, NaN or infinite; UnexpectedResponseError for a body that is not
    a callback.
    """
    secret = _check_key(key)
    window = check_tolerance(tolerance)
    provider, scheme = _scheme(provider)
    lowered = header_map(headers)
    stamp = lowered.get(scheme.timestamp_header.lower(), "").strip()
    signature = lowered.get(scheme.signature_header.lower(), "").strip()
    if not stamp or not signature:
        raise InvalidSignatureError(
            f"missing {scheme.timestamp_header} or {scheme.signature_header} header"
        )
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise InvalidSignatureError(f"{scheme.timestamp_header} is not a Unix time: {stamp!r:.40}")
    sent_at = int(stamp)
    try:
        task_id = callback_task_id(provider, payload)
    except UnexpectedResponseError as error:
        raise InvalidSignatureError(
            f"the callback body carries no task id to check ({error.message})"
        ) from None
    try:
        given = base64.b64decode(signature.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InvalidSignatureError("the signature is not base64") from None
    if not hmac.compare_digest(scheme.digest(secret, task_id, sent_at), given):
        raise InvalidSignatureError("the signature does not match")
    if now is None:
        now = time.time()
    elif not (isinstance(now, int | float) and math.isfinite(now)):
        raise InvalidRequestError("now: must be a finite Unix time", field="now")
    age = now - sent_at
    if not abs(age) <= window:
        raise InvalidSignatureError(
            f"the timestamp is {age:.0f}s off, outside the {window:g}s window (a replay?)"
        )
    # What is signed, not the signature's text: base64 has several spellings of one digest.
    # Kept long enough to outlive the window on either side of the timestamp.
    if seen is not None and not seen.add(f"signed:{provider}:{task_id}.{sent_at}", 2 * window + 1):
        raise InvalidSignatureError("this signed callback was already received (a replay?)")
    return task_id


def verify_published_signature(
    payload: bytes | bytearray | str,
    headers: Headers,
    keys: Sequence[bytes],
    *,
    provider: str,
    tolerance: float = 300,
    now: float | None = None,
    seen: SeenStore | None = None,
) -> str:
    """Checks a callback `provider` signed with one of its published keys; returns the task id
    it vouches for.

    `payload` is the body exactly as received (its SHA-256 is signed, so never re-serialised
    JSON); `keys` the raw Ed25519 public keys of the provider's key set (`parse_key_set` of
    its JWKS). The signed headers must all be there, the signature must verify with one of the
    keys, the task id the signed headers name must be the one the body names, and the
    timestamp must be within `tolerance` seconds of `now`. The body is signed: once this
    passes, what it says is the provider's word. `seen` refuses the same signed callback a
    second time (a replay); a provider's retry is signed anew, with its own time.

    Raises InvalidSignatureError when it fails; InvalidRequestError for a provider that does
    not sign so, a payload that is not the raw body, or a tolerance that is negative, NaN or
    infinite.
    """
    scheme = adapter_class(provider).signs_callbacks
    if not isinstance(scheme, PublishedKeySigning):
        raise InvalidRequestError(
            f"provider: {provider} does not sign its callbacks with published keys",
            field="provider",
        )
    if isinstance(payload, str):
        body = payload.encode()
    elif isinstance(payload, bytes | bytearray):
        body = bytes(payload)
    else:
        raise InvalidRequestError("payload: the raw body (bytes), as received", field="payload")
    window = check_tolerance(tolerance)
    lowered = header_map(headers)
    values = [lowered.get(name.lower(), "").strip() for name in scheme.signed_headers]
    signature = lowered.get(scheme.signature_header.lower(), "").strip()
    missing = [
        name
        for name, value in zip(
            (*scheme.signed_headers, scheme.signature_header), (*values, signature), strict=True
        )
        if not value
    ]
    if missing:
        raise InvalidSignatureError(f"missing {', '.join(missing)} header")
    stamp = lowered[scheme.timestamp_header.lower()].strip()
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise InvalidSignatureError(f"{scheme.timestamp_header} is not a Unix time: {stamp!r:.40}")
    if not scheme.verifies(keys, scheme.message(values, body), signature):
        raise InvalidSignatureError("the signature does not match any of the provider's keys")
    try:
        task_id = callback_task_id(provider, body)
    except UnexpectedResponseError as error:
        raise InvalidSignatureError(
            f"the callback body carries no task id to check ({error.message})"
        ) from None
    if lowered[scheme.id_header.lower()].strip() != task_id:
        raise InvalidSignatureError(f"the body is not about the task {scheme.id_header} names")
    if now is None:
        now = time.time()
    elif not (isinstance(now, int | float) and math.isfinite(now)):
        raise InvalidRequestError("now: must be a finite Unix time", field="now")
    age = now - int(stamp)
    if not abs(age) <= window:
        raise InvalidSignatureError(
            f"the timestamp is {age:.0f}s off, outside the {window:g}s window (a replay?)"
        )
    if seen is not None and not seen.add(f"signed:{provider}:{task_id}.{stamp}", 2 * window + 1):
        raise InvalidSignatureError("this signed callback was already received (a replay?)")
    return task_id
