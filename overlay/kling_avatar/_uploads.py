"""Local files: read, typed and size-checked before anything is sent.

A local file is an `os.PathLike` (`pathlib.Path`) or an open binary file, never a `str`: a
string is a URL, so a request's field passed straight through cannot name a file on the
caller's machine. Only regular files are read, at most `MAX_UPLOAD_BYTES` plus one byte.
"""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol, TypeAlias, cast

import attrs

from ._exceptions import InvalidRequestError
from ._redact import shown

__all__ = [
    "MAX_UPLOAD_BYTES",
    "BinaryFile",
    "FileSource",
    "LocalFile",
    "UploadFile",
    "is_local_file",
    "prepare_upload",
]


class BinaryFile(Protocol):
    """An open binary file: what `open(path, "rb")` returns, or anything with such a `read`
    (and, when it has a descriptor, a `fileno`, which must then be a regular file's)."""

    def read(self, size: int, /) -> bytes: ...


LocalFile: TypeAlias = "os.PathLike[str] | BinaryFile"
FileSource: TypeAlias = "os.PathLike[str] | BinaryFile | bytes"

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


# The flags a local file is opened with: O_NONBLOCK so that opening a FIFO with no writer
# returns at once (then fstat refuses it) instead of waiting for one; O_NOCTTY so a terminal
# never becomes the process's controlling one.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_CHUNK = 1 << 20


def is_local_file(value: object) -> bool:
    """True for what is read as a local file: a path object or an open file (not a str)."""
    return isinstance(value, os.PathLike) or (
        not isinstance(value, str | bytes | bytearray) and callable(getattr(value, "read", None))
    )


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(field: str, what: str, mode: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"{field}: cannot read {what}: it is {_kind_of(mode)}; only a regular file is read",
        field=field,
    )


def _read_path(source: os.PathLike[str], field: str) -> bytes:
    """The file at `source`, checked on the descriptor that is read (no window between a
    check and the open): a regular file, at most the limit; limit+1 bytes read at most."""
    try:
        path = os.fspath(source)
    except TypeError as exc:  # a __fspath__ that returns no path
        raise InvalidRequestError(f"{field}: not a path: {exc}", field=field) from exc
    shown = f"{path!r:.200}"
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InvalidRequestError(f"{field}: cannot read {shown}: {reason}", field=field) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(field, shown, info.st_mode)
        if info.st_size > MAX_UPLOAD_BYTES:
            raise _too_big(field, info.st_size)
        # The size stated is not trusted (a file may grow; /proc files state 0): read bounded.
        return _bounded(lambda n: os.read(fd, n), field)
    except OSError as exc:
        raise InvalidRequestError(
            f"{field}: cannot read {shown}: {exc.strerror or exc}", field=field
        ) from exc
    finally:
        os.close(fd)


def _read_open_file(source: BinaryFile, field: str) -> bytes:
    """An open binary file, from where it stands: a regular file when it has a descriptor
    (a pipe or terminal could block for ever), at most limit+1 bytes read."""
    fileno = getattr(source, "fileno", None)
    try:
        fd = fileno() if callable(fileno) else None
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        fd = None  # in memory (io.BytesIO): nothing can block
    if fd is not None and (isinstance(fd, bool) or not isinstance(fd, int)):
        raise InvalidRequestError(
            f"{field}: the open file's fileno() is no descriptor", field=field
        )
    try:
        if fd is not None:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise _not_regular(field, "the open file", mode)
        return _bounded(source.read, field)
    except OSError as exc:
        raise InvalidRequestError(
            f"{field}: cannot read the open file: {exc.strerror or exc}", field=field
        ) from exc


def _bounded(read: Callable[[int], object], field: str) -> bytes:
    """Everything `read(n)` yields, refused once more than the limit has come."""
    chunks: list[bytes] = []
    total = 0
    while total <= MAX_UPLOAD_BYTES:
        try:
            chunk = read(min(_CHUNK, MAX_UPLOAD_BYTES + 1 - total))
        except (TypeError, ValueError) as exc:  # a closed file; a read() that takes no size
            raise InvalidRequestError(
                f"{field}: cannot read the file: {type(exc).__name__}: {exc}", field=field
            ) from exc
        if not isinstance(chunk, bytes | bytearray):
            raise InvalidRequestError(
                f"{field}: the file is not open in binary mode ('rb')", field=field
            )
        if not chunk:
            return b"".join(chunks)
        chunks.append(bytes(chunk))
        total += len(chunk)
    raise _too_big(field, None)


def prepare_upload(
    source: object,
    content_type: str | None = None,
    *,
    field: str = "file",
    kind: Literal["image", "audio"] | None = None,
) -> UploadFile:
    """Read `source` (a path object, an open binary file or the bytes themselves) and check
    its size and type. A str is refused: it would be a URL, not a file. An `UploadFile` (read
    and checked already, off the event loop by the async clients) is returned as it is."""
    name: str | None = None
    if isinstance(source, UploadFile):
        return source
    if isinstance(source, bytes | bytearray):
        content = bytes(source)
    elif isinstance(source, str):
        raise InvalidRequestError(
            f"{field}: a str is a URL, not a local file ({shown(source, 80)}); pass "
            "pathlib.Path(...) or an open binary file to read a file",
            field=field,
        )
    elif isinstance(source, os.PathLike):
        content = _read_path(source, field)
        name = Path(os.fsdecode(os.fspath(source))).name  # read: fspath gave a path
    elif is_local_file(source):
        content = _read_open_file(cast(BinaryFile, source), field)
        given = getattr(source, "name", None)
        name = Path(given).name if isinstance(given, str) and given else None
    else:
        raise InvalidRequestError(
            f"{field}: expected a path object, an open binary file or bytes, "
            f"got {type(source).__name__}",
            field=field,
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


def _too_big(field: str, size: int | None) -> InvalidRequestError:
    """`size` None: the read stopped one byte past the limit, the whole size is not known."""
    amount = f"more than {MAX_UPLOAD_BYTES} bytes" if size is None else f"{size} bytes"
    return InvalidRequestError(
        f"{field}: {amount} is over the providers' limit of {MAX_UPLOAD_BYTES} bytes (10 MB)",
        field=field,
    )
