"""The videos the mock serves as results: the task's portrait, speaking its audio.

Made with PyAV (FFmpeg in its wheel): the portrait, scaled down, is the picture; a dark "mouth"
band under it opens with the audio's loudness; the audio is the sound track, and the clip is as
long as the audio. Inputs that cannot be had or decoded are replaced by generated ones (a grey
picture, a murmuring tone), never an error. Small (at most 256 px, 12 fps) and bounded (at most
MAX_SECONDS), and cached by input, so a test suite pays for each distinct video once.

Bounded in cost too, since the inputs are whatever a caller points at: a picture's size is read
from its header and refused past MAX_PIXELS before anything is decoded (FFmpeg's own
``max_pixels``), and a render that runs past RENDER_SECONDS gives the generated clip instead.
Renders are not serialized here: the server runs them in a small pool of its own (RENDER_SLOTS).
"""

from __future__ import annotations

import array
import hashlib
import io
import math
import threading
import time
from collections import OrderedDict
from fractions import Fraction
from typing import Any

VIDEO_CONTENT_TYPE = "video/mp4"

MAX_SECONDS = 60.0  # longer audio is cut there
MAX_SIDE = 256
FPS = 12
RATE = 24_000  # the sound track's sample rate (mono AAC)
FALLBACK_SECONDS = 2.0
_MOUTHS = 6  # how many mouth openings the loudness is mapped to
_CACHE_ENTRIES = 32
# A picture larger than this is refused from its header (a decompression bomb's claim: a
# 16000x16000 PNG of 2 MB would take gigabytes to decode); the render uses the grey stand-in.
MAX_PIXELS = 40_000_000
# Seconds a render may take before it gives up for the generated clip; checked between frames.
RENDER_SECONDS = 20.0
# Renders a server runs at once (CPU work on a shared machine); the others wait their turn
# without holding a thread, and no render can hold a slot past RENDER_SECONDS.
RENDER_SLOTS = 2

_cache: OrderedDict[bytes, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class _OutOfTime(Exception):
    """The render ran past its deadline."""


def render(image: bytes | None, audio: bytes | None) -> bytes:
    """An MP4 (H.264 + AAC) of ``image`` speaking ``audio``; generated stand-ins for either.

    Past RENDER_SECONDS the generated clip (no inputs) is answered instead.
    """
    key = hashlib.sha256(b"%d:" % len(image or b"") + (image or b"") + (audio or b"")).digest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    try:
        video = _render(image, audio, time.monotonic() + RENDER_SECONDS)
    except _OutOfTime:
        # Not cached under these inputs: on a less busy machine they may render in time. The
        # generated clip has no deadline (see _render), so this ends.
        return render(None, None)
    with _cache_lock:
        _cache[key] = video
        while len(_cache) > _CACHE_ENTRIES:
            _cache.popitem(last=False)
    return video


def _in_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise _OutOfTime


def _render(image: bytes | None, audio: bytes | None, deadline: float = math.inf) -> bytes:
    import av

    if image is None and audio is None:
        deadline = math.inf  # the generated clip: fixed and cheap, the fallback of the others
    frames = _voice(audio, deadline) if audio else None
    if not frames:
        frames = _murmur()
    picture = _picture(image) if image else None
    if picture is None:
        picture = _plain_picture()
    width, height = picture.width, picture.height
    mouths = [_with_mouth(picture, opening / (_MOUTHS - 1)) for opening in range(_MOUTHS)]

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "30"}
        sound = container.add_stream("aac", rate=RATE, layout="mono")
        samples = sum(frame.samples for frame in frames)
        count = max(1, math.ceil(samples * FPS / RATE))
        peaks = _peaks(frames, count)
        loudest = max(peaks) or 1.0
        queue = iter(frames)
        sent = 0  # audio samples muxed so far
        for index in range(count):
            _in_time(deadline)
            # Interleave: the audio up to this picture's time, then the picture.
            while sent * FPS < (index + 1) * RATE:
                frame = next(queue, None)
                if frame is None:
                    break
                frame.pts = sent
                sent += frame.samples
                container.mux(sound.encode(frame))
            level = min(_MOUTHS - 1, round(peaks[index] / loudest * (_MOUTHS - 1)))
            still = mouths[level]
            still.pts = index
            still.time_base = Fraction(1, FPS)
            container.mux(video.encode(still))
        for frame in queue:
            frame.pts = sent
            sent += frame.samples
            container.mux(sound.encode(frame))
        container.mux(video.encode(None))
        container.mux(sound.encode(None))
    return out.getvalue()


def _voice(audio: bytes, deadline: float = math.inf) -> list[Any] | None:
    """The audio as mono float frames at RATE, cut at MAX_SECONDS; None if it will not decode."""
    import av

    try:
        frames = []
        total = 0
        with av.open(io.BytesIO(audio), "r") as container:
            if not container.streams.audio:
                return None
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=RATE, frame_size=1024)
            for decoded in container.decode(audio=0):
                _in_time(deadline)
                for frame in resampler.resample(decoded):
                    frames.append(frame)
                    total += frame.samples
                if total >= MAX_SECONDS * RATE:
                    break
            else:
                frames.extend(resampler.resample(None))
        return frames or None
    except (av.FFmpegError, ValueError, IndexError, OSError):
        return None


def _murmur() -> list[Any]:
    """FALLBACK_SECONDS of a soft tone pulsing like syllables, so the mouth has moves."""
    import av

    frames = []
    samples = int(FALLBACK_SECONDS * RATE)
    for start in range(0, samples, 1024):
        size = min(1024, samples - start)
        values = array.array(
            "f",
            (
                0.2
                * math.sin(2 * math.pi * 220 * (start + i) / RATE)
                * max(0.0, math.sin(2 * math.pi * 3 * (start + i) / RATE))
                for i in range(size)
            ),
        )
        frame = av.AudioFrame(format="fltp", layout="mono", samples=size)
        frame.sample_rate = RATE
        frame.planes[0].update(values.tobytes() + bytes(frame.planes[0].buffer_size - 4 * size))
        frames.append(frame)
    return frames


def _peaks(frames: list[Any], count: int) -> list[float]:
    """The loudest sample under each of ``count`` pictures."""
    peaks = [0.0] * count
    position = 0
    for frame in frames:
        values = array.array("f", bytes(frame.planes[0])[: 4 * frame.samples])
        if values:
            index = min(count - 1, position * FPS // RATE)
            peaks[index] = max(peaks[index], max(values), -min(values))
        position += frame.samples
    return peaks


def _picture(image: bytes) -> Any:
    """The image's first frame, at most MAX_SIDE on its longer side; None if it will not decode
    or claims more than MAX_PIXELS."""
    import av

    # FFmpeg checks the size a header claims against max_pixels before it allocates a frame:
    # when opening (which decodes a first frame to learn the size) and when decoding.
    limit = {"max_pixels": str(MAX_PIXELS)}
    try:
        with av.open(io.BytesIO(image), "r", options=limit) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            if not 0 < stream.width * stream.height <= MAX_PIXELS:
                return None  # refused by its header (0: FFmpeg would not decode it to learn)
            stream.codec_context.options = limit
            frame = next(container.decode(video=0))
    except (av.FFmpegError, ValueError, StopIteration, IndexError, OSError):
        return None
    scale = min(1.0, MAX_SIDE / max(frame.width, frame.height))
    width = max(2, int(frame.width * scale) // 2 * 2)
    height = max(2, int(frame.height * scale) // 2 * 2)
    return frame.reformat(width=width, height=height, format="yuv420p")


def _plain_picture() -> Any:
    import av

    frame = av.VideoFrame(MAX_SIDE, MAX_SIDE, "yuv420p")
    for plane, value in zip(frame.planes, (110, 128, 128), strict=True):
        plane.update(bytes([value]) * plane.buffer_size)
    return frame


def _with_mouth(picture: Any, opening: float) -> Any:
    """A copy of ``picture`` with a dark band, as tall as ``opening`` allows, under its centre."""
    import av

    width, height = picture.width, picture.height
    copy = av.VideoFrame(width, height, "yuv420p")
    luma = bytearray(bytes(picture.planes[0]))
    stride = picture.planes[0].line_size
    band = int(height * 0.07 * opening)
    left, right = int(width * 0.43), int(width * 0.57)
    top = int(height * 0.6) - band // 2
    for row in range(max(0, top), min(height, top + band)):
        luma[row * stride + left : row * stride + right] = bytes([24]) * (right - left)
    planes = [bytes(luma), bytes(picture.planes[1]), bytes(picture.planes[2])]
    for target, data, source in zip(copy.planes, planes, picture.planes, strict=True):
        if target.line_size == source.line_size:
            target.update(data)
        else:  # strides differ: copy row by row
            rows = len(data) // source.line_size
            buffer = bytearray(target.buffer_size)
            size = min(target.line_size, source.line_size)
            for row in range(rows):
                start = row * source.line_size
                buffer[row * target.line_size : row * target.line_size + size] = data[
                    start : start + size
                ]
            target.update(bytes(buffer))
    return copy
