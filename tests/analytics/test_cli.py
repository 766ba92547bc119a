"""``eggwatch detect`` and ``eggwatch evaluate`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from analytics.offline import write_frame
from tests.analytics.synth import Flock, day_hour

EGGWATCH = [sys.executable, "-m", "eggwatch.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EGGWATCH, *args], capture_output=True, text=True, timeout=120, check=False)


def test_detect_prints_contract_json_lines(tmp_path: Path) -> None:
    frame = Flock(drop_from={1: (day_hour(25, 14), 0.8)}).build()
    frame.eggs[0, 2, day_hour(22, 3) :] = 0
    h, r = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, h, r)
    res = run("detect", "--houses", str(h), "--rows", str(r))
    assert res.returncode == 0, res.stderr
    alerts = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(a["house"], a["kind"], a["row"]) for a in alerts] == [
        ("H01", "sensor_fault", "03"),
        ("H02", "laying_drop", None),
    ]
    for a in alerts:
        assert {"house", "kind", "detected_at", "onset", "magnitude_pct", "row", "message"} <= set(a)
        assert a["detected_at"].endswith(":00:00Z") and a["onset"] <= a["detected_at"]
    assert "alerts in" in res.stderr


def test_detect_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "R.csv"
    bad.write_text("ts,house,row,eggs\n2026-03-01T05:00:00Z,H1,01,lots\n")
    h = tmp_path / "H.csv"
    h.write_text("ts,house,hens,age_weeks,water_l,feed_kg,temp_c\n")
    res = run("detect", "--houses", str(h), "--rows", str(bad))
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"eggwatch: error: {bad}:2: eggs='lots' is not a number"]
    res = run("detect", "--houses", str(tmp_path / "missing.csv"), "--rows", str(bad))
    assert res.returncode == 2 and "file not found" in res.stderr


def test_evaluate_prints_detector_and_baseline_side_by_side() -> None:
    res = run("evaluate", "--seeds", "5", "--houses", "3", "--days", "45")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for metric in (
        "drop recall",
        "precision",
        "false alarms / house-month",
        "median h to detect",
        "dead counters",
    ):
        assert metric in out
    assert "detector / control chart" in out
    res = run("evaluate", "--seeds", "x")
    assert res.returncode == 2 and "--seeds" in res.stderr


def test_evaluate_can_leave_out_the_meters_a_park_lacks() -> None:
    res = run("evaluate", "--seeds", "5", "--houses", "3", "--days", "45", "--without", "water_l,feed_kg")
    assert res.returncode == 0, res.stderr
    assert "house columns left blank: water_l, feed_kg" in res.stdout and "drop recall" in res.stdout
    res = run("evaluate", "--seeds", "5", "--without", "hens")
    assert res.returncode == 2 and "--without: unknown column hens" in res.stderr
