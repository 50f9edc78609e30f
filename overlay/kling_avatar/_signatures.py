"""How a provider signs its callbacks, where it does, in one of two ways.

- `CallbackSigning`: an HMAC under a key the user holds, over the task id and the time only;
- `PublishedKeySigning`: Ed25519 with the provider's own keys, published as a JWKS, over signed
  headers and the body's SHA-256, so a verified callback is the provider's word.

The mechanisms are here, the facts (which headers, what text is signed) in the provider's
module, as its adapter's `signs_callbacks`; `_callbacks` checks them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import ClassVar

import attrs

__all__ = ["CallbackSigning", "PublishedKeySigning", "parse_key_set"]

_ED25519_KEY_BYTES = 32
_ED25519_SIGNATURE_BYTES = 64
_MAX_KEYS = 32  # a key set is a handful; more is not read


@attrs.frozen
class CallbackSigning:
    """base64(HMAC-SHA256(key, `message`)) in `signature_header`, the Unix time it was made in
    `timestamp_header`; `message` formats the signed text from `{task_id}` and `{timestamp}`.
    Only the task id and the time are signed, never the body."""

    signature_header: str
    timestamp_header: str
    message: str
    # The body is not signed: a receiver confirms it with the provider's API.
    covers_body: ClassVar[bool] = False

    def digest(self, key: bytes, task_id: str, timestamp: int) -> bytes:
        text = self.message.format(task_id=task_id, timestamp=timestamp)
        return hmac.new(key, text.encode(), hashlib.sha256).digest()


@attrs.frozen
class PublishedKeySigning:
    """An Ed25519 signature, hex, in `signature_header`, over the UTF-8 of `separator` joining
    the values of `signed_headers`, in order, and the hex SHA-256 of the raw body. Among the
    signed headers, `id_header` names the task and `timestamp_header` is the Unix time it was
    made. Valid when any of the provider's published keys verifies it; the keys may be kept
    `keys_max_age` seconds."""

    signature_header: str
    signed_headers: tuple[str, ...]
    id_header: str
    timestamp_header: str
    separator: str = "\n"
    keys_max_age: float = 86_400.0
    # The body is signed: a verified callback needs no confirming read.
    covers_body: ClassVar[bool] = True

    def message(self, values: Sequence[str], body: bytes) -> bytes:
        """The signed text, from the signed headers' values (in order) and the raw body."""
        return self.separator.join([*values, hashlib.sha256(body).hexdigest()]).encode()

    def verifies(self, keys: Sequence[bytes], message: bytes, signature: str) -> bool:
        """Whether any of `keys` verifies `signature` (hex) of `message`."""
        # Imported here: only a receiver of such callbacks loads the cryptography library.
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            raw = bytes.fromhex(signature)
        except ValueError:
            return False
        if len(raw) != _ED25519_SIGNATURE_BYTES:
            return False
        for key in keys:
            try:
                Ed25519PublicKey.from_public_bytes(key).verify(raw, message)
            except (InvalidSignature, ValueError):
                continue
            return True
        return False


def parse_key_set(content: bytes | str) -> tuple[bytes, ...] | None:
    """The raw Ed25519 public keys of a JWKS (each key's `x`, base64url, padding optional);
    keys of another kind, or that do not decode to 32 bytes, are skipped. None when `content`
    is not a JSON object with a `keys` list."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return None
    listed = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(listed, list):
        return None
    found: list[bytes] = []
    for entry in listed[:_MAX_KEYS]:
        if not isinstance(entry, Mapping):
            continue
        if entry.get("kty", "OKP") != "OKP" or entry.get("crv", "Ed25519") != "Ed25519":
            continue
        text = entry.get("x")
        if not isinstance(text, str) or not text.isascii() or len(text) > 64:
            continue
        try:
            padded = text + "=" * (-len(text) % 4)
            key = base64.b64decode(padded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(key) == _ED25519_KEY_BYTES:
            found.append(key)
    return tuple(found)
