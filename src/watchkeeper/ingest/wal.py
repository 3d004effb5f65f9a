"""The write-ahead log: append-only segment files, one fsync per group of appends.

Layout: ``<dir>/<start offset, 20 digits>.wal``. An offset is a byte position in the whole log
(segments are contiguous). Each frame is ``length (u32 LE) | crc32 of payload (u32 LE) |
payload``. A single writer thread takes every frame queued so far, writes them with one
``write``, calls ``fdatasync`` once, hands them to ``on_durable`` and only then completes each
appender's future with the frame's end offset (the position to checkpoint once it is applied).
A group goes to a new segment once the current one has reached ``segment_bytes``.

On open the segments are scanned: a torn tail (short header, length past the end of the file,
zero length or a CRC mismatch) in the last segment is truncated and its size reported in
:attr:`Recovery.dropped_bytes`; damage anywhere else raises :class:`WalCorruptedError`, because
frames after it were acknowledged. :meth:`WriteAheadLog.checkpoint` deletes the closed
segments whose frames are all applied.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d, WriteAheadLog(Path(d)) as log:
...     ends = [log.append(p).result() for p in (b"one", b"two")]
...     ends, [(f.offset, f.payload) for f in log.replay(after=ends[0])]
([11, 22], [(11, b'two')])
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from watchkeeper.ingest.segments import (
    HEADER,
    SEGMENT_BYTES,
    Frame,
    Recovery,
    WalCorruptedError,
    WalError,
    frames_in,
    open_segment,
    recover,
    segment_name,
    segment_starts,
)

__all__ = ["HEADER", "Frame", "Recovery", "WalCorruptedError", "WalError", "WriteAheadLog"]

@dataclass(frozen=True)
class WalStats:
    frames: int
    groups: int
    fsyncs: int
    bytes: int
    end: int
    segments: int


_STOP = object()
# who waits for a frame: a thread (a concurrent Future) or a coroutine (an asyncio Future,
# completed on its loop: one wake-up of that loop per written group, not one per frame)
_Waiter = Future[int] | tuple[asyncio.AbstractEventLoop, "asyncio.Future[int]"]
_Pending = tuple[bytes, _Waiter]


class WriteAheadLog:
    def __init__(
        self,
        directory: Path,
        *,
        segment_bytes: int = SEGMENT_BYTES,
        on_durable: Callable[[list[Frame]], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self.on_durable = on_durable
        self.directory.mkdir(parents=True, exist_ok=True)
        self.recovery = recover(self.directory)
        self._end = self.recovery.end
        self._starts = segment_starts(self.directory) or [self._end]
        self._fd = open_segment(self.directory, self._starts[-1])
        self._queue: queue.SimpleQueue[_Pending | object] = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards _closed and the counters
        self._closed = False
        self._failure: BaseException | None = None
        self._frames = self._groups = self._fsyncs = self._bytes = 0
        self._thread = threading.Thread(target=self._run, name="wal-writer", daemon=True)
        self._thread.start()

    def __enter__(self) -> WriteAheadLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def end(self) -> int:
        return self._end

    @property
    def failure(self) -> BaseException | None:
        return self._failure

    def stats(self) -> WalStats:
        with self._lock:
            return WalStats(
                self._frames, self._groups, self._fsyncs, self._bytes, self._end, len(self._starts)
            )

    def append(self, payload: bytes) -> Future[int]:
        """Queue one frame; the future gives its end offset once it is on disk."""
        future: Future[int] = Future()
        self._put(payload, future)
        return future

    async def append_async(self, payload: bytes) -> int:
        """:meth:`append` for the event loop: waits without blocking it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._put(payload, (loop, future))
        return await future

    def _put(self, payload: bytes, waiter: _Waiter) -> None:
        with self._lock:
            if self._closed:
                raise WalError("the log is closed")
            if self._failure is not None:
                raise WalError(f"the log failed and takes no more frames: {self._failure}")
            self._queue.put((payload, waiter))

    def replay(self, after: int = 0) -> Iterator[Frame]:
        """Frames that start at or after ``after`` (a frame boundary), in log order."""
        end = self._end
        starts = list(self._starts)
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else end
            if stop <= after:
                continue
            data = (self.directory / segment_name(start)).read_bytes()[: stop - start]
            for frame in frames_in(data, start):
                if frame.offset >= after:
                    yield frame
                elif frame.end > after:
                    raise WalError(f"offset {after} is not a frame boundary")

    def checkpoint(self, applied: int) -> int:
        """Delete closed segments whose frames all end at or before ``applied``."""
        removed = 0
        with self._lock:
            while len(self._starts) > 1 and self._starts[1] <= applied:
                (self.directory / segment_name(self._starts.pop(0))).unlink(missing_ok=True)
                removed += 1
        return removed

    def close(self) -> None:
        """Write what is queued, then stop the writer and close the segment."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()
        os.close(self._fd)

    def _run(self) -> None:
        stop = False
        while not stop:
            group: list[_Pending] = []
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stop = True
                else:
                    group.append(item)  # type: ignore[arg-type]
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if group:
                self._write(group)

    def _write(self, group: list[_Pending]) -> None:
        if self._failure is not None:
            _fail(group, WalError(f"the log failed: {self._failure}"))
            return
        if self._end - self._starts[-1] >= self.segment_bytes:
            self._rotate(self._end)
        frames: list[Frame] = []
        chunks: list[bytes] = []
        position = self._end
        for payload, _ in group:
            header = HEADER.pack(len(payload), zlib.crc32(payload))
            chunks += (header, payload)
            end = position + HEADER.size + len(payload)
            frames.append(Frame(position, end, payload))
            position = end
        try:
            _write_all(self._fd, b"".join(chunks))
        except OSError as exc:  # e.g. disk full: undo the partial write, keep going
            os.ftruncate(self._fd, self._end - self._starts[-1])
            _fail(group, WalError(f"cannot write the log: {exc}"))
            return
        try:
            os.fdatasync(self._fd)
        except OSError as exc:  # after a failed fsync nothing written can be trusted
            self._failure = exc
            _fail(group, WalError(f"cannot sync the log: {exc}"))
            return
        self._settle(group, frames, position)

    def _settle(self, group: list[_Pending], frames: list[Frame], end: int) -> None:
        with self._lock:
            self._end = end
            self._frames += len(frames)
            self._groups += 1
            self._fsyncs += 1
            self._bytes += end - frames[0].offset
        if self.on_durable is not None:
            self.on_durable(frames)
        _complete(group, [frame.end for frame in frames])

    def _rotate(self, start: int) -> None:
        fd = open_segment(self.directory, start)
        old, self._fd = self._fd, fd
        with self._lock:
            self._starts.append(start)
        os.close(old)


def _fail(group: list[_Pending], error: Exception) -> None:
    _complete(group, [error] * len(group))


def _complete(group: list[_Pending], outcomes: Sequence[int | Exception]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], Any]]] = {}
    for (_, waiter), outcome in zip(group, outcomes, strict=True):
        if isinstance(waiter, Future):
            if waiter.set_running_or_notify_cancel():
                if isinstance(outcome, int):
                    waiter.set_result(outcome)
                else:
                    waiter.set_exception(outcome)
        else:
            by_loop.setdefault(waiter[0], []).append((waiter[1], outcome))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(_settle_async, settled)


def _settle_async(settled: list[tuple[asyncio.Future[int], Any]]) -> None:
    for future, outcome in settled:
        if future.done():  # cancelled: the client went away
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
