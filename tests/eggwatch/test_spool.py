"""The durable spool: order, commit, bounds, and crash safety (torn appends, SIGKILL)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eggwatch.spool import Spool, SpoolFull, SpoolLocked


def drain(spool: Spool) -> list[bytes]:
    out = []
    while batch := spool.peek(7):
        out += [rec for _, rec in batch]
        spool.commit(batch[-1][0])
    return out


def test_fifo_order_peek_does_not_remove(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"a", b"bb"])
    s.append([b"ccc"])
    assert s.depth_records == 3
    assert s.peek(2) == [(0, b"a"), (1, b"bb")]
    assert s.peek(10) == [(0, b"a"), (1, b"bb"), (2, b"ccc")]
    s.commit(1)
    assert s.peek(10) == [(2, b"ccc")]
    assert s.depth_records == 1
    s.commit(2)
    assert s.depth_records == 0 and s.depth_bytes == 0 and s.oldest_age_s() is None
    assert s.peek(10) == []
    s.close()


def test_survives_reopen_in_order_and_keeps_commit(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=4096)
    records = [f"rec-{i}".encode() * 50 for i in range(300)]  # many segments
    for i in range(0, 300, 10):
        s.append(records[i : i + 10])
    s.commit(s.peek(125)[-1][0])
    s.close()
    s = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=4096)
    assert s.depth_records == 175
    got = s.peek(1000)
    assert [r for _, r in got] == records[125:]
    assert got[0][0] == 125
    s.append([b"later"])
    assert s.peek(1000)[-1] == (300, b"later")
    assert drain(s) == [*records[125:], b"later"]
    s.close()
    # an empty spool keeps no segment, and ids keep increasing across reopen
    assert not list(tmp_path.glob("*.seg"))
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"x"])
    assert s.peek(1) == [(301, b"x")]
    s.close()


@pytest.mark.parametrize("damage", [b"", b"\x01\x02\x03", b"\x07" * 12])
def test_a_damaged_commit_file_sends_every_kept_record_again(tmp_path: Path, damage: bytes) -> None:
    """Which records were sent is then unknown: replaying what is kept loses none (the writes
    downstream are idempotent), where refusing to open stopped the gateway with a traceback."""
    s = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=4096)
    records = [f"rec-{i}".encode() * 50 for i in range(300)]
    for i in range(0, 300, 10):
        s.append(records[i : i + 10])
    s.commit(s.peek(125)[-1][0])  # the first segments are deleted, the head one partly sent
    s.close()
    kept_from = min(int(p.stem) for p in tmp_path.glob("*.seg"))
    assert 0 < kept_from <= 125
    (tmp_path / "commit").write_bytes(damage)
    s = Spool(tmp_path, max_bytes=1 << 20, segment_bytes=4096)
    assert [r for _, r in s.peek(1000)] == records[kept_from:]
    s.append([b"later"])
    assert s.peek(1000)[-1] == (300, b"later")
    s.close()


def test_commit_is_idempotent_and_bounded(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"a", b"b"])
    s.commit(0)
    s.commit(0)  # already done: no-op
    with pytest.raises(ValueError):
        s.commit(5)
    assert s.peek(5) == [(1, b"b")]
    s.close()


def test_full_spool_refuses_whole_batch(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=20_000, segment_bytes=4096)
    rec = b"x" * 1000
    n = 0
    with pytest.raises(SpoolFull):
        while True:
            s.append([rec, rec])
            n += 2
    assert s.depth_records == n
    assert s.disk_bytes <= 20_000
    with pytest.raises(ValueError):
        s.append([b"y" * 30_000])  # can never fit
    # draining frees whole segments, then appends are accepted again
    drain(s)
    s.append([rec, rec])
    assert s.depth_records == 2
    s.close()


def test_torn_last_append_is_discarded(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"one", b"two"])
    s.append([b"three", b"four", b"five"])
    s.close()
    seg = next(tmp_path.glob("*.seg"))
    size = seg.stat().st_size
    for cut in range(1, 40):  # every way of tearing the last batch loses that batch only
        data = seg.read_bytes()
        seg.write_bytes(data[: size - cut])
        s = Spool(tmp_path, max_bytes=1 << 20)
        assert [r for _, r in s.peek(10)] == [b"one", b"two"], cut
        s.close()
        seg.write_bytes(data)  # restore (the reopen truncated it)


def test_corrupt_byte_in_last_batch_is_detected(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"good"])
    s.append([b"bad-record"])
    s.close()
    seg = next(tmp_path.glob("*.seg"))
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0xFF
    seg.write_bytes(bytes(data))
    s = Spool(tmp_path, max_bytes=1 << 20)
    assert s.peek(10) == [(0, b"good")]
    s.close()


def test_oldest_age(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20)
    assert s.oldest_age_s() is None
    s.append([b"a"])
    age = s.oldest_age_s()
    assert age is not None and 0 <= age < 5
    s.close()


WRITER = """
import sys
from pathlib import Path
from eggwatch.spool import Spool
s = Spool(Path(sys.argv[1]), max_bytes=1 << 30, segment_bytes=64 << 10)
i = 0
print("ready", flush=True)
while True:
    s.append([f"{i}:{k}".encode() * 40 for k in range(5)])
    i += 1
"""


def test_sigkill_mid_append_keeps_whole_batches_in_order(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        deadline = time.monotonic() + 20
        while len(list(tmp_path.glob("*.seg"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    s = Spool(tmp_path, max_bytes=1 << 30)
    records = [r for _, r in s.peek(10**7)]
    assert len(records) >= 5 and len(records) % 5 == 0  # whole batches only
    expected = [f"{i}:{k}".encode() * 40 for i in range(len(records) // 5) for k in range(5)]
    assert records == expected


def test_one_owner_at_a_time(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"a"])
    with pytest.raises(SpoolLocked, match="in use by another process"):
        Spool(tmp_path, max_bytes=1 << 20)
    assert s.peek(5) == [(0, b"a")]  # the refused opener touched nothing
    s.close()
    s = Spool(tmp_path, max_bytes=1 << 20)  # closing released it
    assert s.peek(5) == [(0, b"a")]
    s.close()


HOLDER = """
import sys, time
from pathlib import Path
from eggwatch.spool import Spool
s = Spool(Path(sys.argv[1]), max_bytes=1 << 20)
print("ready", flush=True)
time.sleep(60)
"""


def test_lock_is_per_process_and_dies_with_it(tmp_path: Path) -> None:
    with subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        with pytest.raises(SpoolLocked, match=f"pid {proc.pid}"):
            Spool(tmp_path, max_bytes=1 << 20)
        os.kill(proc.pid, signal.SIGKILL)
    Spool(tmp_path, max_bytes=1 << 20).close()  # the kernel released the dead owner's lock


def test_peek_stops_at_a_byte_budget(tmp_path: Path) -> None:
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"a" * 100, b"b" * 100, b"c" * 100])
    assert [rid for rid, _ in s.peek(10, max_bytes=150)] == [0, 1]
    assert [rid for rid, _ in s.peek(10, max_bytes=1)] == [0]  # always at least one
    assert len(s.peek(10, max_bytes=10_000)) == 3
    s.close()


def test_an_append_the_disk_refuses_leaves_nothing_behind(tmp_path: Path) -> None:
    """A disk that fills in the middle of an append refuses that batch, and only it.

    The file-size limit stands in for a full disk: the write stops short, then fails (EFBIG, like
    ENOSPC).  The refused batch used to stay in the file object's buffer (the truncate flushed it
    first and failed again) and was written later in front of the next batch: the caller had been
    told "refused", yet it was published, and the spool's offsets were off by one batch.
    """
    s = Spool(tmp_path, max_bytes=1 << 20)
    s.append([b"a" * 100])
    seg = next(tmp_path.glob("*.seg"))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (seg.stat().st_size + 50, hard))
    try:
        with pytest.raises(OSError):
            s.append([b"refused" * 20, b"refused too"])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    s.append([b"c" * 100])
    assert [r for _, r in s.peek(10)] == [b"a" * 100, b"c" * 100]
    assert seg.stat().st_size == s.disk_bytes
    s.close()
    s = Spool(tmp_path, max_bytes=1 << 20)
    assert [r for _, r in s.peek(10)] == [b"a" * 100, b"c" * 100]
    s.close()
