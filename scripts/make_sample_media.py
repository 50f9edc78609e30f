"""Draw the sample portrait and record the sample voice that `make demo` sends to the mock.

    python scripts/make_sample_media.py    # rewrite examples/media/portrait.png and voice.wav

Only the standard library: the PNG is written with zlib and struct (one IDAT, filter 0), the
WAV with the wave module, so nobody has to trust an opaque binary: the files in the repository
are what this script draws.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
import zlib
from pathlib import Path

MEDIA = Path(__file__).resolve().parent.parent / "examples" / "media"
PORTRAIT = "portrait.png"
VOICE = "voice.wav"

SIZE = 256
RATE = 16_000
SECONDS = 2.0

Color = tuple[int, int, int]

BACKGROUND_TOP: Color = (176, 206, 232)
BACKGROUND_BOTTOM: Color = (92, 128, 170)
SKIN: Color = (236, 196, 164)
SHADE: Color = (214, 170, 138)
HAIR: Color = (72, 48, 36)
SHIRT: Color = (46, 92, 74)
EYE_WHITE: Color = (250, 250, 250)
IRIS: Color = (60, 92, 130)
MOUTH: Color = (178, 74, 80)


def _inside(x: float, y: float, cx: float, cy: float, rx: float, ry: float) -> bool:
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def _pixel(x: int, y: int) -> Color:
    """The portrait as a function of the pixel: later shapes are painted over earlier ones."""
    px, py = x + 0.5, y + 0.5
    t = y / (SIZE - 1)
    color: Color = (
        round(BACKGROUND_TOP[0] * (1 - t) + BACKGROUND_BOTTOM[0] * t),
        round(BACKGROUND_TOP[1] * (1 - t) + BACKGROUND_BOTTOM[1] * t),
        round(BACKGROUND_TOP[2] * (1 - t) + BACKGROUND_BOTTOM[2] * t),
    )
    if _inside(px, py, 128, 262, 104, 64):
        color = SHIRT
    if 108 <= px <= 148 and 150 <= py <= 206:
        color = SHADE
    if _inside(px, py, 128, 96, 62, 70):
        color = HAIR
    if _inside(px, py, 128, 112, 54, 66) and py > 64:
        color = SKIN
    for ex in (106, 150):
        if _inside(px, py, ex, 110, 11, 7):
            color = EYE_WHITE
        if _inside(px, py, ex, 110, 5, 5):
            color = IRIS
    if 124 <= px <= 132 and 112 <= py <= 138:
        color = SHADE
    if _inside(px, py, 128, 152, 18, 7) and py >= 150:
        color = MOUTH
    return color


def portrait_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = bytearray()
    for y in range(SIZE):
        rows.append(0)  # filter type 0 (None) for every scanline
        for x in range(SIZE):
            rows.extend(_pixel(x, y))
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def voice_wav() -> bytes:
    """A vowel-like hum whose loudness rises and falls about four times a second, like syllables."""
    frames = bytearray()
    for n in range(int(RATE * SECONDS)):
        t = n / RATE
        pitch = 140 + 20 * math.sin(2 * math.pi * 0.7 * t)
        phase = 2 * math.pi * pitch * t
        tone = math.sin(phase) + 0.5 * math.sin(2 * phase) + 0.25 * math.sin(3 * phase)
        syllables = 0.5 - 0.5 * math.cos(2 * math.pi * 4 * t)
        frames.extend(struct.pack("<h", round(7000 * syllables * tone)))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return buffer.getvalue()


def main() -> int:
    MEDIA.mkdir(parents=True, exist_ok=True)
    for name, data in ((PORTRAIT, portrait_png()), (VOICE, voice_wav())):
        path = MEDIA / name
        path.write_bytes(data)
        print(f"wrote {path.relative_to(MEDIA.parent.parent)} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
