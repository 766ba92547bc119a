"""Dead letters: one JSON line per refused item, any payload, counted per reason, durable on flush."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import orjson

from eggwatch.deadletter import DeadLetters


def lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_payload_kinds_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "dl" / "dead.jsonl"
    dl = DeadLetters(path)
    dl.put("not_json", "payload is not JSON", "eggwatch/v1/a/b/c", b"\xff\xfe{", seq=3)
    dl.put("bad_value", "NaN", "eggwatch/v1/a/b/c", {"ts": 1, "metric": "temp_c", "value": None}, index=2)
    dl.put("bad_topic", "no", None, "plain text 中文")
    dl.put("bad_schema", "weird", "t", object())  # never raises on odd payloads
    dl.put("odd", "set", "t", {1, 2}, extra_obj=object())
    dl.flush()
    rows = lines(path)
    assert [r["reason"] for r in rows] == ["not_json", "bad_value", "bad_topic", "bad_schema", "odd"]
    assert rows[0]["payload_encoding"] == "base64"
    assert base64.b64decode(rows[0]["payload"]) == b"\xff\xfe{"
    assert rows[0]["seq"] == 3 and rows[0]["topic"] == "eggwatch/v1/a/b/c"
    assert rows[1]["payload_encoding"] == "json"
    assert orjson.loads(rows[1]["payload"])["metric"] == "temp_c"
    assert rows[1]["index"] == 2
    assert rows[2]["payload"] == "plain text 中文" and rows[2]["topic"] is None
    assert rows[0]["ts"].endswith("Z")
    assert dl.counts["not_json"] == 1 and dl.total == 5
    dl.close()


def test_background_flush_makes_lines_durable(tmp_path: Path) -> None:
    path = tmp_path / "dead.jsonl"
    dl = DeadLetters(path, max_delay_s=0.05)
    dl.put("bad_value", "x", "t", b"{}")
    deadline = time.monotonic() + 5
    while not (path.exists() and path.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(lines(path)) == 1
    dl.close()


def test_batch_size_triggers_write_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "dead.jsonl"
    dl = DeadLetters(path, max_batch=10, max_delay_s=60, max_file_bytes=2000)
    for i in range(10):
        dl.put("bad_value", f"n{i}", "t", b"x" * 100)
    # ten lines of ~200 bytes passed max_file_bytes: rotated
    [rotated] = tmp_path.glob("dead.jsonl.*")
    assert len(lines(rotated)) == 10
    dl.put("bad_value", "after", "t", b"y")
    dl.close()
    assert lines(path)[0]["detail"] == "after"


def test_a_new_batch_waits_out_its_own_delay(tmp_path: Path) -> None:
    # The first line of the next batch used to wake the flusher out of its timed wait, so it wrote
    # that one line at once (and the CI run's rotation count went over one per batch).
    path = tmp_path / "dead.jsonl"
    dl = DeadLetters(path, max_batch=5, max_delay_s=60)
    dl.put("bad_value", "n0", "t", b"x")
    time.sleep(0.05)  # the flusher is now waiting out n0's delay
    for i in range(1, 5):
        dl.put("bad_value", f"n{i}", "t", b"x")  # the fifth line writes the batch
    dl.put("bad_value", "n5", "t", b"x")  # the next batch's first line
    time.sleep(0.2)
    assert [row["detail"] for row in lines(path)] == [f"n{i}" for i in range(5)]
    dl.close()
    assert len(lines(path)) == 6


def test_rotation_never_deletes_a_dead_letter(tmp_path: Path) -> None:
    path = tmp_path / "dead.jsonl"
    dl = DeadLetters(path, max_batch=5, max_delay_s=60, max_file_bytes=500)
    for i in range(200):  # 40 rotations, many within one millisecond
        dl.put("bad_value", f"n{i}", "t", b"x" * 100)
    dl.close()
    rotated = sorted(tmp_path.glob("dead.jsonl.*"))
    # Each batch of five (~1,000 bytes) passes 500 bytes: one rotation per batch, and the flusher
    # thread writes none early (its 60 s delay never runs out here).
    assert len(rotated) == 40
    current = [path] if path.exists() else []
    details = [row["detail"] for f in [*rotated, *current] for row in lines(f)]
    assert sorted(details) == sorted(f"n{i}" for i in range(200))  # every line kept, none twice
