"""One day's deficit judged while the house's baseline is young (analytics/detector/houses.py): the
house's own noise estimate is a MAD of a few days, and no lower than the two-day trend's unit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from analytics.alert import DetectorAlert
from analytics.detector import detect, houses
from tests.analytics.suite import suite_frame


def _drops_on_day_ten(tmp_path: Path) -> list[DetectorAlert]:
    # suite-24-1 house-01 (seed 24's first scenario of `eggwatch evaluate`), hens laying as usual:
    # on its tenth day its own quiet-hour noise read 0.8 points against a trend unit of 2.6, and a
    # 6.5-point day (84 % expected, 79 % counted) passed the 5 x noise end-of-day threshold.
    frame = suite_frame(tmp_path, "suite-24-1")
    day = dt.datetime(2025, 2, 1, tzinfo=dt.UTC)
    return [a for a in detect(frame) if a.house == "house-01" and a.kind == "laying_drop"
            and day <= a.detected_at < day + dt.timedelta(days=2)]  # fmt: skip


def test_a_young_baselines_own_noise_is_not_trusted_below_the_trend_unit(tmp_path: Path) -> None:
    assert _drops_on_day_ten(tmp_path) == []


def test_trusted_as_it_reads_the_day_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        houses, "_full_baseline", lambda days_known, cfg: np.ones(days_known.shape, dtype=bool)
    )
    assert "end_of_day" in [a.evidence["channel"] for a in _drops_on_day_ten(tmp_path)]
