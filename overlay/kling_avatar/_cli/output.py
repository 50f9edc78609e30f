"""What the command writes: tasks as lines or JSON, progress, and the --debug log. Text a
provider wrote (task ids, states, messages) reaches the terminal with control characters
escaped: a hostile answer cannot rewrite the screen."""

from __future__ import annotations

import logging
import os

from kling_avatar import Task
from kling_avatar._progress import Progress
from kling_avatar._providers import PROVIDERS, key_variable
from kling_avatar._redact import RedactingFilter, printable

__all__ = [
    "TerminalProgress",
    "human_size",
    "one_line",
    "printable",
    "show_debug_log",
    "state_text",
    "task_json",
    "task_lines",
]


class TerminalProgress(Progress):
    """Progress whose text, which carries the provider's task ids and states, reaches the
    terminal with control characters escaped: a hostile id cannot rewrite the screen."""

    def note(self, message: str) -> None:
        super().note(printable(message))

    def start(self, label: str, state: str | None) -> None:
        super().start(printable(label), None if state is None else printable(state))

    def state(self, state: str) -> None:
        super().state(printable(state))


def state_text(task: Task) -> str:
    """Our word for the state, with the provider's own while it says more (`pending (queuing)`),
    and how far the task has got where the provider says (`pending (IN_QUEUE): 2 ahead`)."""
    word = task.provider_state
    text = task.state.value
    if word and word != task.state.value and not task.done:
        text = f"{text} ({word})"
    if task.progress and not task.done:
        text = f"{text}: {task.progress}"
    return text


def task_json(task: Task) -> dict[str, object]:
    return {
        "id": task.id,
        "provider": task.provider,
        "state": task.state.value,
        "provider_state": task.provider_state,
        "progress": task.progress,
        "video_url": task.video_url,
        "video_urls": list(task.video_urls),
        "error_code": task.error_code,
        "error_message": task.error_message,
        "created_at": task.created_at.isoformat() if task.created_at else None,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "credits_used": task.credits_used,
    }


def task_lines(provider: str, task: Task) -> list[str]:
    head = f"{provider} task {task.id}: {state_text(task)}"
    if task.error_code or task.error_message:
        head += f" ({task.error_code}: {task.error_message})"
    return [head, *task.video_urls]


def human_size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def one_line(text: str) -> str:
    """One line, control characters escaped: what a provider wrote reaches no terminal raw."""
    return printable(" ".join(str(text).split()))


def show_debug_log() -> None:
    """--debug: the client's log on stderr, never a key or a signature."""
    # The client promises no key in any log record; httpx's own INFO lines hold URLs, and a
    # presigned upload URL carries its signature in the query: the filter blanks it (and the
    # keys, in every encoding, wherever a line might echo one).
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    keys = [os.environ.get(key_variable(name), "") for name in PROVIDERS]
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter(*keys, terminal=True))
    logging.getLogger("kling_avatar").setLevel(logging.DEBUG)
