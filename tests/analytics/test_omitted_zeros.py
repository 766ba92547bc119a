"""An R.csv without its zero lines (analytics/omitted_zeros.py): the hours are zeros, not gaps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from analytics.detector import detect
from analytics.frame import HourlyFrame
from analytics.offline import read_frame, write_frame
from analytics.omitted_zeros import fill_omitted_zeros
from tests.analytics.synth import Flock, day_hour, gap
from tests.analytics.test_cli import run


def _park(runs: tuple[int, ...] = (1, 6), offline: bool = True) -> HourlyFrame:
    """Belt runs at 01 and 06 UTC; house 2's row 03 dies on day 25, house 1 lays 20 % less from day
    30, house 0 is offline for 10 h on day 28 (everything blank, then the backlog)."""
    frame = Flock(houses=4, days=40, runs=runs, drop_from={1: (day_hour(30, 14), 0.8)}).build()
    frame.eggs[2, 2, day_hour(25, 3) :] = 0.0
    if not offline:
        return frame
    gap(frame, 0, day_hour(28, 4), 10)
    frame.temp_c[0, day_hour(28, 4) : day_hour(28, 14)] = np.nan  # the gateway reads the temperature too
    return frame


def _without_zeros(frame: HourlyFrame) -> HourlyFrame:
    sparse = HourlyFrame(**{**vars(frame), "eggs": frame.eggs.copy()})
    sparse.eggs[sparse.eggs == 0] = np.nan
    return sparse


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(((a == b) | (np.isnan(a) & np.isnan(b))).all())


def test_zeros_left_out_are_read_back_and_gaps_stay_gaps() -> None:
    dense = _park()
    filled, note = fill_omitted_zeros(_without_zeros(dense))
    assert _same(filled.eggs, dense.eggs)  # the gateway gap is still unknown, the dead row 0
    assert note and note.hours > 0 and len(note.rows) == 4 * 8
    assert np.isnan(filled.eggs[0, :, day_hour(28, 4) : day_hour(28, 14)]).all()


def test_a_reading_once_a_day_is_the_day_s_count_at_its_hour() -> None:
    # One belt run a day at 06 UTC, exported as one line per counter a day (the dead one's 0 too).
    dense = _park(runs=(6,), offline=False)
    daily = HourlyFrame(**{**vars(dense), "eggs": np.full(dense.eggs.shape, np.nan)})
    daily.eggs[..., 6::24] = dense.eggs[..., 6::24]
    assert (daily.eggs == 0).any()
    filled, note = fill_omitted_zeros(daily)
    assert note and _same(filled.eggs, dense.eggs)
    assert (
        [a.kind for a in detect(filled)] == [a.kind for a in detect(dense)] == ["sensor_fault", "laying_drop"]
    )


def test_a_file_with_zeros_or_counting_round_the_clock_is_left_as_it_is() -> None:
    dense = _park()
    same, note = fill_omitted_zeros(dense)
    assert same is dense and not note
    # Round the clock every hour counts: no line missing but in the gap, which stays a gap.
    clock = Flock(houses=3, days=30, round_the_clock=True).build()
    gap(clock, 1, day_hour(20, 4), 10)
    same, note = fill_omitted_zeros(_without_zeros(clock))
    assert not note and _same(same.eggs, clock.eggs)


def test_counters_are_named_as_the_file_names_them() -> None:
    frame = _without_zeros(_park())
    ids = tuple(tuple(f"{house}-R{r + 1}" for r in range(len(frame.rows))) for house in frame.houses)
    _, note = fill_omitted_zeros(HourlyFrame(**{**vars(frame), "row_names": ids}))
    assert note.rows[:2] == (("H01", "H01-R1"), ("H01", "H01-R2"))


def test_the_detector_finds_the_same_drop_and_dead_counter_without_the_zero_lines() -> None:
    dense = _park()
    found = [(a.house, a.kind, a.row, a.detected_at) for a in detect(dense)]
    assert ("H03", "sensor_fault", "03") in {x[:3] for x in found}
    assert ("H02", "laying_drop") in {x[:2] for x in found}
    filled, _ = fill_omitted_zeros(_without_zeros(dense))
    assert [(a.house, a.kind, a.row, a.detected_at) for a in detect(filled)] == found


def test_detect_reads_an_export_without_zero_lines_and_says_so(tmp_path: Path) -> None:
    dense = _park()
    h, r = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(dense, h, r)
    want = run("detect", "--houses", str(h), "--rows", str(r))
    assert want.returncode == 0, want.stderr
    lines = r.read_text().splitlines()
    r.write_text("\n".join(line for line in lines if not line.endswith(",0")) + "\n")
    assert len(r.read_text().splitlines()) < len(lines) / 2
    assert np.isnan(read_frame(h, r).eggs).sum() > np.isnan(dense.eggs).sum()  # the reader sees gaps
    got = run("detect", "--houses", str(h), "--rows", str(r))
    assert got.returncode == 0, got.stderr
    assert [json.loads(x) for x in got.stdout.splitlines()] == [
        json.loads(x) for x in want.stdout.splitlines()
    ]
    assert "read as an export that leaves out empty hours" in got.stderr
    assert "leaves out empty hours" not in want.stderr


def test_a_counter_whose_lines_stop_in_a_full_export_stays_no_data() -> None:
    """A full export (a line every hour) whose one counter has no line after day 15 (removed, or
    its link down): the file does not leave out empty hours, so nothing is read as 0.  Judged over
    the whole file, the counter's 25 days without a line made it one, and the input cut on day 20
    (5 such days of 20) not: the alerts before then changed with the file's end (CONTRACTS §6)."""
    dense = _park(offline=False)
    dense.eggs[2, 2, day_hour(15, 0) :] = np.nan
    same, note = fill_omitted_zeros(dense)
    assert same is dense and not note
    alerts = detect(fill_omitted_zeros(dense)[0])
    assert alerts
    for a in alerts:
        cut = dense.head(dense.index_of(a.detected_at))
        assert a in detect(fill_omitted_zeros(cut)[0])
