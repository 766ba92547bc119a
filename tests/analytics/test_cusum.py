"""The multi-day evidence accumulator (one CUSUM step per day, per hour of day)."""

from __future__ import annotations

import numpy as np

from analytics.detector.cusum import daily_cusum


def _days(values: list[float], hours: int = 24) -> np.ndarray:
    return np.repeat(np.array(values, dtype=float), hours)[None, :]


def test_sums_evidence_over_days_minus_the_reference() -> None:
    s = daily_cusum(_days([1.0, 2.0, 2.0, -5.0]), k=0.5, restart=np.zeros((1, 96), dtype=bool))
    assert np.allclose(s[0, ::24], [0.5, 2.0, 3.5, 0.0])


def test_each_hour_of_day_is_its_own_series() -> None:
    z = np.zeros((1, 48))
    z[0, 5] = z[0, 29] = 2.0  # hour 5 of two days
    s = daily_cusum(z, k=0.5, restart=np.zeros((1, 48), dtype=bool))
    assert s[0, 29] == 3.0 and s[0, 28] == 0.0 and s[0, 30] == 0.0


def test_unknown_days_add_nothing_and_restart_clears() -> None:
    z = _days([2.0, np.nan, 2.0, 2.0])
    restart = np.zeros((1, 96), dtype=bool)
    restart[0, 72:] = True
    s = daily_cusum(z, k=0.5, restart=restart)
    assert np.allclose(s[0, ::24], [1.5, 1.5, 3.0, 0.0])


def test_partial_last_day() -> None:
    s = daily_cusum(np.ones((2, 30)), k=0.0, restart=np.zeros((2, 30), dtype=bool))
    assert s.shape == (2, 30) and s[1, 29] == 2.0
