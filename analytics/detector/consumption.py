"""Water and feed per hen over the last 24 h against the same-time-of-day baseline.

A fall in water (or feed) intake is often the first sign of trouble, so it alerts on its own
(``water_drop`` / ``feed_drop``) and, when smaller, lowers the laying thresholds as supporting evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.baseline import same_time_baseline
from analytics.detector.config import DetectorConfig
from analytics.detector.outage import outage_alarm, short_window_fall
from analytics.detector.windows import DAY, run_lengths, window_mean, window_sums


@dataclass(frozen=True)
class ConsumptionDrops:
    per_hen: np.ndarray  # [house, hour] amount per hen over the last 24 h
    expected: np.ndarray  # [house, hour]
    fall: np.ndarray  # [house, hour] 1 - observed / expected (NaN unknown)
    alarm: np.ndarray  # [house, hour] bool
    active: np.ndarray  # [house, hour] bool
    fall_short: np.ndarray  # [house, hour] fall of the last 3 h mid-day (NaN: not checked)


def analyse_consumption(
    amount: np.ndarray,
    hens_mean: np.ndarray,
    min_frac: float,
    pause: np.ndarray,
    start: int,
    cfg: DetectorConfig,
    first_hod: int | None = None,
    slow_frac: float = 0.0,
    weather: np.ndarray | None = None,
    guide: np.ndarray | None = None,
) -> ConsumptionDrops:
    """Falls of ``amount`` per hen; ``pause`` (``[house, hour]``) marks hours with no verdict.

    With ``first_hod`` (the UTC hour of the first column) a line stopping mid-day is also checked
    over the last 3 h (:mod:`analytics.detector.outage`).  With ``slow_frac`` a smaller fall that
    lasts ``slow_hours`` (a feed change settling in) alarms too.  ``weather`` (``[house, hour]``)
    scales the expectation for the house temperature now against the baseline days' (see
    :func:`temperature_factor`).
    """
    h, t = amount.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        per_hen = np.where(hens_mean > 0, window_sums(amount, DAY) / hens_mean, np.nan)
    # Young flocks eat and drink more week by week: compare against the breed guide for the age.
    rel = per_hen
    if guide is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(guide > 0, per_hen / guide, np.nan)
    exp_s, sig_s = same_time_baseline(rel, cfg.baseline_days, cfg.min_baseline_days, start)
    expected = np.full((h, t), np.nan)
    sigma = np.full((h, t), np.nan)
    expected[:, start:] = exp_s
    sigma[:, start:] = np.sqrt(window_mean(sig_s**2, DAY))  # pooled over the day's phases
    if guide is not None:
        expected = expected * guide
        sigma = sigma * guide
    if weather is not None:
        expected = expected * weather
        sigma = sigma * weather
    sigma = np.maximum(sigma, 0.01 * expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        fall = np.where(expected > 0, 1.0 - per_hen / expected, np.nan)
        z = (expected - per_hen) / sigma
        cond = (fall >= min_frac) & (z >= cfg.consumption_z) & ~pause
    alarm = run_lengths(cond) >= cfg.consumption_hours
    if slow_frac > 0:
        with np.errstate(invalid="ignore"):
            slow = (fall >= slow_frac) & (z >= cfg.slow_z) & ~pause
        alarm |= run_lengths(slow) >= cfg.slow_hours
    fall_short = np.full((h, t), np.nan)
    if first_hod is not None and cfg.outage_frac > 0:
        fall_short = short_window_fall(
            amount, expected * hens_mean, first_hod, cfg.baseline_days, cfg.outage_busy_share
        )
        # The 24 h figure falls for a day after lights come on later; mid-day drinking then is normal.
        with np.errstate(invalid="ignore"):
            alarm &= ~(fall_short < cfg.outage_normal_frac * min_frac)
        alarm |= outage_alarm(fall_short, cfg.outage_frac, cfg.outage_hours, pause)
    alarm[:, :start] = False
    with np.errstate(invalid="ignore"):
        active = np.isnan(fall) | (fall >= 0.5 * min_frac) | (fall_short >= 0.5 * cfg.outage_frac)
    return ConsumptionDrops(per_hen, expected, fall, alarm, active, fall_short)


def temperature_factor(mean_24h: np.ndarray, rise: np.ndarray, per_c: float, above_c: float) -> np.ndarray:
    """How much more (``per_c`` > 0, water) or less (< 0, feed) hens take in at today's 24 h mean
    house temperature than at the baseline days' (today's minus ``rise``): ``per_c`` per °C above
    ``above_c``.  1 where unknown.  A cool spell after warm days then lowers the expected water
    instead of raising a ``water_drop``."""
    with np.errstate(invalid="ignore"):
        now = 1.0 + per_c * np.maximum(mean_24h - above_c, 0.0)
        then = 1.0 + per_c * np.maximum(mean_24h - rise - above_c, 0.0)
        f = now / then
    return np.where(np.isfinite(f) & (f > 0), f, 1.0)
