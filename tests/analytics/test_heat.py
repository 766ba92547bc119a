"""Heat stress (analytics/detector/heat.py): a house warmer than the others is judged against how
far it usually strays from them."""

from __future__ import annotations

import numpy as np

from analytics.detector import DetectorConfig, detect
from analytics.frame import HourlyFrame
from tests.analytics.synth import Flock, day_hour


def _park(seed: int, stray_c: float = 1.0) -> HourlyFrame:
    """Six houses under one weather (a 9-day swing of ± 4 °C and a daily one of ± 2 °C), each
    house's 24 h mean ``stray_c`` off from day to day on its own, and half a degree of sensor noise."""
    frame = Flock(days=60, houses=6, seed=seed).build()
    t = np.arange(frame.n_hours)
    rng = np.random.default_rng(seed)
    weather = 21 + 4 * np.sin(2 * np.pi * t / (24 * 9)) + 2 * np.sin(2 * np.pi * (t % 24) / 24)
    frame.temp_c[...] = (
        weather + stray_c * rng.standard_normal((6, 60))[:, t // 24] + 0.5 * rng.standard_normal((6, len(t)))
    )
    return frame


def _heat(frame: HourlyFrame, cfg: DetectorConfig | None = None) -> list[tuple[str, int]]:
    return [
        (a.house, int((a.detected_at - frame.start).total_seconds() // 3600))
        for a in detect(frame, cfg)
        if a.kind == "heat_stress"
    ]


def test_houses_that_stray_a_degree_from_each_other_are_not_heat_stressed() -> None:
    # A 2 °C excess over the others' rise alone: 29 alerts here (0.7 a house-month on the unit
    # tests' generator), none of them heat.
    alerts = [a for seed in range(4) for a in _heat(_park(seed))]
    assert len(alerts) <= 6
    assert len([a for seed in range(4) for a in _heat(_park(seed), DetectorConfig(heat_excess_z=0))]) >= 20


def test_a_failing_cooling_stands_out_from_houses_that_stray() -> None:
    frame = _park(1)
    onset = day_hour(40, 6)
    frame.temp_c[2, onset:] += np.clip((np.arange(frame.n_hours - onset) + 1) / 12, 0, 1) * 5.0
    found = [t for house, t in _heat(frame) if house == frame.houses[2] and t >= onset]
    assert len(found) == 1 and found[0] - onset <= 36  # once: the episode lasts while it stays warm
