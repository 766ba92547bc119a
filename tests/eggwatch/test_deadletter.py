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


def test_rotation_never_deletes_a_dead_letter(tmp_path: Path) -> None:
    path = tmp_path / "dead.jsonl"
    dl = DeadLetters(path, max_batch=5, max_delay_s=60, max_file_bytes=500)
    for i in range(200):  # 40 rotations, many within one millisecond
        dl.put("bad_value", f"n{i}", "t", b"x" * 100)
    dl.close()
    rotated = sorted(tmp_path.glob("dead.jsonl.*"))
    # About one rotation per batch of five; the flusher thread may write a batch early (the file
    # then rotates a batch later), and the last lines may still be in the current file.
    assert 20 <= len(rotated) <= 40
    current = [path] if path.exists() else []
    details = [row["detail"] for f in [*rotated, *current] for row in lines(f)]
    assert sorted(details) == sorted(f"n{i}" for i in range(200))  # every line kept, none twice
