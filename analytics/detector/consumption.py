"""Water and feed per hen over the last 24 h against the same-time-of-day baseline.

A fall in water (or feed) intake is often the first sign of trouble, so it alerts on its own
(``water_drop`` / ``feed_drop``) and, when smaller, lowers the laying thresholds as supporting evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.baseline import same_time_baseline
from analytics.detector.config import DetectorConfig
from analytics.detector.windows import DAY, run_lengths, window_mean, window_sums


@dataclass(frozen=True)
class ConsumptionDrops:
    per_hen: np.ndarray  # [house, hour] amount per hen over the last 24 h
    expected: np.ndarray  # [house, hour]
    fall: np.ndarray  # [house, hour] 1 - observed / expected (NaN unknown)
    alarm: np.ndarray  # [house, hour] bool
    active: np.ndarray  # [house, hour] bool


def analyse_consumption(
    amount: np.ndarray,
    hens_mean: np.ndarray,
    min_frac: float,
    pause: np.ndarray,
    start: int,
    cfg: DetectorConfig,
) -> ConsumptionDrops:
    """Falls of ``amount`` per hen; ``pause`` (``[house, hour]``) marks hours with no verdict."""
    h, t = amount.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        per_hen = np.where(hens_mean > 0, window_sums(amount, DAY) / hens_mean, np.nan)
    exp_s, sig_s = same_time_baseline(per_hen, cfg.baseline_days, cfg.min_baseline_days, start)
    expected = np.full((h, t), np.nan)
    sigma = np.full((h, t), np.nan)
    expected[:, start:] = exp_s
    sigma[:, start:] = np.sqrt(window_mean(sig_s**2, DAY))  # pooled over the day's phases
    sigma = np.maximum(sigma, 0.01 * expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        fall = np.where(expected > 0, 1.0 - per_hen / expected, np.nan)
        z = (expected - per_hen) / sigma
        cond = (fall >= min_frac) & (z >= cfg.consumption_z) & ~pause
    alarm = run_lengths(cond) >= cfg.consumption_hours
    alarm[:, :start] = False
    with np.errstate(invalid="ignore"):
        active = np.isnan(fall) | (fall >= 0.5 * min_frac)
    return ConsumptionDrops(per_hen, expected, fall, alarm, active)
