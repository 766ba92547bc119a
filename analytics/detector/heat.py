"""Heat stress: the house's 24 h mean temperature well above the same windows of earlier days.

Hens eat and lay less in the heat, a day or two later; a clear rise in house temperature is an
early warning of that (``heat_stress``), independent of the egg counts.  Warm weather raises every
house of the park together: that alone is not an alert until the house is hot in absolute terms
(``heat_abs_c``); a house rising well above the others' rise (its cooling is failing) is.  With
fewer than ``MIN_PARK`` houses there are no others: the rise must then also stand out from the house's
own day-to-day temperature noise (``heat_lone_z``), which an ordinary warm spell does not.

A laying drop while the alarm lasts or soon after (``heat_cause_hours``, ``recent``) names the heat
as its likely cause.  It is judged on the usual thresholds: a house 2 °C warmer than the others
may still be comfortable for its hens (analytics/EXPERIMENTS.md, "heat as a hint").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.baseline import same_time_baseline
from analytics.detector.config import DetectorConfig
from analytics.detector.windows import DAY, MIN_PARK, park_median, run_lengths, window_mean, within_last

# A 24 h mean over fewer known hours leans towards the hours it has: after a day without data, the
# afternoon's alone was a 2-3 °C "rise" (a `heat_stress` in summer, a day after a gateway came back).
MIN_KNOWN_SHARE = 20 / 24


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
    if h >= MIN_PARK:
        # The others' rise is the weather: what is left is this house's own, so less of it tells.
        excess, limit = rise - park_median(rise), cfg.heat_excess_c
    else:
        noise = np.full((h, t), np.nan)
        noise[:, start:] = sig_s
        with np.errstate(invalid="ignore"):
            excess = np.where(rise >= cfg.heat_lone_z * noise, rise, np.nan)
        limit = cfg.heat_rise_c  # the rise itself, weather included
    with np.errstate(invalid="ignore"):
        hot = (excess >= limit) | ((rise >= cfg.heat_rise_c) & (mean >= cfg.heat_abs_c))
        alarm = run_lengths(hot, np.isnan(rise)) >= cfg.consumption_hours
        active = np.isnan(rise) | (rise >= 0.5 * cfg.heat_rise_c)
    alarm[:, :start] = False
    recent = within_last(alarm, cfg.heat_cause_hours)
    return HeatStress(mean, rise, excess, alarm, active, recent)
