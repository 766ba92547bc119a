"""A durable on-disk FIFO of opaque byte records (the outage buffer of ingest and the gateways).

Layout under ``directory``: segment files ``<first record id>.seg`` and a ``commit`` file holding
the id of the last record the reader is done with.  Every record is framed as

    u32 length | u32 crc32 | f64 append time | payload

with the CRC over (length, time, payload).  The top bit of ``length`` says "more records of the
same append follow": a batch is only kept on reopen once its last record is complete, so a
SIGKILL in the middle of :meth:`Spool.append` loses the whole (unacknowledged) batch, never half.

Appends are fsync'd before they return; the commit position is replaced atomically (write a
temporary file, fsync, rename, fsync the directory).  Fully committed segments are deleted, and an
empty spool keeps no segment at all, so in steady state (sink healthy) the directory stays empty.
One process owns a spool, and holds an exclusive ``flock`` on ``<directory>/lock`` from opening to
:meth:`Spool.close` (the kernel drops it when the process dies, even on SIGKILL): a second opener
gets :class:`SpoolLocked` before touching any file.  Appends and reads may come from different
threads of the owner.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<IId")  # length (+ "batch continues" flag), crc32, append time (epoch s)
_MORE = 0x8000_0000
_MAX_RECORD = _MORE - 1
_COMMIT = struct.Struct("<qI")  # last committed id, crc32 of that id
_SUFFIX = ".seg"


class SpoolFull(Exception):
    """Appending would exceed the spool's disk budget: stop accepting (back-pressure)."""


class SpoolLocked(RuntimeError):
    """Another process (or another open :class:`Spool`) owns this spool directory."""


@dataclass
class _Segment:
    first_id: int
    path: Path
    size: int  # bytes on disk
    count: int  # records in the segment

    @property
    def end_id(self) -> int:  # one past the last record
        return self.first_id + self.count


def _crc(length_word: int, ts: float, payload: bytes) -> int:
    return zlib.crc32(payload, zlib.crc32(struct.pack("<Id", length_word, ts)))


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fh: BinaryIO, data: bytes) -> None:
    """Write all of ``data`` to an unbuffered file (a raw write may stop short, e.g. disk full)."""
    view = memoryview(data)
    while view:
        view = view[fh.write(view) :]


def _lock_directory(directory: Path) -> BinaryIO:
    """Take the exclusive lock of a spool directory (held until the returned file is closed)."""
    fh = open(directory / "lock", "a+b")  # noqa: SIM115 - held for the life of the spool
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        owner = fh.read(32).decode(errors="replace").strip()
        fh.close()
        raise SpoolLocked(
            f"spool {directory} is in use by another process" + (f" (pid {owner})" if owner else "")
        ) from None
    fh.truncate(0)
    fh.write(str(os.getpid()).encode())
    fh.flush()
    return fh


def _scan(path: Path) -> tuple[int, int]:
    """Count the complete batches' records in a segment: (records, valid bytes)."""
    data = path.read_bytes()
    pos = good_pos = 0
    count = good_count = 0
    while pos + _HEADER.size <= len(data):
        word, crc, ts = _HEADER.unpack_from(data, pos)
        n = word & _MAX_RECORD
        end = pos + _HEADER.size + n
        if end > len(data) or _crc(word, ts, data[pos + _HEADER.size : end]) != crc:
            break
        pos, count = end, count + 1
        if not word & _MORE:
            good_pos, good_count = pos, count
    return good_count, good_pos


class Spool:
    """Durable FIFO of byte records with ids that increase by one per record."""

    def __init__(
        self, directory: Path, max_bytes: int, segment_bytes: int = 8 << 20, fsync: bool = True
    ) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock_fh = _lock_directory(self.directory)
        try:
            self._open(max_bytes, segment_bytes, fsync)
        except BaseException:
            self._lock_fh.close()
            raise

    def _open(self, max_bytes: int, segment_bytes: int, fsync: bool) -> None:
        self.max_bytes = max_bytes
        # Disk is freed a whole segment at a time, so a segment must be small next to the budget.
        self.segment_bytes = max(4096, min(segment_bytes, max_bytes // 4))
        self.fsync = fsync
        self._lock = threading.RLock()
        self._segments: list[_Segment] = []
        self._tail: BinaryIO | None = None  # the open append handle of the last segment
        self._closed = False
        self._recover(self._read_commit())
        # Read cursor: the first uncommitted record (id, byte offset in the head segment).
        self._cursor_id = self._committed + 1
        self._cursor_off = 0
        self._depth_bytes = 0
        self._oldest_ts: float | None = None
        self._position_cursor()

    # -- recovery --------------------------------------------------------------------------------

    def _read_commit(self) -> int | None:
        """The last committed id (-1: none yet), or ``None`` when the commit file is damaged."""
        path = self.directory / "commit"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return -1
        intact = len(raw) == _COMMIT.size
        if intact:
            committed, crc = _COMMIT.unpack(raw)
            intact = zlib.crc32(struct.pack("<q", committed)) == crc
        if not intact:
            # Which records were sent is unknown: sending every record kept again loses none, and
            # the writes downstream are idempotent (the same reading overwrites itself).
            log.error("spool commit file %s is damaged: every record kept is sent again", path)
            return None
        return int(committed)

    def _recover(self, committed: int | None) -> None:
        paths = sorted(self.directory.glob(f"*{_SUFFIX}"), key=lambda p: int(p.stem))
        if committed is None:  # a damaged commit file: none of the segments kept counts as sent
            committed = int(paths[0].stem) - 1 if paths else -1
        self._committed = committed
        for i, path in enumerate(paths):
            count, valid = _scan(path)
            size = path.stat().st_size
            if valid < size:
                if i < len(paths) - 1:
                    log.error("spool segment %s is damaged after byte %d; the rest is lost", path, valid)
                else:
                    log.warning("spool: discarding a torn last append (%d bytes) in %s", size - valid, path)
                with open(path, "r+b") as fh:
                    fh.truncate(valid)
                    os.fsync(fh.fileno())
            seg = _Segment(int(path.stem), path, valid, count)
            if seg.end_id <= self._committed + 1 or seg.count == 0:
                path.unlink()  # fully committed (the delete did not happen before a crash) or empty
                continue
            self._segments.append(seg)
        if self._segments and self._segments[0].first_id > self._committed + 1:
            first = self._segments[0].first_id
            log.error("spool: records %d..%d are missing", self._committed + 1, first - 1)
            self._committed = first - 1

    def _position_cursor(self) -> None:
        """Place the read cursor on the first uncommitted record of the head segment."""
        self._depth_bytes = sum(s.size for s in self._segments)
        if not self._segments:
            return
        head = self._segments[0]
        skip = self._cursor_id - head.first_id
        off = 0
        with open(head.path, "rb") as fh:
            for _ in range(skip):
                fh.seek(off)
                word, _crc32, _ts = _HEADER.unpack(fh.read(_HEADER.size))
                off += _HEADER.size + (word & _MAX_RECORD)
        self._cursor_off = off
        self._depth_bytes -= off
        self._oldest_ts = self._ts_at(head.path, off)

    @staticmethod
    def _ts_at(path: Path, offset: int) -> float:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return float(_HEADER.unpack(fh.read(_HEADER.size))[2])

    # -- properties ------------------------------------------------------------------------------

    @property
    def next_id(self) -> int:
        with self._lock:
            return self._segments[-1].end_id if self._segments else self._committed + 1

    @property
    def depth_records(self) -> int:
        with self._lock:
            return self.next_id - self._cursor_id

    @property
    def depth_bytes(self) -> int:
        """Bytes of the records not yet committed (framing included)."""
        with self._lock:
            return self._depth_bytes

    @property
    def disk_bytes(self) -> int:
        """Bytes the segments take on disk (what ``max_bytes`` bounds)."""
        with self._lock:
            return sum(s.size for s in self._segments)

    def oldest_age_s(self) -> float | None:
        """Seconds since the oldest uncommitted record was appended (``None`` when empty)."""
        with self._lock:
            return None if self._oldest_ts is None else max(0.0, time.time() - self._oldest_ts)

    # -- writing ---------------------------------------------------------------------------------

    def append(self, records: Sequence[bytes]) -> None:
        """Append ``records`` all-or-nothing and fsync before returning.

        Raises :class:`SpoolFull` when they would exceed ``max_bytes`` (nothing is written), and
        ``ValueError`` for a batch that could never fit.
        """
        if not records:
            return
        now = time.time()
        parts: list[bytes] = []
        last = len(records) - 1
        for i, rec in enumerate(records):
            payload = bytes(rec)
            if len(payload) > _MAX_RECORD:
                raise ValueError("a spool record must be smaller than 2 GiB")
            word = len(payload) | (_MORE if i < last else 0)
            parts.append(_HEADER.pack(word, _crc(word, now, payload), now))
            parts.append(payload)
        blob = b"".join(parts)
        if len(blob) > self.max_bytes:
            raise ValueError(f"a batch of {len(blob)} bytes can never fit a {self.max_bytes}-byte spool")
        with self._lock:
            self._check_open()
            if self.disk_bytes + len(blob) > self.max_bytes:
                raise SpoolFull(
                    f"spool {self.directory} is full ({self.disk_bytes} of {self.max_bytes} bytes)"
                )
            seg = self._writable_segment()
            fh = self._tail
            assert fh is not None  # _writable_segment opened it
            try:
                _write_all(fh, blob)
                if self.fsync:
                    os.fsync(fh.fileno())
            except OSError:
                # Disk full or I/O error: cut the partial batch off so the file stays well framed.
                os.ftruncate(fh.fileno(), seg.size)
                raise
            was_empty = self.depth_records == 0
            seg.size += len(blob)
            seg.count += len(records)
            self._depth_bytes += len(blob)
            if was_empty:
                self._oldest_ts = now

    def _writable_segment(self) -> _Segment:
        if self._segments and self._segments[-1].size < self.segment_bytes and self._tail is not None:
            return self._segments[-1]
        first = self.next_id
        path = self.directory / f"{first:020d}{_SUFFIX}"
        self._close_tail()
        # Unbuffered: a refused batch must not linger in a buffer and be written with the next one.
        self._tail = open(path, "ab", buffering=0)  # noqa: SIM115 - kept open until the next roll
        if self.fsync:
            _fsync_dir(self.directory)  # the new file's name must survive a crash too
        seg = _Segment(first, path, 0, 0)
        self._segments.append(seg)
        return seg

    def _close_tail(self) -> None:
        if self._tail is not None:
            self._tail.close()
            self._tail = None

    # -- reading ---------------------------------------------------------------------------------

    def peek(self, max_records: int, max_bytes: int | None = None) -> list[tuple[int, bytes]]:
        """Up to ``max_records`` of the oldest uncommitted records as ``(id, record)``; not removed.

        With ``max_bytes``, stops once the records read hold that many bytes (at least one record).
        """
        out: list[tuple[int, bytes]] = []
        size = 0
        with self._lock:
            self._check_open()
            rid, off = self._cursor_id, self._cursor_off
            for seg in self._segments:
                if len(out) >= max_records:
                    break
                if seg.end_id <= rid:
                    continue
                rid = max(rid, seg.first_id)  # ids only jump after a damaged segment was cut
                with open(seg.path, "rb") as fh:
                    fh.seek(off)
                    while rid < seg.end_id and len(out) < max_records:
                        if max_bytes is not None and out and size >= max_bytes:
                            return out
                        word, crc, ts = _HEADER.unpack(fh.read(_HEADER.size))
                        payload = fh.read(word & _MAX_RECORD)
                        if _crc(word, ts, payload) != crc:
                            raise RuntimeError(f"spool record {rid} in {seg.path} fails its checksum")
                        out.append((rid, payload))
                        size += len(payload)
                        rid += 1
                off = 0
        return out

    def commit(self, upto_id: int) -> None:
        """Durably drop every record up to and including ``upto_id``."""
        with self._lock:
            self._check_open()
            if upto_id < self._cursor_id:
                return
            if upto_id >= self.next_id:
                raise ValueError(f"cannot commit {upto_id}: the last record is {self.next_id - 1}")
            self._write_commit(upto_id)
            self._committed = upto_id
            self._advance_cursor(upto_id + 1)
            self._drop_consumed_segments()

    def _write_commit(self, upto_id: int) -> None:
        tmp = self.directory / "commit.tmp"
        with open(tmp, "wb") as fh:
            fh.write(_COMMIT.pack(upto_id, zlib.crc32(struct.pack("<q", upto_id))))
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, self.directory / "commit")
        if self.fsync:
            _fsync_dir(self.directory)

    def _advance_cursor(self, new_id: int) -> None:
        rid, off = self._cursor_id, self._cursor_off
        for seg in self._segments:
            if seg.end_id <= rid:
                continue
            if new_id >= seg.end_id:  # the whole rest of this segment is consumed
                self._depth_bytes -= seg.size - off
                rid, off = seg.end_id, 0
                continue
            with open(seg.path, "rb") as fh:
                while rid < new_id:
                    fh.seek(off)
                    word = _HEADER.unpack(fh.read(_HEADER.size))[0]
                    step = _HEADER.size + (word & _MAX_RECORD)
                    off += step
                    self._depth_bytes -= step
                    rid += 1
            break
        self._cursor_id, self._cursor_off = new_id, off

    def _drop_consumed_segments(self) -> None:
        while self._segments and self._segments[0].end_id <= self._cursor_id:
            seg = self._segments.pop(0)
            if not self._segments:
                self._close_tail()  # the spool is empty: the next append starts a fresh segment
            seg.path.unlink(missing_ok=True)
        if self._segments:
            self._oldest_ts = self._ts_at(self._segments[0].path, self._cursor_off)
        else:
            self._oldest_ts = None
            self._depth_bytes = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the spool is closed")

    def close(self) -> None:
        with self._lock:
            self._close_tail()
            self._closed = True
            self._lock_fh.close()  # releases the flock

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
