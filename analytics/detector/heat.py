"""Heat stress: the house's 24 h mean temperature well above the same windows of earlier days.

Hens eat and lay less in the heat, a day or two later; a clear rise in house temperature is an
early warning of that (``heat_stress``), independent of the egg counts.  Warm weather raises every
house of the park together: that alone is not an alert until the house is hot in absolute terms
(``heat_abs_c``); a house rising well above the others' rise (its cooling is failing) is.  With
fewer than ``MIN_PARK`` houses there are no others: the rise must then also stand out from the house's
own day-to-day temperature noise (``heat_lone_z``), which an ordinary warm spell does not.  With
a park, a house's excess over the others must also be ``heat_excess_z`` times what it usually
strays from them: houses whose temperatures differ by a degree from day to day are not stressed.

A laying drop while the alarm lasts or soon after (``heat_cause_hours``, ``recent``) names the heat
as its likely cause.  It is judged on the usual thresholds: a house 2 °C warmer than the others
may still be comfortable for its hens (analytics/EXPERIMENTS.md, "heat as a hint").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.baseline import same_time_baseline
from analytics.detector.config import DetectorConfig
from analytics.detector.windows import (
    DAY,
    MIN_PARK,
    lagged,
    park_median,
    pooled,
    run_lengths,
    window_cov,
    window_mean,
    within_last,
)

# A 24 h mean over fewer known hours leans towards the hours it has: after a day without data, the
# afternoon's alone was a 2-3 °C "rise" (a `heat_stress` in summer, a day after a gateway came back).
MIN_KNOWN_SHARE = 20 / 24
SPREAD_PARK_WEIGHT = 3.0  # a house's usual spread from the others, pulled towards the park's median


@dataclass(frozen=True)
class HeatStress:
    mean_24h: np.ndarray  # [house, hour] °C
    rise: np.ndarray  # [house, hour] °C above the baseline
    excess: np.ndarray  # [house, hour] °C of that rise beyond the park's median rise (with fewer than
    # MIN_PARK houses: the rise itself where it is heat_lone_z of the house's own noise, else NaN)
    alarm: np.ndarray
    active: np.ndarray
    recent: np.ndarray  # [house, hour] an alarm within the last heat_cause_hours (this hour included)


def analyse_heat(temp_c: np.ndarray, start: int, cfg: DetectorConfig) -> HeatStress:
    h, t = temp_c.shape
    known = window_mean((~np.isnan(temp_c)).astype(float), DAY)
    mean = np.where(known >= MIN_KNOWN_SHARE, window_mean(temp_c, DAY), np.nan)
    exp_s, sig_s = same_time_baseline(mean, cfg.baseline_days, cfg.min_baseline_days, start)
    rise = np.full((h, t), np.nan)
    rise[:, start:] = mean[:, start:] - exp_s
    apart = np.zeros((h, t))  # the house's rise beyond the others' (parks only), for ``active``
    if h >= MIN_PARK:
        # The others' rise is the weather: what is left is this house's own, so less of it tells —
        # if it is more than this house usually strays from the others.
        apart = rise - park_median(rise)
        with np.errstate(invalid="ignore"):
            excess = np.where(apart >= cfg.heat_excess_z * _spread_from_park(mean, cfg), apart, np.nan)
        limit = cfg.heat_excess_c
    else:
        noise = np.full((h, t), np.nan)
        noise[:, start:] = sig_s
        with np.errstate(invalid="ignore"):
            excess = np.where(rise >= cfg.heat_lone_z * noise, rise, np.nan)
        limit = cfg.heat_rise_c  # the rise itself, weather included
    with np.errstate(invalid="ignore"):
        hot = (excess >= limit) | ((rise >= cfg.heat_rise_c) & (mean >= cfg.heat_abs_c))
        alarm = run_lengths(hot, np.isnan(rise)) >= cfg.consumption_hours
        # Still going on while the house is warmer than its baseline or than the others.
        active = np.isnan(rise) | (rise >= 0.5 * cfg.heat_rise_c) | (apart >= 0.5 * cfg.heat_excess_c)
    alarm[:, :start] = False
    recent = within_last(alarm, cfg.heat_cause_hours)
    return HeatStress(mean, rise, excess, alarm, active, recent)


def _spread_from_park(mean: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """``[house, hour]``: how far each house's 24 h mean strays from the park's median on ordinary
    days — its standard deviation over the baseline days before today (13 of them, so a live pass's
    first figures have them all; today's own rise does not widen it), pulled ¾ towards the park's
    median (13 days read low by chance, and the houses that read lowest raised the alarms).  House
    temperatures a degree apart from day to day (ventilation, sensors) made a 2 °C excess 0.7 false
    alarms a house-month on the unit tests' generator; 0.03 now (analytics/README.md, step 7)."""
    if cfg.heat_excess_z <= 0:
        return np.zeros_like(mean)
    stray = lagged(mean - park_median(mean), DAY)
    w = (cfg.baseline_days - 1) * DAY
    with np.errstate(invalid="ignore"):
        var = np.maximum(window_cov(stray, stray, w), 0.0)
    return np.sqrt(pooled(var, SPREAD_PARK_WEIGHT))
