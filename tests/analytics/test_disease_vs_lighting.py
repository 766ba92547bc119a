"""A disease also moves the hens' drinking rhythm; that must not pass for a lighting-schedule change.

A lighting change shifts *when* hens drink and lay, not how much: the 24 h totals stay.  A disease
lowers the totals.  The lighting-change pause must therefore never hide a large drop while the
24 h water total is down (the demo's house-03: water falls, eggs fall 25 points 10 h later).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from analytics.detector import DetectorConfig, detect
from analytics.detector.analysis import analyse
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour

LIGHTS_ON = 20  # UTC, the synth default; laying 22-03 UTC, belt runs at 01 and 06 UTC
WATER_ONSET = day_hour(25, 10)
EGG_ONSET = WATER_ONSET + 10  # lights-on: the first eggs laid after it are fewer


def disease_frame(seed: int = 5) -> HourlyFrame:
    # 90 % hen-day → 65 %: 25 points.
    frame = Flock(seed=seed, drop_from={0: (EGG_ONSET, 0.65 / 0.9)}).build()
    # Sick hens drink earlier in the day (rhythm moves an hour, like lights-on an hour earlier) ...
    earlier = Flock(seed=seed, lights_on=LIGHTS_ON - 1).build()
    frame.water_l[0, WATER_ONSET:] = earlier.water_l[0, WATER_ONSET:]
    # ... and less: 22 % down, ramping in over 6 h from the onset's next lights-on.
    t = np.arange(frame.n_hours - WATER_ONSET)
    frame.water_l[0, WATER_ONSET:] *= 1.0 - 0.22 * np.clip((t - 8) / 6.0, 0.0, 1.0)
    frame.feed_kg[0, WATER_ONSET + 2 :] *= 0.82
    return frame


# A pause that starts with the first hour of a rhythm shift (not only once it has lasted 12 h).
AT_ONCE = DetectorConfig(rhythm_persist_hours=1)


@pytest.mark.parametrize("cfg", [DetectorConfig(), AT_ONCE], ids=["default", "pause-at-once"])
def test_disease_that_moves_drinking_is_a_laying_drop_within_12_hours(cfg: DetectorConfig) -> None:
    frame = disease_frame()
    drops = [a for a in detect(frame, cfg) if a.kind == "laying_drop"]
    assert [a.house for a in drops] == ["H01"]
    delay = drops[0].detected_at - frame.hour_start(EGG_ONSET)
    assert timedelta(0) < delay <= timedelta(hours=12)
    assert drops[0].magnitude_pct >= 12


def test_the_disease_does_start_the_pause_but_the_totals_check_lifts_it() -> None:
    frame = disease_frame()
    # The disease's rhythm shift starts a lighting-change pause when one starts at once ...
    assert analyse(frame, AT_ONCE).paused[0, WATER_ONSET : EGG_ONSET + 12].any()
    # ... and without the totals check (water "never down enough"), nor the water and feed alarms
    # lifting it, it hides the 25-point drop for a day or more: the regression this guards.
    old = DetectorConfig(
        rhythm_persist_hours=1, rhythm_total_fall_frac=10.0, rhythm_outage_hours=0, rhythm_back_hours=0
    )
    drops = [a for a in detect(frame, old) if a.kind == "laying_drop"]
    assert not drops or drops[0].detected_at - frame.hour_start(EGG_ONSET) > timedelta(hours=12)
    # Either guard alone lifts it: the water and feed falling far enough to alarm are no lighting change.
    alarms_only = DetectorConfig(rhythm_persist_hours=1, rhythm_total_fall_frac=10.0, rhythm_back_hours=0)
    drops = [a for a in detect(frame, alarms_only) if a.kind == "laying_drop"]
    assert drops and drops[0].detected_at - frame.hour_start(EGG_ONSET) <= timedelta(hours=12)


@pytest.mark.parametrize("shift", [-2, -1, 1, 2, 3])
def test_pure_lighting_schedule_change_raises_nothing(shift: int) -> None:
    frame = Flock(seed=7).build()
    moved = Flock(seed=7, lights_on=(LIGHTS_ON + shift) % 24).build()
    cut = day_hour(25, 12)
    frame.water_l[:, cut:] = moved.water_l[:, cut:]
    frame.feed_kg[:, cut:] = moved.feed_kg[:, cut:]
    frame.eggs[:, :, cut:] = moved.eggs[:, :, cut:]
    assert detect(frame) == []
