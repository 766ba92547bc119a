"""``eggwatch detect`` and ``eggwatch evaluate`` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from analytics.frame import HourlyFrame
from analytics.offline import write_frame
from eggwatch.breeds import curve
from tests.analytics.synth import Flock, day_hour

EGGWATCH = [sys.executable, "-m", "eggwatch.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EGGWATCH, *args], capture_output=True, text=True, timeout=120, check=False)


def detect_frame(frame: HourlyFrame, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``eggwatch detect`` on ``frame`` written as §6 CSV files; it must succeed."""
    h, r = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, h, r)
    res = run("detect", "--houses", str(h), "--rows", str(r))
    assert res.returncode == 0, res.stderr
    return res


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
    res = run("detect", "--houses", str(h), "--rows", str(bad), "--strict")
    assert res.returncode == 2
    assert res.stderr.strip().splitlines() == [f"eggwatch: error: {bad}:2: eggs='lots' is not a number"]
    res = run("detect", "--houses", str(h), "--rows", str(bad))  # the value is "no data", said once
    assert res.returncode == 0 and res.stdout == ""
    assert f"left out values that are not numbers: 1 (first: {bad}:2: eggs='lots'" in res.stderr
    bad.write_text("ts,house,row,eggs\n2026-03-01 05:30,H1,01,5\n")  # no line left at all
    res = run("detect", "--houses", str(h), "--rows", str(bad))
    assert res.returncode == 2 and "no data lines (left out: lines with a bad timestamp: 1" in res.stderr
    bad.write_text("ts,house,row,eggs\n2026-03-01 05:00,H1,01,5\n")  # UTC by §6, without the "Z": said
    res = run("detect", "--houses", str(h), "--rows", str(bad))
    assert res.returncode == 0 and "read 1 timestamps without a time zone as UTC" in res.stderr
    res = run("detect", "--houses", str(tmp_path / "missing.csv"), "--rows", str(bad))
    assert res.returncode == 2 and "file not found" in res.stderr
    h.write_text("ts,house\n")
    res = run("detect", "--houses", str(h), "--rows", str(bad))
    assert res.returncode == 2 and "header lacks hens" in res.stderr


def test_detect_leaves_out_a_corrupt_line_and_says_so(tmp_path: Path) -> None:
    frame = Flock(drop_from={1: (day_hour(25, 14), 0.8)}).build()
    h, r = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, h, r)
    lines = r.read_text().splitlines()
    lines[500] = lines[500].rsplit(",", 1)[0] + ",#REF!"  # a spreadsheet error in one cell
    lines.insert(900, "2026-13-01T00:00:00Z,H01,01,5")  # and a line with an impossible date
    r.write_text("\n".join(lines) + "\n")
    res = run("detect", "--houses", str(h), "--rows", str(r))
    assert res.returncode == 0, res.stderr
    assert [json.loads(x)["house"] for x in res.stdout.splitlines()] == ["H02"]
    left_out = [x for x in res.stderr.splitlines() if "left out" in x]
    assert len(left_out) == 1
    assert f"values that are not numbers: 1 (first: {r}:501: eggs='#REF!' is not a number)" in left_out[0]
    assert f"lines with a bad timestamp: 1 (first: {r}:901: bad timestamp" in left_out[0]
    res = run("detect", "--houses", str(h), "--rows", str(r), "--strict")
    assert res.returncode == 2 and res.stdout == ""


def test_detect_warns_of_a_long_stretch_without_any_data(tmp_path: Path) -> None:
    """One line with a mistyped year (2035 for 2026) fits in memory: the run went over nine empty
    years without a word.  It still runs, and says where the data stops and starts again."""
    frame = Flock().build()
    h, r = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, h, r)
    last = (frame.start + timedelta(hours=frame.n_hours - 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    r.write_text(r.read_text() + "2035-03-01T05:00:00Z,H01,01,5\n")
    res = run("detect", "--houses", str(h), "--rows", str(r))
    assert res.returncode == 0, res.stderr
    warned = [x for x in res.stderr.splitlines() if "no data at all" in x]
    assert len(warned) == 1, res.stderr
    assert f"after {last}" in warned[0] and "until 2035-03-01T05:00:00Z" in warned[0], warned[0]
    assert "mistyped" in warned[0]
    assert "no data at all" not in detect_frame(frame, tmp_path).stderr  # an ordinary file: no word


def test_detect_says_which_houses_have_no_hens_figure(tmp_path: Path) -> None:
    frame = Flock(houses=3, drop_from={0: (day_hour(25, 14), 0.8)}).build()
    frame.hens[0] = np.nan  # a park that never entered H01's flock size
    res = detect_frame(frame, tmp_path)
    # The count is estimated from the first days' eggs: the drop is found, and says so.
    (alert,) = [json.loads(x) for x in res.stdout.splitlines()]
    assert (alert["house"], alert["kind"]) == ("H01", "laying_drop")
    assert alert["evidence"]["hens_source"] == "estimated"
    assert "no hens figure for H01: their count is estimated" in res.stderr
    # No whole day of eggs to estimate it from: no hen-day %, so no drop — but not silently.  The
    # house's gateway is silent at 05:00 every day (its meters too: counters alone missing an hour
    # every day is an export that leaves out empty hours, analytics/omitted_zeros.py).
    for series in (frame.eggs[0].T, frame.water_l[0], frame.feed_kg[0], frame.temp_c[0]):
        series[5::24] = np.nan
    res = detect_frame(frame, tmp_path)
    assert res.stdout == ""
    assert "no hens figure for H01 and no whole day of eggs" in res.stderr


def test_detect_says_which_hens_figures_it_read_as_another_unit(tmp_path: Path) -> None:
    frame = Flock(houses=3, drop_from={0: (day_hour(25, 14), 0.8)}).build()
    frame.hens[0] /= 1000.0  # H01's flock size entered in thousands
    res = detect_frame(frame, tmp_path)
    (alert,) = [json.loads(x) for x in res.stdout.splitlines()]
    assert (alert["house"], alert["kind"]) == ("H01", "laying_drop")
    assert alert["evidence"]["hens_source"] == "rescaled" and alert["evidence"]["hens_factor"] == 1000
    assert "the hens figure of H01 is too small for its eggs (" in res.stderr
    assert "read as another unit, multiplied by 1,000" in res.stderr
    # Counters counting each egg twice: read at the breed's level, and said.
    frame.hens[0] *= 1000.0
    frame.eggs[1] *= 2.0
    res = detect_frame(frame, tmp_path)
    assert "the hens figure of H02 is too small for its eggs (1." in res.stderr
    assert "or counters counting eggs twice: read at its breed's level, multiplied by 2." in res.stderr
    assert [json.loads(x)["house"] for x in res.stdout.splitlines()] == ["H01"]


def test_detect_without_any_egg_counter_line_judges_the_meters(tmp_path: Path) -> None:
    frame = Flock(houses=3).build()
    frame.water_l[0, day_hour(25, 6) :] *= 0.7  # a water line partly blocked
    h, r = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, h, r)
    r.write_text("ts,house,row,eggs\n")  # the counters have not reported (yet)
    res = run("detect", "--houses", str(h), "--rows", str(r))
    assert res.returncode == 0, res.stderr
    assert [(a["house"], a["kind"]) for a in map(json.loads, res.stdout.splitlines())] == [
        ("H01", "water_drop")
    ]
    assert "no egg counter lines in" in res.stderr


def test_detect_settings_change_the_verdict(tmp_path: Path) -> None:
    frame = Flock(drop_from={1: (day_hour(25, 14), 0.8)}).build()
    h, r = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, h, r)
    deaf = [f"--set={name}=1000" for name in ("daily_min_pts", "trend_z", "fast_min_pts")]
    res = run("detect", "--houses", str(h), "--rows", str(r), *deaf)
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""  # every laying channel's threshold out of reach
    res = run("detect", "--houses", str(h), "--rows", str(r), "--set", "trendz=3")
    assert res.returncode == 2 and "--set: unknown detector setting 'trendz'" in res.stderr
    res = run("detect", "--houses", str(h), "--rows", str(r), "--set", "trend_z")
    assert res.returncode == 2 and "--set wants NAME=VALUE" in res.stderr


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
    res = run("evaluate", "--seeds", "5,-1")  # the simulator's generator takes none below 0
    assert res.returncode == 2 and res.stderr.strip().splitlines() == [
        "eggwatch: error: --seeds must be comma-separated integers from 0, got '5,-1'"
    ]


def test_evaluate_can_leave_out_the_meters_a_park_lacks() -> None:
    res = run("evaluate", "--seeds", "5", "--houses", "3", "--days", "45", "--without", "water_l,feed_kg")
    assert res.returncode == 0, res.stderr
    assert "house columns left blank: water_l, feed_kg" in res.stdout and "drop recall" in res.stdout
    res = run("evaluate", "--seeds", "5", "--without", "eggs")
    assert res.returncode == 2 and "--without: unknown column eggs" in res.stderr


def test_evaluate_can_show_each_house_alone_and_choose_the_rows() -> None:
    res = run("evaluate", "--seeds", "5", "--houses", "3", "--days", "45", "--park-size", "1", "--rows", "4")
    assert res.returncode == 0, res.stderr
    assert "the detector saw the houses 1 at a time" in res.stdout and "drop recall" in res.stdout
    assert "4 row counters per house" in res.stdout


def test_evaluate_can_take_the_flocks_off_their_breed_guide() -> None:
    res = run("evaluate", "--seeds", "5", "--houses", "3", "--days", "45", "--age-shift", "-0.5",
              "--whole-weeks", "--flat-intake")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert (
        "flocks off their breed guide: laying 0.5 weeks behind their stated age, age in whole weeks, "
        "water and feed per hen flat with age" in res.stdout
    )


def test_evaluate_can_leave_the_breeds_out() -> None:
    res = run("evaluate", "--seeds", "5", "--houses", "3", "--days", "45", "--no-park")
    assert res.returncode == 0, res.stderr
    assert "breeds not given (no park file): every house taken as Hy-Line Brown" in res.stdout


def test_off_guide_moves_the_age_and_flattens_the_intake() -> None:
    from analytics.evaluate import OffGuide

    frame = Flock(days=20, houses=1, age0=20.0).build()
    water, feed = frame.water_l.copy(), frame.feed_kg.copy()
    OffGuide(age_shift=1.5, whole_weeks=True, flat_intake=True).apply(frame)
    assert frame.age_weeks[0, 0] == 18.0 and frame.age_weeks[0, 24 * 7] == 19.0
    guide = curve("hyline_brown")  # intake that followed the guide is made flat at its 60-week level
    assert frame.feed_kg[0, 0] / feed[0, 0] == pytest.approx(guide.feed_g(60.0) / guide.feed_g(20.0))
    assert frame.water_l[0, 0] / water[0, 0] == pytest.approx(guide.water_ml(60.0) / guide.water_ml(20.0))


def test_evaluate_can_let_diseases_kill_hens() -> None:
    res = run("evaluate", "--seeds", "5", "--houses", "3", "--days", "45", "--disease-deaths", "0.04")
    assert res.returncode == 0, res.stderr
    assert "each disease kills 4% of its house's hens a day for two days" in res.stdout


def test_kill_in_diseases_thins_the_house_from_the_egg_onset() -> None:
    from analytics.evaluate import kill_in_diseases
    from simulator.scenarios import Label

    frame = Flock(days=20, houses=2).build()
    hens, eggs = frame.hens.copy(), frame.eggs.copy()
    onset = frame.hour_start(day_hour(10, 3))
    label = Label("H02", "disease", onset - timedelta(hours=20), None, None, True, 20.0, egg_onset=onset)
    kill_in_diseases(frame, [label], 0.05)
    at = day_hour(10, 3)
    np.testing.assert_array_equal(frame.hens[0], hens[0])
    assert frame.hens[1, at - 1] == hens[1, at - 1] and frame.hens[1, at] == pytest.approx(0.95 * hens[1, at])
    assert frame.hens[1, -1] == pytest.approx(0.95**2 * hens[1, -1])
    assert np.nansum(frame.eggs[1, :, at + 48 :]) == pytest.approx(
        0.95**2 * np.nansum(eggs[1, :, at + 48 :]), rel=1e-3
    )


def test_detect_in_parks_analyses_the_houses_apart() -> None:
    # A house whose neighbours all warmed with it is weather; alone, the same rise is its own.
    from analytics.evaluate import detect_in_parks

    frame = Flock(houses=3).build()
    onset = day_hour(25, 4)
    frame.temp_c[:, onset:] += np.linspace(0, 8, frame.n_hours - onset).clip(0, 4.0)
    assert detect_in_parks(frame, None, 0) == []
    assert sorted(a.house for a in detect_in_parks(frame, None, 1)) == ["H01", "H02", "H03"]
