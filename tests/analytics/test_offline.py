"""CONTRACTS §6 CSV input and JSON-lines output."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from analytics import offline
from analytics.alert import DetectorAlert
from analytics.detector import detect
from analytics.offline import CsvFormatError, Rejects, read_frame, write_alerts, write_frame
from tests.analytics.synth import Flock, day_hour

H_HEAD = "ts,house,hens,age_weeks,water_l,feed_kg,temp_c\n"
R_HEAD = "ts,house,row,eggs\n"


def _write(tmp_path: Path, h: str, r: str) -> tuple[Path, Path]:
    hp, rp = tmp_path / "H.csv", tmp_path / "R.csv"
    hp.write_text(h, encoding="utf-8")
    rp.write_text(r, encoding="utf-8")
    return hp, rp


def test_blank_means_no_data_and_hours_align(tmp_path: Path) -> None:
    hp, rp = _write(
        tmp_path,
        H_HEAD
        + "2026-03-01T05:00:00Z,H03,30000,40.5,250.5,,21.5\n2026-03-01T07:00:00Z,H03,29990,40.51,,3.5,\n",
        R_HEAD
        + "2026-03-01T05:00:00Z,H03,01,1200\n2026-03-01T06:00:00Z,H03,01,\n2026-03-01T06:00:00Z,H03,02,7\n",
    )
    f = read_frame(hp, rp)
    assert f.start == datetime(2026, 3, 1, 5, tzinfo=UTC) and f.n_hours == 3
    assert f.houses == ("H03",) and f.rows == ("01", "02")
    assert f.hens[0].tolist()[0] == 30000 and np.isnan(f.hens[0, 1]) and f.hens[0, 2] == 29990
    assert np.isnan(f.feed_kg[0, 0]) and f.feed_kg[0, 2] == 3.5
    assert f.eggs[0, 0, 0] == 1200 and np.isnan(f.eggs[0, 0, 1]) and f.eggs[0, 1, 1] == 7
    assert np.isnan(f.eggs[0, 1, 0])


@pytest.mark.parametrize(
    ("h", "r", "message"),
    [
        (H_HEAD, R_HEAD + "2026-03-01T05:30:00Z,H1,01,5\n", "not the start of an hour"),
        (H_HEAD, R_HEAD + "2026-03-01T05:00:00.5Z,H1,01,5\n", "not the start of an hour"),
        (H_HEAD, R_HEAD + "2026-03-01 05:00,H1,01,5\n", "no time zone"),
        (H_HEAD, R_HEAD + "yesterday,H1,01,5\n", "bad timestamp"),
        (H_HEAD, R_HEAD + "2026-03-01T05:00:00Z,H1,01,five\n", "R.csv:2: eggs='five' is not a number"),
        (H_HEAD, R_HEAD + "2026-03-01T05:00:00Z,H1,01,-3\n", "negative"),
        (H_HEAD, R_HEAD + "2026-03-01T05:00:00Z,H1,01\n", "3 fields"),
        ("ts,house\n", R_HEAD + "2026-03-01T05:00:00Z,H1,01,5\n", "header lacks hens"),
        (H_HEAD, R_HEAD, "no data lines"),
        ("", R_HEAD, "empty file"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path: Path, h: str, r: str, message: str) -> None:
    hp, rp = _write(tmp_path, h, r)
    with pytest.raises(CsvFormatError, match=message):
        read_frame(hp, rp)


GOOD = "2026-03-01T05:00:00Z,H1,01,5\n"


@pytest.mark.parametrize(
    ("bad_line", "reason", "first"),
    [
        ("2026-03-01T06:30:00Z,H1,01,5", "lines with a bad timestamp", "not the start of an hour"),
        ("2026-03-01T06:00:00Z,H1,01,five", "values that are not numbers", "eggs='five' is not a number"),
        ("2026-03-01T06:00:00Z,H1,01,NaN", "values that are not numbers", "eggs='NaN' is not a number"),
        ("2026-03-01T06:00:00Z,H1,01,nan", "values that are not numbers", "eggs='nan' is not a number"),
        ("2026-03-01T06:00:00Z,H1,01,inf", "values that are not finite", "eggs='inf' is not finite"),
        ("2026-03-01T06:00:00Z,H1,01,-3", "values out of range", "eggs='-3' is negative"),
        ("2026-03-01T06:00:00Z,H1,01", "lines with the wrong number of fields", "3 fields, header has 4"),
        ("2026-03-01T06:00:00Z, ,01,5", "lines without a house id", "empty house id"),
        ("2026-03-01T06:00:00Z,H1,,5", "lines without a row id", "empty row id"),
        ("2026-03-01T05:00:00Z,H1,01,6", "lines repeating an earlier hour (the last one kept)", "repeats"),
        # Before 1970 (a mistyped year): these were dropped without a count.
        ("1969-03-01T05:00:00Z,H1,01,6", "lines with a bad timestamp", "is before 1970"),
        ("1969-12-31T23:00:00Z,H1,01,6", "lines with a bad timestamp", "is before 1970"),
    ],
)
def test_a_bad_line_is_left_out_counted_and_located(
    tmp_path: Path, bad_line: str, reason: str, first: str
) -> None:
    # A blank line before the bad one: line numbers are the file's own.
    hp, rp = _write(
        tmp_path, H_HEAD, R_HEAD + GOOD + "\n" + bad_line + "\n" + "2026-03-01T07:00:00Z,H1,01,7\n"
    )
    rejects = Rejects()
    f = read_frame(hp, rp, rejects)
    assert dict(rejects.counts) == {reason: 1}
    assert rejects.first[reason].startswith(f"{rp}:4: ") and first in rejects.first[reason]
    assert f.eggs[0, 0, -1] == 7  # the lines around it are read
    with pytest.raises(CsvFormatError, match=f"R.csv:4: .*{first}"):
        read_frame(hp, rp)  # strict


def test_lines_whose_field_counts_cancel_out_are_both_caught(tmp_path: Path) -> None:
    hp, rp = _write(
        tmp_path, H_HEAD, R_HEAD + "2026-03-01T05:00:00Z,H1,01\n2026-03-01T06:00:00Z,H1,01,5,9\n" + GOOD
    )
    rejects = Rejects()
    f = read_frame(hp, rp, rejects)
    assert rejects.counts == {"lines with the wrong number of fields": 2} and f.n_hours == 1


def test_a_bad_house_value_blanks_only_that_value(tmp_path: Path) -> None:
    hp, rp = _write(tmp_path, H_HEAD + "2026-03-01T05:00:00Z,H1,30000,40,n/a,3.5,21\n", R_HEAD + GOOD)
    rejects = Rejects()
    f = read_frame(hp, rp, rejects)
    assert np.isnan(f.water_l[0, 0]) and f.hens[0, 0] == 30000 and f.feed_kg[0, 0] == 3.5
    assert rejects.total == 1 and "water_l='n/a'" in rejects.summary()


@pytest.mark.parametrize(
    ("cells", "column", "what"),
    [
        ("30000,40,12.5,3.5,85", "temp_c", "temp_c='85' is outside -40 … 60"),  # a probe that lost power
        ("30000,40,-12.5,3.5,21", "water_l", "water_l='-12.5' is negative"),  # a meter that ran back
        ("-30000,40,12.5,3.5,21", "hens", "hens='-30000' is negative"),
        ("30000,4000,12.5,3.5,21", "age_weeks", "age_weeks='4000' is outside 0 … 200"),  # days, not weeks
    ],
)
def test_an_impossible_house_value_is_no_data(tmp_path: Path, cells: str, column: str, what: str) -> None:
    hp, rp = _write(tmp_path, H_HEAD + f"2026-03-01T05:00:00Z,H1,{cells}\n", R_HEAD + GOOD)
    rejects = Rejects()
    f = read_frame(hp, rp, rejects)
    assert np.isnan(getattr(f, column)[0, 0])
    assert rejects.counts == {"values out of range": 1} and what in rejects.summary()
    with pytest.raises(CsvFormatError, match=what):
        read_frame(hp, rp)  # strict


def test_with_nothing_usable_left_the_error_says_what_was_left_out(tmp_path: Path) -> None:
    hp, rp = _write(tmp_path, H_HEAD, R_HEAD + "yesterday,H1,01,5\n")
    with pytest.raises(CsvFormatError, match=r"no data lines \(left out: lines with a bad timestamp: 1"):
        read_frame(hp, rp, Rejects())


def test_round_trip(tmp_path: Path) -> None:
    frame = Flock(days=3).build()
    frame.eggs[0, 1, 5:9] = np.nan
    frame.water_l[1, 7] = np.nan
    hp, rp = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, hp, rp)
    back = read_frame(hp, rp)
    assert back.houses == frame.houses and back.rows == frame.rows and back.start == frame.start
    np.testing.assert_array_equal(back.eggs, frame.eggs)
    np.testing.assert_allclose(back.water_l, frame.water_l, rtol=1e-3)


def _lines_shuffled(text: str) -> str:
    head, *lines = text.splitlines()
    order = np.random.default_rng(3).permutation(len(lines))
    return "\n".join([head, *(lines[i] for i in order)]) + "\n"


def _columns_reversed(text: str) -> str:
    return "".join(",".join(reversed(line.split(","))) + "\n" for line in text.splitlines())


def _counts_as_decimals(text: str) -> str:
    """``123`` written ``123.0`` (what a spreadsheet or pandas writes for a float column)."""
    head, *lines = text.splitlines()
    return "\n".join([head, *(ln + ".0" if ln[-1].isdigit() else ln for ln in lines)]) + "\n"


@pytest.mark.parametrize(
    "rewrite",
    [
        lambda s: s.replace("\n", "\r\n"),
        _lines_shuffled,
        _columns_reversed,
        lambda s: s.replace("Z,", "+00:00,"),
        lambda s: s.replace(":00Z,", ":00.000Z,"),
        lambda s: s.replace("T", " "),
        _counts_as_decimals,
        lambda s: s.replace(",", ", "),
    ],
    ids=[
        "crlf",
        "lines-in-any-order",
        "columns-in-any-order",
        "offset-not-z",
        "milliseconds",
        "space-not-t",
        "decimals",
        "space-after-comma",
    ],
)
def test_a_file_written_another_way_reads_as_the_same_frame(
    tmp_path: Path, rewrite: Callable[[str], str]
) -> None:
    """What other tools write: the header names the columns, lines may come in any order, a time may
    carry an offset or milliseconds, a count may be a decimal, a field may follow a space."""
    frame = Flock(days=3, houses=2, rows=3).build()
    frame.eggs[0, 1, 5:9] = np.nan
    hp, rp = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, hp, rp)
    expected = read_frame(hp, rp)
    for path in (hp, rp):
        path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    rejects = Rejects()
    back = read_frame(hp, rp, rejects)
    assert not rejects
    assert back.houses == expected.houses and back.rows == expected.rows and back.start == expected.start
    for name in ("eggs", "hens", "age_weeks", "water_l", "feed_kg", "temp_c"):
        np.testing.assert_array_equal(getattr(back, name), getattr(expected, name))


@pytest.mark.parametrize("block_bytes", [1, 37, 200])
def test_a_file_read_a_block_at_a_time_is_read_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    """Files are parsed a block of bytes at a time (memory): cuts anywhere change nothing, not in
    line numbers, CRLF line ends, a byte-order mark, quoted fields or a repeat of an earlier block's
    line."""
    frame = Flock(days=2, houses=2, rows=3).build()
    hp, rp = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, hp, rp)
    lines = rp.read_text(encoding="utf-8").splitlines()
    lines[7] = lines[7].rsplit(",", 1)[0] + ',"5"'  # quoted
    lines[30:30] = ["", "2026-03-01T06:30:00Z,H01,01,5", lines[3], "", "2026-03-01T09:00:00Z,H01,01,5,9"]
    rp.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    whole_rejects = Rejects()
    whole = read_frame(hp, rp, whole_rejects)
    assert set(whole_rejects.counts) == {
        "lines with a bad timestamp", "lines repeating an earlier hour (the last one kept)",
        "lines with the wrong number of fields",
    }  # fmt: skip
    monkeypatch.setattr(offline, "BLOCK_BYTES", block_bytes)
    rejects = Rejects()
    blocks = read_frame(hp, rp, rejects)
    assert rejects == whole_rejects and rejects.first["lines with a bad timestamp"].startswith(f"{rp}:32: ")
    assert blocks.houses == whole.houses and blocks.rows == whole.rows and blocks.start == whole.start
    for name in ("eggs", "hens", "age_weeks", "water_l", "feed_kg", "temp_c"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(whole, name))
    assert blocks.eggs[0, 0, 1] == 5.0  # the quoted value


def _rename_rows(rp: Path) -> None:
    """Row ids made unique per house (``H02-R05``), as some parks number them."""
    head, *lines = rp.read_text(encoding="utf-8").splitlines()
    renamed = (
        f"{ts},{house},{house}-R{row},{eggs}" for ts, house, row, eggs in (ln.split(",") for ln in lines)
    )
    rp.write_text("\n".join([head, *renamed]) + "\n", encoding="utf-8")


def test_rows_named_per_house_are_numbered_within_the_house(tmp_path: Path) -> None:
    frame = Flock(days=30, houses=3).build()
    frame.eggs[2, 6:] = np.nan  # H03 has six counters
    frame.eggs[1, 4, day_hour(22, 10) :] = 0.0  # H02's fifth counter dies
    hp, rp = tmp_path / "H.csv", tmp_path / "R.csv"
    write_frame(frame, hp, rp)
    _rename_rows(rp)
    back = read_frame(hp, rp)
    # Eight row slots, not the 22 ids of the three houses together.
    assert back.eggs.shape == frame.eggs.shape
    np.testing.assert_array_equal(back.eggs, frame.eggs)
    assert back.row_name(1, 4) == "H02-R05" and back.row_index(2, "H03-R06") == 5
    assert back.row_names[2][6:] == ("", "") and back.row_index(2, "H03-R07") is None
    [fault] = detect(back)
    assert (fault.house, fault.kind, fault.row) == ("H02", "sensor_fault", "H02-R05")
    again = tmp_path / "again"
    again.mkdir()
    write_frame(back, again / "H.csv", again / "R.csv")
    assert (again / "R.csv").read_text() == rp.read_text()


def test_alert_json_is_the_contract_object() -> None:
    a = DetectorAlert(
        house="H03",
        kind="laying_drop",
        detected_at=datetime(2026, 5, 2, 7, tzinfo=UTC),
        onset=datetime(2026, 5, 1, 22, tzinfo=UTC),
        magnitude_pct=6.44,
        row=None,
        message="H03: laying down",
        message_zh="H03：产蛋率下降",
        evidence={"deficit_pts": 6.44, "channel": "end_of_day"},
    )
    out = io.BytesIO()
    assert write_alerts([a], out) == 1
    line = out.getvalue().decode()
    assert line.endswith("\n") and line.count("\n") == 1
    doc = json.loads(line)
    assert list(doc)[:7] == ["house", "kind", "detected_at", "onset", "magnitude_pct", "row", "message"]
    assert doc["detected_at"] == "2026-05-02T07:00:00Z" and doc["onset"] == "2026-05-01T22:00:00Z"
    assert doc["magnitude_pct"] == 6.4 and doc["row"] is None
    assert doc["message_zh"] == "H03：产蛋率下降" and doc["evidence"]["channel"] == "end_of_day"


def test_alert_validates_itself() -> None:
    when = datetime(2026, 5, 2, 7, tzinfo=UTC)
    with pytest.raises(ValueError, match="kind"):
        DetectorAlert("H1", "bad", when, when, 1.0, None, "m", "m")
    with pytest.raises(ValueError, match="onset after"):
        DetectorAlert("H1", "laying_drop", when.replace(hour=6), when, 1.0, None, "m", "m")


def test_a_timestamp_without_a_time_zone_is_read_as_utc_and_said(tmp_path: Path) -> None:
    """§6 says the times are UTC; an export that dropped the "Z" (a spreadsheet, pandas) is read as
    such when lenient, and counted; strict, it stays an error (the parametrized case above)."""
    hp, rp = _write(
        tmp_path, H_HEAD, R_HEAD + "2026-03-01 05:00:00,H1,01,5\n2026-03-01T06:00:00,H1,01,6\n" + GOOD
    )
    rejects = Rejects()
    f = read_frame(hp, rp, rejects)
    assert f.start == datetime(2026, 3, 1, 5, tzinfo=UTC) and f.n_hours == 2
    assert f.eggs[0, 0].tolist() == [5.0, 6.0]  # the 05:00 line with a "Z" repeats the first: counted below
    assert rejects.read_as_utc == 2 and "R.csv:2: '2026-03-01 05:00:00'" in rejects.read_as_utc_first
    assert rejects.counts == {"lines repeating an earlier hour (the last one kept)": 1}


def test_a_path_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    _, rp = _write(tmp_path, H_HEAD, R_HEAD + GOOD)
    with pytest.raises(CsvFormatError, match=f"^{tmp_path}: cannot read: Is a directory$"):
        read_frame(tmp_path, rp)  # a directory given for a file: one line, not a traceback


def test_a_span_too_long_to_hold_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One line with a mistyped year (2925) makes the hour axis centuries long: a MemoryError there
    (its allocation refused) is one line naming the span, not a traceback."""
    hp, rp = _write(tmp_path, H_HEAD, R_HEAD + GOOD + "2925-03-01T05:00:00Z,H1,01,5\n")

    def refused(*args: object) -> None:
        raise MemoryError

    monkeypatch.setattr(offline, "empty_frame", refused)
    with pytest.raises(CsvFormatError, match=r"span 2026-03-01T05:00:00Z … 2925-03-01T05:00:00Z, 7,8"):
        read_frame(hp, rp, Rejects())
