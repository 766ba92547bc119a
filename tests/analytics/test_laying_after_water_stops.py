"""A house whose water stopped (a line failed, or the lights failed and the hens could not see to
drink) lays less the next day.  The stop moves the drinking rhythm of every 24 h window that holds
it, which looks like lights moved to another schedule; that must not pause the laying verdicts for
days (it did: the laying drop of a water-line failure came 84 h late, after the "lighting change"
pause, on more than half of the simulator's line failures)."""

from __future__ import annotations

import pytest

from analytics.detector import DetectorConfig, detect
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour


def _water_stops(stop: int, hours: int, feed_too: bool) -> HourlyFrame:
    frame = Flock(seed=1, drop_from={1: (stop + 6, 0.82)}).build()  # 16 points less from 6 h on
    frame.water_l[1, stop : stop + hours] *= 0.05
    frame.water_l[1, stop + hours : stop + hours + 4] *= 1.5  # the hens make up for it
    if feed_too:  # lights out: no feeding either
        frame.feed_kg[1, stop : stop + hours] = 0.0
    return frame


def _laying_h(frame: HourlyFrame, stop: int, config: DetectorConfig | None = None) -> list[float]:
    return [
        (a.detected_at - frame.hour_start(stop)).total_seconds() / 3600
        for a in detect(frame, config)
        if a.kind == "laying_drop"
    ]


@pytest.mark.parametrize(
    ("utc_hour", "hours", "feed_too", "within_h"),
    [(2, 10, False, 36), (23, 6, False, 36), (2, 10, True, 36), (17, 5, False, 48)],
    ids=["line-mid-day", "line-morning", "lights-out", "line-at-night"],
)
def test_laying_that_falls_after_the_water_stopped_is_judged_at_once(
    utc_hour: int, hours: int, feed_too: bool, within_h: int
) -> None:
    stop = day_hour(25, utc_hour)
    frame = _water_stops(stop, hours, feed_too)
    # A line that fails at night and runs again soon after lights-on (20 UTC) raises no water
    # alarm: it looks like lights switched on later.  The rhythm is back the next day, and with it
    # the laying verdicts.
    assert [a.kind for a in detect(frame)][:1] == (["laying_drop"] if utc_hour == 17 else ["water_drop"])
    assert _laying_h(frame, stop)[:1] and _laying_h(frame, stop)[0] <= within_h
    # Taken for a lighting change, the laying verdicts waited 84 h.
    late = _laying_h(frame, stop, DetectorConfig(rhythm_outage_hours=0, rhythm_back_hours=0))
    assert late and late[0] > 72
