"""Saving a task's video to disk, safely whatever the provider's answer says.

The task id and the video URL come from the provider, so nothing in them decides where a file
lands: the name is made of the id's safe characters and a suffix from a short list; the file is
written into a new temporary file in the target folder (created exclusively, never through a
symlink), its length checked, then renamed into place, and an existing file is kept unless the
caller says `overwrite=True`. Redirects are followed by hand so each hop's URL is checked too.

`Download` is the whole procedure but the bytes' moving; the channels (`_transport`) stream them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urljoin, urlsplit

import attrs
import httpx

from ._exceptions import DownloadError
from ._inputs import answer_url_problem
from ._limits import stated_length
from ._models import Task
from ._redact import Redactor, cut, printable

__all__ = [
    "DEFAULT_DOWNLOAD_TIMEOUT",
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "VIDEO_SUFFIXES",
    "Download",
    "plan_download",
    "safe_file_name",
]

VIDEO_SUFFIXES = (".mp4", ".mov", ".webm", ".m4v", ".mkv")
# A Kling Avatar video is tens of megabytes; a server sending more is not sending a video.
DEFAULT_MAX_DOWNLOAD_BYTES = 2 * 1024**3
DEFAULT_DOWNLOAD_TIMEOUT = 600.0
MAX_REDIRECTS = 5
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def safe_file_name(task_id: str, url: str) -> str:
    """`<task id><suffix>` with only letters, digits, `.`, `_` and `-` of the id (no separator,
    no leading dot, so never `..`), at most 100 of them, and the URL's suffix only when it is a
    video suffix (else `.mp4`)."""
    stem = _UNSAFE.sub("_", task_id).strip("._-")[:100] or "video"
    try:
        suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    except ValueError:
        suffix = ""
    return stem + (suffix if suffix in VIDEO_SUFFIXES else ".mp4")


@attrs.frozen
class DownloadPlan:
    url: str
    target: Path
    overwrite: bool
    max_bytes: int
    timeout: float
    allow_loopback: bool
    # The client's rule, told the key: what a message may show of a URL or an error.
    redact: Redactor = attrs.field(factory=Redactor, repr=False)


def _fail(message: str, provider: str | None) -> DownloadError:
    return DownloadError(printable(message), provider=provider)


def plan_download(
    task: Task,
    to: str | os.PathLike[str],
    *,
    overwrite: bool,
    max_bytes: int,
    timeout: float,
    allow_loopback: bool,
    redact: Redactor | None = None,
) -> DownloadPlan:
    """Where the video goes: `to` itself, or `to/<safe name>` when `to` is a folder (an existing
    one, or a path ending in a separator); folders are created. Raises DownloadError."""
    url = task.video_url
    provider = task.provider
    redact = redact or Redactor()
    if url is None:
        raise _fail(f"task {task.id} has no video URL", provider)
    problem = answer_url_problem(url, allow_loopback=allow_loopback)
    if problem is not None:
        raise _fail(f"the video URL is {problem}: {cut(redact(url), 120)}", provider)
    if not (max_bytes > 0 and timeout > 0):
        raise _fail("max_bytes and timeout must be positive", provider)
    given = os.fspath(to)
    path = Path(given)
    try:
        if path.is_dir() or given.endswith(("/", os.sep)):
            folder = path
            name = safe_file_name(task.id, url)
        else:
            folder, name = path.parent, path.name
        folder.mkdir(parents=True, exist_ok=True)
        folder = folder.resolve(strict=True)
    except OSError as exc:
        raise _fail(f"could not save the video to {path}: {exc.strerror or exc}", provider) from exc
    target = folder / name
    if target.parent != folder:  # a name is one path component, but check what is promised
        raise _fail(f"refusing a file name outside {folder}: {name!r}", provider)
    if target.is_dir():
        raise _fail(f"{target} is a folder", provider)
    if not overwrite and os.path.lexists(target):
        raise _fail(f"{target} exists (pass overwrite=True, or --force, to replace it)", provider)
    return DownloadPlan(url, target, overwrite, max_bytes, timeout, allow_loopback, redact)


class Download:
    """One download's decisions and file handling; the drivers only move bytes."""

    def __init__(self, plan: DownloadPlan, provider: str | None = None) -> None:
        self.plan = plan
        self.provider = provider
        self.url = plan.url
        self.redirects = 0
        self.expected: int | None = None
        self.received = 0
        self._fd: int | None = None
        self._temp: Path | None = None

    def request(self) -> dict[str, Any]:
        # A video is never worth compressing; asking for none leaves nothing to bound.
        return {"method": "GET", "url": self.url, "headers": {"Accept-Encoding": "identity"}}

    def fail(self, message: str) -> DownloadError:
        return _fail(message, self.provider)

    def shown_url(self) -> str:
        return cut(self.plan.redact(self.url), 160)

    def head(self, response: httpx.Response) -> bool:
        """True when the body is to be read; False after a redirect (`url` is the next hop)."""
        status = response.status_code
        if status in (301, 302, 303, 307, 308):
            location = response.headers.get("location", "")
            self.redirects += 1
            if self.redirects > MAX_REDIRECTS:
                raise self.fail(f"more than {MAX_REDIRECTS} redirects from {self.shown_url()}")
            self.url = urljoin(self.url, location)
            problem = answer_url_problem(self.url, allow_loopback=self.plan.allow_loopback)
            if problem is None and self.plan.redact.finds(self.url):
                problem = "a URL carrying the API key"
            if problem is not None:
                raise self.fail(f"a redirect to {problem}: {self.shown_url()}")
            return False
        if not 200 <= status < 300:
            raise self.fail(f"download of {self.shown_url()} failed: HTTP {status}")
        if response.headers.get("content-encoding", "identity").strip().lower() != "identity":
            raise self.fail("the server sent the video encoded, which was not asked for")
        stated = response.headers.get("content-length")
        if stated is not None:
            self.expected = stated_length(response.headers)
            if self.expected is None:
                raise self.fail(f"the server stated a bad Content-Length: {stated!r:.40}")
            if self.expected > self.plan.max_bytes:
                raise self.fail(
                    f"the video is {self.expected} bytes, over the {self.plan.max_bytes}-byte cap"
                )
        self._open()
        return True

    def _open(self) -> None:
        folder = self.plan.target.parent
        temp = folder / f".{self.plan.target.name}.{secrets.token_hex(8)}.part"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC
        try:
            self._fd = os.open(temp, flags, 0o666)
        except OSError as exc:
            raise self.fail(f"could not save the video to {temp}: {exc.strerror}") from exc
        self._temp = temp

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.plan.max_bytes:
            raise self.fail(f"the video is over the {self.plan.max_bytes}-byte cap")
        if self.expected is not None and self.received > self.expected:
            raise self.fail(f"the server sent more than the {self.expected} bytes it stated")
        assert self._fd is not None
        view = memoryview(chunk)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            raise self.fail(f"could not save the video: {exc.strerror}") from exc

    def finish(self) -> Path:
        """Checks the length, then moves the file into place (keeping an existing one unless
        `overwrite`); the path saved."""
        if self.expected is not None and self.received != self.expected:
            raise self.fail(
                f"the download was cut: {self.received} of {self.expected} bytes arrived"
            )
        assert self._fd is not None and self._temp is not None
        target = self.plan.target
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            if self.plan.overwrite:
                os.replace(self._temp, target)  # a symlink at `target` is replaced, not followed
            else:
                self._place_new(self._temp, target)
        except FileExistsError:
            raise self.fail(f"{target} exists (pass overwrite=True, or --force)") from None
        except OSError as exc:
            raise self.fail(f"could not save the video to {target}: {exc.strerror}") from exc
        self._temp = None
        return target

    @staticmethod
    def _place_new(temp: Path, target: Path) -> None:
        try:
            os.link(temp, target)  # atomic: fails if anything (even a symlink) is there
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
            if os.path.lexists(target):  # a filesystem without hard links: check, then move
                raise FileExistsError(errno.EEXIST, "exists", str(target)) from None
            os.replace(temp, target)
            return
        os.unlink(temp)

    def cleanup(self) -> None:
        """Closes and removes the temporary file unless `finish` moved it into place."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._temp)
            self._temp = None

    def transport_failure(self, exc: httpx.HTTPError | httpx.InvalidURL) -> DownloadError:
        if isinstance(exc, httpx.TimeoutException):
            detail = f"not done within {self.plan.timeout:g}s"
        else:
            detail = " ".join(str(exc).split()) or type(exc).__name__
        detail = cut(self.plan.redact(detail), 200)
        error = self.fail(f"download of {self.shown_url()} failed: {detail}")
        error.__cause__ = exc
        return error
