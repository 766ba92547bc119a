"""CONTRACTS §6 CSV input and JSON-lines output."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from analytics.alert import DetectorAlert
from analytics.offline import CsvFormatError, read_frame, write_alerts, write_frame
from tests.analytics.synth import Flock

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
