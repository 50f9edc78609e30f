"""How a provider signs its callbacks, where it does: an HMAC under a key the user holds.

The mechanism is here, the facts (which headers, what text is signed) in the provider's module,
as its adapter's `signs_callbacks`; `_callbacks.verify_callback_signature` checks them.
"""

from __future__ import annotations

import hashlib
import hmac

import attrs

__all__ = ["CallbackSigning"]


@attrs.frozen
class CallbackSigning:
    """base64(HMAC-SHA256(key, `message`)) in `signature_header`, the Unix time it was made in
    `timestamp_header`; `message` formats the signed text from `{task_id}` and `{timestamp}`.
    Only the task id and the time are signed, never the body."""

    signature_header: str
    timestamp_header: str
    message: str

    def digest(self, key: bytes, task_id: str, timestamp: int) -> bytes:
        text = self.message.format(task_id=task_id, timestamp=timestamp)
        return hmac.new(key, text.encode(), hashlib.sha256).digest()
