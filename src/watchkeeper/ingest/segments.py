"""Segment files of the write-ahead log: naming, framing, scanning and torn-tail recovery.

A segment is named by the log offset of its first byte (20 digits) and holds whole frames:
``length (u32 LE) | crc32 of payload (u32 LE) | payload``.

>>> data = HEADER.pack(3, zlib.crc32(b"abc")) + b"abc" + b"xy"  # a frame and a torn header
>>> valid_prefix(data)
(11, 1)
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from watchkeeper.errors import WatchkeeperError

HEADER = struct.Struct("<II")
SEGMENT_BYTES = 64 * 1024 * 1024
SUFFIX = ".wal"


class WalError(WatchkeeperError):
    """The log cannot take or give frames (closed, failed disk, corruption)."""


class WalCorruptedError(WalError):
    """A frame before the tail of the log is damaged: acknowledged data would be lost."""


@dataclass(frozen=True)
class Frame:
    offset: int  # log position of the frame's header
    end: int  # log position just after the frame
    payload: bytes


@dataclass(frozen=True)
class Recovery:
    """What opening the log found."""

    segments: int
    frames: int
    end: int  # log position where the next frame goes
    dropped_bytes: int  # torn tail removed from the last segment


def segment_name(start: int) -> str:
    return f"{start:020d}{SUFFIX}"


def segment_starts(directory: Path) -> list[int]:
    return sorted(int(p.stem) for p in directory.glob("*" + SUFFIX) if p.stem.isdigit())


def open_segment(directory: Path, start: int) -> int:
    path = directory / segment_name(start)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    if created:  # make the new file's directory entry durable too
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return fd


def frames_in(data: bytes, base: int) -> Iterator[Frame]:
    position = 0
    while position < len(data):
        length, _crc = HEADER.unpack_from(data, position)
        start = position + HEADER.size
        payload = data[start : start + length]
        yield Frame(base + position, base + start + length, payload)
        position = start + length


def valid_prefix(data: bytes) -> tuple[int, int]:
    """How many leading bytes of ``data`` are whole, intact frames, and how many frames."""
    position = count = 0
    while position + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, position)
        start = position + HEADER.size
        if length == 0 or start + length > len(data):
            break
        if zlib.crc32(data[start : start + length]) != crc:
            break
        position = start + length
        count += 1
    return position, count


def recover(directory: Path) -> Recovery:
    starts = segment_starts(directory)
    frames = dropped = 0
    end = starts[0] if starts else 0
    for i, start in enumerate(starts):
        path = directory / segment_name(start)
        if start != end:
            raise WalCorruptedError(f"{path}: segment starts at {start}, expected {end}")
        data = path.read_bytes()
        valid, count = valid_prefix(data)
        frames += count
        if valid < len(data):
            if i + 1 < len(starts):
                raise WalCorruptedError(
                    f"{path}: damaged frame at byte {valid} before the log's tail"
                )
            with path.open("r+b") as handle:
                handle.truncate(valid)
                os.fsync(handle.fileno())
            dropped = len(data) - valid
        end = start + valid
    return Recovery(len(starts), frames, end, dropped)
