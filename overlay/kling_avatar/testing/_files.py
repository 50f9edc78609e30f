"""The mock's own files under ``/media/``: uploads, result videos, and a task's inputs.

A result video is the task's portrait speaking its audio (see _media), rendered once, on the
first GET; a URL of this mock is read from memory, never fetched from itself.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from . import _media
from ._media import VIDEO_CONTENT_TYPE
from ._outgoing import fetch, is_loopback
from ._state import MockState, Task

MAX_UPLOAD = 10 * 1024 * 1024  # both providers' limit for an avatar's image and audio

# What media_lookup answers for a result video the mock no longer keeps (HTTP 410).
GONE = "gone"


def safe_segment(segment: str) -> str:
    """One path segment the mock can store and serve: any name the spec allows is accepted
    (the specs constrain none), and nothing can climb out of its folder."""
    cleaned = segment.replace("/", "_").replace("\\", "_")
    return cleaned if cleaned not in ("", ".", "..") else "_"


def media_url(state: MockState, path: str) -> str:
    """The URL of ``/media/<path>``; ``path`` is stored decoded, the URL carries it quoted."""
    return f"{state.base_url}/media/{quote(path)}"


def points_here(state: MockState, url: str) -> bool:
    """Whether ``url`` names this mock, however its host is spelled (localhost, 127.0.0.1,
    [::1]): the mock never fetches from itself, which two tasks whose inputs are each other's
    results would make it do for ever."""
    try:
        parts, own = urlsplit(url), urlsplit(state.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # a malformed host or port: not this mock (nor fetchable)
        return False
    return is_loopback(parts.hostname or "") and port == own.port


def media_path(state: MockState, url: str) -> str | None:
    """The media path a URL of this mock points at, if it does."""
    if not points_here(state, url):
        return None
    path = urlsplit(url).path
    return unquote(path[len("/media/") :]) if path.startswith("/media/") else None


def _result_task(state: MockState, path: str) -> Task | None:
    """The task whose video ``results/<id>.mp4`` is, once it has succeeded."""
    if path.startswith("results/") and path.endswith(".mp4"):
        task = state.tasks.get(path[len("results/") : -len(".mp4")])
        if task is not None and task.settled and task.outcome == "success":
            return task
    return None


def media_exists(state: MockState, path: str) -> bool:
    return _result_task(state, path) is not None or path in state.media


async def media_lookup(state: MockState, path: str) -> tuple[bytes, str] | str | None:
    """The bytes and content type served at ``/media/<path>``, GONE, or None (not found)."""
    task = _result_task(state, path)
    if task is not None:
        video = await result_video(state, task)
        return GONE if video is None else (video, VIDEO_CONTENT_TYPE)
    return state.media.get(path)


async def _input(state: MockState, url: Any) -> bytes | None:
    """One of a task's inputs: a file uploaded here, or fetched from another loopback URL.

    A URL of this mock is never fetched: only uploads are read (from memory), never another
    task's result, so no render waits on another (nor, in a cycle, on itself).
    """
    if not isinstance(url, str):
        return None
    if points_here(state, url):
        own = media_path(state, url)
        found = state.media.get(own) if own is not None else None
        return found[0] if found is not None else None
    fetched = await fetch(state.http, url, MAX_UPLOAD, seconds=5.0)
    return fetched[0] if isinstance(fetched, tuple) else None


async def result_video(state: MockState, task: Task) -> bytes | None:
    """The task's video, made from its portrait and audio (see _media), rendered once.

    GETs of a result being rendered wait for that render; a result the mock no longer keeps
    (see MockState.keep_result) is None, answered 410, never rendered again.
    """
    with state.lock:
        kept = state.results.get(task.id)
        if kept is not None or task.id in state.gone:
            return kept
    pending = state.rendering.get(task.id)
    if pending is None:
        pending = asyncio.ensure_future(_render_result(state, task))
        state.rendering[task.id] = pending
        pending.add_done_callback(lambda _: state.rendering.pop(task.id, None))
    # A GET that goes away does not cancel the render the others wait for.
    return await asyncio.shield(pending)


async def _render_result(state: MockState, task: Task) -> bytes:
    key = task.lifecycle.inputs_key
    inputs = task.param.get(key) if key is not None else task.param
    inputs = inputs if isinstance(inputs, dict) else {}
    image = await _input(state, inputs.get("image_url"))
    audio = await _input(state, inputs.get("audio_url"))
    if state.in_process:  # the caller's own loop, and no thread: the caller waits anyway
        video = _media.render(image, audio)
    else:
        # CPU work: off the loop, in the server's own small pool (not asyncio's default
        # executor, which waiting renders would fill); queued renders hold no thread.
        loop = asyncio.get_running_loop()
        video = await loop.run_in_executor(state.renders, _media.render, image, audio)
    state.keep_result(task.id, video)
    return video
