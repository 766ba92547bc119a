"""A frame that starts with empty days (a 60-day query over a park whose data covers the last week
or two) gives the same alerts as the frame trimmed to where the data begins."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from analytics.detector import detect, detect_live
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour


def with_empty_days(frame: HourlyFrame, days: int) -> HourlyFrame:
    """``days`` days with no readings in front of ``frame``; ages known (they come from the park)."""
    n = 24 * days

    def empty(a: np.ndarray) -> np.ndarray:
        return np.concatenate([np.full((*a.shape[:-1], n), np.nan), a], axis=-1)

    earlier_ages = frame.age_weeks[:, :1] - np.arange(n, 0, -1)[None, :] / (24 * 7)
    return HourlyFrame(
        start=frame.start - timedelta(hours=n),
        houses=frame.houses,
        rows=frame.rows,
        hens=empty(frame.hens),
        age_weeks=np.concatenate([earlier_ages, frame.age_weeks], axis=-1),
        water_l=empty(frame.water_l),
        feed_kg=empty(frame.feed_kg),
        temp_c=empty(frame.temp_c),
        eggs=empty(frame.eggs),
        breeds=frame.breeds,
    )


def as_json(alerts: list) -> list:
    return [a.to_json() for a in alerts]


@pytest.mark.parametrize(
    "flock",
    [
        Flock(days=10, drop_from={0: (day_hour(7, 14), 0.75)}),  # the demo: a week of data, then a drop
        Flock(days=20, runs=(23,), drop_from={1: (day_hour(15, 14), 0.75)}),
        Flock(days=40, day_noise=0.005, drop_from={1: (day_hour(25, 14), 0.93)}),  # mild dip
        Flock(days=12, seed=3),  # clean
    ],
    ids=["week-then-drop", "one-run", "mild-dip", "clean"],
)
@pytest.mark.parametrize("empty_days", [50, 13])
def test_leading_empty_days_change_no_alert(flock: Flock, empty_days: int) -> None:
    frame = flock.build()
    expected = detect(frame)
    if flock.drop_from:
        assert "laying_drop" in [a.kind for a in expected]
    assert as_json(detect(with_empty_days(frame, empty_days))) == as_json(expected)


def test_live_pass_over_a_long_mostly_empty_window_finds_the_drop() -> None:
    frame = Flock(days=10, drop_from={0: (day_hour(7, 14), 0.75)}).build()
    (alert,) = [a for a in detect(frame) if a.kind == "laying_drop"]
    padded = with_empty_days(frame, 60)  # the alert service loads history_days=70
    n = padded.index_of(alert.detected_at)
    assert as_json(detect_live(padded.head(n), window_hours=1)) == as_json([alert])
