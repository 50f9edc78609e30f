"""Checks on what the caller passes, made before anything is sent."""

from __future__ import annotations

import os
from typing import Literal
from urllib.parse import urlsplit

import attrs

from ._exceptions import InvalidRequestError
from ._uploads import UploadFile, prepare_upload

# Apikley's (kie.ai's) documented limit; each adapter states its own (`Adapter.max_prompt`).
MAX_PROMPT = 5000
MODES = ("std", "pro")


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in value)
    )


def check_url(value: object, field: str) -> str:
    if not isinstance(value, str) or not is_http_url(value):
        raise InvalidRequestError(f"{field}: not an http(s) URL: {value!r}", field=field)
    return value


def check_task_id(task_id: object) -> str:
    if not isinstance(task_id, str) or not task_id.strip():
        raise InvalidRequestError(
            f"task_id: must be a non-empty string, got {task_id!r}", field="task_id"
        )
    return task_id


def media(value: object, field: str, kind: Literal["image", "audio"]) -> str | UploadFile:
    """A URL stays a URL; a local path (str or PathLike) is read and checked for uploading."""
    if isinstance(value, str) and ("://" in value or value.startswith(("http:", "https:"))):
        return check_url(value, field)
    if isinstance(value, str | os.PathLike):
        if isinstance(value, str) and not value.strip():
            raise InvalidRequestError(f"{field}: empty", field=field)
        return prepare_upload(value, field=field, kind=kind)
    raise InvalidRequestError(
        f"{field}: expected an http(s) URL or a local path, got {type(value).__name__}",
        field=field,
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
    max_prompt: int = MAX_PROMPT,
) -> TaskInput:
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
