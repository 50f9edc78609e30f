"""What `kling-avatar` shows while it works: one redrawn line on a terminal, plain lines otherwise.

Progress goes to stderr so that stdout carries only the result (URLs, or JSON with ``--json``)
and can be piped; whether to redraw is therefore decided by whether *stderr* is a terminal.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TextIO

__all__ = ["Progress", "format_elapsed"]

# ASCII so that every terminal and font can draw it.
_SPINNER = "-\\|/"
# Redraws per second on a terminal: often enough for a smooth clock, rare enough to cost nothing.
_TICK = 0.1
_CLEAR_LINE = "\r\x1b[K"
_FALLBACK_WIDTH = 80


def format_elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m {rest:02d}s"


class Progress:
    """Reports steps (`note`) and the state of the task being waited for (`state`).

    On a terminal a background thread redraws ``<spinner> <label>: <state>  <elapsed>`` every
    tenth of a second, because the provider may stay in one state for minutes and a frozen line
    looks like a hang. Elsewhere (a pipe, a log file, CI) each state the provider reports is one
    plain line, printed only when it differs from the line before, and nothing is ever redrawn,
    so the output reads well in a file.
    """

    def __init__(self, stream: TextIO, *, live: bool) -> None:
        self._stream = stream
        self._live = live
        self._lock = threading.Lock()
        self._label: str | None = None
        self._state = ""
        # The last state written as a plain line: the state `start` is given is only what the
        # caller assumes (a task just created is "pending"), so in a pipe it is not written; the
        # provider's first report, "pending (waiting)" say, is then one line, not a second one.
        self._written: str | None = None
        self._started = 0.0
        self._frame = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, message: str) -> None:
        """A step worth a line of its own (an upload, the task id once created)."""
        with self._lock:
            if self._live and self._label is not None:
                self._stream.write(_CLEAR_LINE)
            self._stream.write(message + "\n")
            if self._live and self._label is not None:
                self._draw()
            self._stream.flush()

    def start(self, label: str, state: str | None) -> None:
        """Begin showing `label`'s state (None: not known yet) and the time since now."""
        with self._lock:
            self._label = label
            self._state = state or ""
            self._written = None
            self._started = time.monotonic()
            if self._live:
                self._draw()
                self._stream.flush()
        if self._live:
            self._stop.clear()
            self._thread = threading.Thread(target=self._tick, name="kling-avatar-progress")
            self._thread.daemon = True
            self._thread.start()

    def state(self, state: str) -> None:
        """Called on every state change the client reports."""
        with self._lock:
            if self._label is None:
                return
            if self._live:
                if state != self._state:
                    self._state = state
                    self._draw()
                    self._stream.flush()
            elif state != self._written:
                self._state = self._written = state
                self._line()

    def stop(self) -> None:
        """End the redrawn line (leaving its last state visible) and stop the clock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self._lock:
            if self._live and self._label is not None:
                self._draw(final=True)
                self._stream.write("\n")
                self._stream.flush()
            self._label = None

    def _tick(self) -> None:
        while not self._stop.wait(_TICK):
            with self._lock:
                if self._label is None:
                    return
                self._frame += 1
                self._draw()
                self._stream.flush()

    def _elapsed(self) -> str:
        return format_elapsed(time.monotonic() - self._started)

    def _draw(self, *, final: bool = False) -> None:
        mark = " " if final else _SPINNER[self._frame % len(_SPINNER)]
        label = self._label or ""
        rest = f": {self._state or '...'}  {self._elapsed()}"
        # A line as wide as the terminal wraps, and `\r` then redraws only its last part; the
        # two columns spared are for the "^C" the terminal echoes. The label (the long task id)
        # gives way first, so the state and the clock stay visible.
        width = self._width() - 3
        room = width - len(mark) - 1 - len(rest)
        if len(label) > room:
            label = label[: max(room - 1, 0)] + "~"
        line = f"{mark} {label}{rest}"[:width]
        self._stream.write(_CLEAR_LINE + line)

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self._stream.fileno()).columns or _FALLBACK_WIDTH
        except (AttributeError, ValueError, OSError):  # not a real file, or not a terminal
            return _FALLBACK_WIDTH

    def _line(self) -> None:
        self._stream.write(f"{self._label}: {self._state} ({self._elapsed()})\n")
        self._stream.flush()
