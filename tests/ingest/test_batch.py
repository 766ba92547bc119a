"""Turning messages into batches: sequence gaps, the alerts topic, the payload size limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from eggwatch.deadletter import DeadLetters
from eggwatch.wire import MAX_READINGS, MAX_TAG_VALUE_LEN, MAX_TAGS
from ingest.batch import MAX_PAYLOAD_BYTES, SEQ_REORDER_WINDOW, TOO_LARGE_KEPT_BYTES, Batch, Batcher, Received
from ingest.stats import IngestMetrics

NOW = int(time.time() * 1000)


class Harness:
    def __init__(self, tmp: Path) -> None:
        self.metrics = IngestMetrics()
        self.dead = DeadLetters(tmp / "dead.jsonl")
        self.path = tmp / "dead.jsonl"
        self.batcher = Batcher(self.dead, self.metrics, track_seq=True)
        self.batch = Batch()

    def send(self, seq: int, ok: bool = True, topic: str = "eggwatch/v1/s1/house-01/dev-1") -> None:
        value = 20.0 if ok else 999.0  # out of range: the reading is refused
        payload = orjson.dumps(
            {"seq": seq, "readings": [{"ts": NOW - 1000, "metric": "temp_c", "value": value}]}
        )
        self.send_raw(topic, payload)

    def send_raw(self, topic: str, payload: bytes) -> None:
        self.batcher.add(self.batch, Received(1, 1, 1, topic, payload))

    def sends(self, seqs: list[int]) -> int:
        for s in seqs:
            self.send(s)
        return self.metrics.totals.seq_gaps

    def dead_letters(self) -> list[dict[str, object]]:
        self.dead.flush()
        return [orjson.loads(x) for x in self.path.read_bytes().splitlines()] if self.path.exists() else []


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    yield harness
    harness.dead.close()


W = SEQ_REORDER_WINDOW


def test_a_message_whose_readings_were_all_refused_was_still_received(h: Harness) -> None:
    h.send(1)
    h.send(2, ok=False)
    h.send(3)
    assert h.sends(list(range(4, 4 + 2 * W))) == 0
    assert h.metrics.totals.rejected_by_reason == {"out_of_range": 1}


def test_reordering_within_the_window_is_no_gap(h: Harness) -> None:
    assert h.sends([1, 3, 2, 6, 5, 4, *range(7, 7 + 2 * W)]) == 0


def test_a_missing_seq_counts_once_the_device_is_a_window_past_it(h: Harness) -> None:
    assert h.sends([1, 2, 4]) == 0  # 3 may still come
    assert h.sends(list(range(5, 4 + W))) == 0
    assert h.sends([4 + W]) == 1  # now it is a gap
    assert h.sends(list(range(5 + W, 5 + 3 * W))) == 1  # counted once
    h.send(3)  # far too late: a redelivery, no change
    assert h.metrics.totals.seq_gaps == 1


def test_a_big_jump_counts_every_missing_seq(h: Harness) -> None:
    assert h.sends([10, 1010]) == 999 - W  # 11..1009 are missing; the last W may still come
    assert h.sends(list(range(1011, 1011 + W))) == 999


def test_device_restart_resets_and_later_gaps_are_seen(h: Harness) -> None:
    # restart to 0: the gap at 3 is found although 3 < the old maximum 101
    assert h.sends([100, 101, 0, 1, 2, 4, 5, *range(6, 6 + W)]) == 1
    # a restart to a small seq far below the maximum, too (another device)
    for seq in [*range(5000, 5003), 7, 8, 10, *range(11, 11 + 2 * W)]:
        h.send(seq, topic="eggwatch/v1/s1/house-01/dev-2")
    assert h.metrics.totals.seq_gaps == 1 + 1  # 9


def test_redelivery_is_no_gap_and_no_restart(h: Harness) -> None:
    assert h.sends([0, 1, 2, 3, 0, 1, 2, 3, *range(4, 4 + 2 * W)]) == 0


def test_only_the_exact_alerts_topic_is_ignored(h: Harness) -> None:
    h.send_raw("eggwatch/v1/s1/house-01/alerts", b'{"alert": "x"}')
    assert h.metrics.totals.ignored == 1 and not h.dead_letters()
    bad = ["eggwatch/v1/s1/alerts", "eggwatch/v1/s1/house-01/x/alerts", "eggwatch/v1/S1/house-01/alerts"]
    for topic in bad:
        h.send_raw(topic, b'{"alert": "x"}')
    assert h.metrics.totals.ignored == 1
    assert h.metrics.totals.rejected_by_reason == {"bad_topic": 3}
    assert [d["topic"] for d in h.dead_letters()] == bad


def test_oversized_message_is_refused_with_its_size_and_a_prefix(h: Harness) -> None:
    payload = b'{"seq": 1, "readings": [' + b" " * MAX_PAYLOAD_BYTES + b"]}"
    h.send_raw("eggwatch/v1/s1/house-01/dev-1", payload)
    assert h.metrics.totals.rejected_by_reason == {"too_large": 1} and not h.batch.items
    [row] = h.dead_letters()
    assert row["reason"] == "too_large" and row["size"] == len(payload)
    assert row["payload"] == payload[:TOO_LARGE_KEPT_BYTES].decode()
    assert str(len(payload)) in str(row["detail"])


def test_the_largest_valid_message_fits_the_limit(h: Harness) -> None:
    tags = {f"k{i}".ljust(32, "x"): "\U0001d538" * MAX_TAG_VALUE_LEN for i in range(MAX_TAGS)}  # 4-byte chars
    readings = [
        {"ts": NOW - 10_000 + i, "metric": "hen_day_expected_pct", "value": 12.345678901234567, "tags": tags}
        for i in range(MAX_READINGS)
    ]
    payload = orjson.dumps({"seq": 2**53, "readings": readings})
    assert len(payload) < MAX_PAYLOAD_BYTES
    h.send_raw("eggwatch/v1/s1/house-01/dev-1", payload)
    assert h.batch.readings == MAX_READINGS and h.metrics.totals.rejected == 0
