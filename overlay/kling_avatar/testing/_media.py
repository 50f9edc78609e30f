"""The bytes the mock serves as generated videos."""

from __future__ import annotations

import struct


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _tiny_mp4() -> bytes:
    # A well-formed ISO base media file (ftyp + moov/mvhd) with no tracks: players and
    # `file`/ffprobe recognise it as MP4, and it is small enough to serve for every task.
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = _box(
        b"mvhd",
        struct.pack(">B3xIIII", 0, 0, 0, 1000, 0)  # version/flags, times, timescale, duration
        + struct.pack(">IH10x", 0x10000, 0x100)  # rate 1.0, volume 1.0, reserved
        + matrix
        + bytes(24)  # pre_defined
        + struct.pack(">I", 1),  # next_track_ID
    )
    return ftyp + _box(b"moov", mvhd)


TINY_MP4 = _tiny_mp4()
VIDEO_CONTENT_TYPE = "video/mp4"
