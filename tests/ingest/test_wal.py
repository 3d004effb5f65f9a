"""The write-ahead log: framing, torn-tail recovery, group commit, rotation and checkpoints."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from watchkeeper.ingest.wal import (
    HEADER,
    Frame,
    WalCorruptedError,
    WalError,
    WriteAheadLog,
)


def segment_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.wal"))


def test_frames_come_back_in_order_with_their_offsets(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path) as log:
        ends = [log.append(f"payload-{i}".encode()).result() for i in range(5)]
        frames = list(log.replay())
    assert [f.payload for f in frames] == [f"payload-{i}".encode() for i in range(5)]
    assert [f.end for f in frames] == ends
    assert [f.offset for f in frames] == [0, *ends[:-1]]
    assert ends[0] == HEADER.size + len(b"payload-0")


def test_replay_after_an_offset_skips_what_was_applied(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path) as log:
        ends = [log.append(bytes([i]) * 10).result() for i in range(4)]
        assert [f.payload[0] for f in log.replay(after=ends[1])] == [2, 3]
        assert list(log.replay(after=ends[-1])) == []
        with pytest.raises(WalError, match="not a frame boundary"):
            list(log.replay(after=ends[0] + 1))


def test_frames_survive_reopening(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path) as log:
        log.append(b"first").result()
    with WriteAheadLog(tmp_path) as log:
        assert log.recovery.frames == 1 and log.recovery.dropped_bytes == 0
        end = log.append(b"second").result()
        assert [f.payload for f in log.replay()] == [b"first", b"second"]
        assert log.end == end


@pytest.mark.parametrize(
    ("damage", "dropped"),
    [
        # half a header: the process died while writing it
        (lambda data: data + b"\x05\x00", 2),
        # a header promising more bytes than the file has
        (lambda data: data + HEADER.pack(100, 0) + b"abc", HEADER.size + 3),
        # a whole frame whose payload does not match its CRC
        (lambda data: data + HEADER.pack(3, zlib.crc32(b"abc")) + b"abd", HEADER.size + 3),
        # zeros left by a crash after the file grew but before the data landed
        (lambda data: data + bytes(64), 64),
    ],
)
def test_a_torn_tail_is_truncated_and_reported(
    tmp_path: Path, damage: Callable[[bytes], bytes], dropped: int
) -> None:
    with WriteAheadLog(tmp_path) as log:
        log.append(b"kept-1").result()
        end = log.append(b"kept-2").result()
    path = segment_files(tmp_path)[-1]
    path.write_bytes(damage(path.read_bytes()))
    with WriteAheadLog(tmp_path) as log:
        assert log.recovery.dropped_bytes == dropped
        assert log.recovery.frames == 2
        assert log.end == end == path.stat().st_size
        assert log.append(b"after").result() == end + HEADER.size + 5
        assert [f.payload for f in log.replay()] == [b"kept-1", b"kept-2", b"after"]


def test_damage_before_the_tail_is_refused(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path, segment_bytes=32) as log:
        for i in range(4):
            log.append(b"x" * 40 + bytes([i])).result()
    first = segment_files(tmp_path)[0]
    data = bytearray(first.read_bytes())
    data[-1] ^= 0xFF
    first.write_bytes(bytes(data))
    with pytest.raises(WalCorruptedError, match="before the log's tail"):
        WriteAheadLog(tmp_path)


def test_concurrent_appends_share_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_sync = os.fdatasync

    def slow_sync(fd: int) -> None:  # a disk that takes 5 ms per flush
        time.sleep(0.005)
        real_sync(fd)

    monkeypatch.setattr(os, "fdatasync", slow_sync)
    threads, per_thread = 8, 50
    with WriteAheadLog(tmp_path) as log:

        def writer(k: int) -> None:
            for i in range(per_thread):
                log.append(f"{k}-{i}".encode()).result()

        workers = [threading.Thread(target=writer, args=(k,)) for k in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        stats = log.stats()
        payloads = {f.payload for f in log.replay()}
    assert stats.frames == threads * per_thread == len(payloads)
    # each appender waits for its fsync, so while one flush runs the others queue up
    assert stats.fsyncs == stats.groups
    assert stats.fsyncs <= threads * per_thread / 2  # at least two frames per flush on average


def test_durable_frames_are_handed_on_before_appenders_hear_back(tmp_path: Path) -> None:
    seen: list[Frame] = []
    with WriteAheadLog(tmp_path, on_durable=seen.extend) as log:
        end = log.append(b"one").result()
        assert [f.end for f in seen] == [end]
        log.append(b"two").result()
    assert [f.payload for f in seen] == [b"one", b"two"]


def test_async_appends_wait_without_blocking_the_loop(tmp_path: Path) -> None:
    async def main(log: WriteAheadLog) -> list[int]:
        return list(await asyncio.gather(*(log.append_async(b"e%d" % i) for i in range(20))))

    with WriteAheadLog(tmp_path) as log:
        ends = asyncio.run(main(log))
        assert sorted(ends) == [f.end for f in log.replay()]


def test_segments_rotate_and_checkpoints_delete_applied_ones(tmp_path: Path) -> None:
    with WriteAheadLog(tmp_path, segment_bytes=100) as log:
        ends = [log.append(b"y" * 60).result() for _ in range(6)]
        assert len(segment_files(tmp_path)) == 3  # two frames per segment
        assert log.checkpoint(ends[0]) == 0  # the first segment still holds an unapplied frame
        assert log.checkpoint(ends[3]) == 2
        assert len(segment_files(tmp_path)) == 1
        assert [f.end for f in log.replay(after=ends[3])] == ends[4:]
        assert log.checkpoint(ends[5]) == 0  # the segment being written is never deleted
    with WriteAheadLog(tmp_path, segment_bytes=100) as log:
        assert log.end == ends[5] and list(log.replay(after=ends[5])) == []


def test_a_closed_log_takes_no_frames(tmp_path: Path) -> None:
    log = WriteAheadLog(tmp_path)
    pending = [log.append(b"queued") for _ in range(10)]
    log.close()
    assert all(f.result(timeout=1) > 0 for f in pending)  # close writes what is queued
    with pytest.raises(WalError, match="closed"):
        log.append(b"late")


def test_a_failed_fsync_fails_the_waiters_and_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    with WriteAheadLog(tmp_path) as log:
        monkeypatch.setattr(os, "fdatasync", broken)
        with pytest.raises(WalError, match="cannot sync"):
            log.append(b"lost").result()
        assert log.failure is not None
        with pytest.raises(WalError, match="failed"):
            log.append(b"refused")
