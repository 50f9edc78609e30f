"""Local files: read, typed and size-checked before anything is sent."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Literal, TypeAlias

import attrs

from ._exceptions import InvalidRequestError

__all__ = ["MAX_UPLOAD_BYTES", "FileSource", "UploadFile", "prepare_upload"]

FileSource: TypeAlias = "str | os.PathLike[str] | bytes"

# Both providers take at most 10 MB per file (kie.ai's limits, which Apikley repeats).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# The types the providers accept, with the extension crun's upload-url endpoint asks for.
ACCEPTED: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/aac": ".aac",
    "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
}
_BY_EXTENSION: dict[str, str] = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
    ".aac": "audio/aac",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
}


@attrs.frozen
class UploadFile:
    content: bytes = attrs.field(repr=False)
    content_type: str
    file_name: str

    @property
    def extension(self) -> str:
        return ACCEPTED[self.content_type]


def sniff(content: bytes) -> str | None:
    """The type the first bytes announce (magic numbers), among the accepted ones."""
    head = content[:12]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS: sync word, then layer bits 00
            return "audio/aac"
        if head[1] & 0xE0 == 0xE0:  # MPEG audio frame sync
            return "audio/mpeg"
    return None


def prepare_upload(
    source: FileSource,
    content_type: str | None = None,
    *,
    field: str = "file",
    kind: Literal["image", "audio"] | None = None,
) -> UploadFile:
    """Read `source` (a path or the bytes themselves) and check its size and type."""
    if isinstance(source, bytes | bytearray):
        content, name = bytes(source), None
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > MAX_UPLOAD_BYTES:
                raise _too_big(field, size)
            content = path.read_bytes()
        except OSError as exc:
            raise InvalidRequestError(
                f"{field}: cannot read {str(path)!r}: {exc.strerror or exc}", field=field
            ) from exc
        name = path.name
    else:
        raise InvalidRequestError(
            f"{field}: expected a path or bytes, got {type(source).__name__}", field=field
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise _too_big(field, len(content))
    if not content:
        raise InvalidRequestError(f"{field}: the file is empty", field=field)

    if content_type is not None:
        detected: str | None = content_type.split(";")[0].strip().lower()
    else:
        suffix = Path(name).suffix.lower() if name else ""
        detected = sniff(content) or _BY_EXTENSION.get(suffix)
    if detected is None:
        raise InvalidRequestError(
            f"{field}: cannot tell the file's type; pass content_type", field=field
        )
    if detected not in ACCEPTED or (kind is not None and not detected.startswith(f"{kind}/")):
        wanted = ", ".join(t for t in ACCEPTED if kind is None or t.startswith(f"{kind}/"))
        raise InvalidRequestError(
            f"{field}: type {detected} is not accepted (accepted: {wanted})", field=field
        )
    file_name = name or f"upload-{uuid.uuid4().hex[:12]}{ACCEPTED[detected]}"
    return UploadFile(content=content, content_type=detected, file_name=file_name)


def _too_big(field: str, size: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"{field}: {size} bytes is over the providers' limit of {MAX_UPLOAD_BYTES} bytes (10 MB)",
        field=field,
    )
