"""A water line that stops, or hens that drink less at once: the last 3 h of water (or of a feed
measured hour by hour) against what those hours of the day usually get.

The 24 h figure needs hours of outage before it falls far enough (and then ``consumption_hours`` more
to confirm); a line failure shows at once in a short window.  Short windows carry the drinking
rhythm, so the check is made only in the middle of the drinking day: the hours from 5 h before to
4 h after have all been busy on the previous days (their usual share of the day, learned causally),
so lights switched on or off up to ~3 h later or earlier cannot look like an outage.

A partial fall (sick hens drink less every hour) is judged nearer the ends of the drinking day
(3 h before and 2 h after usually busy), in the house's own noise units, and only with no hour
of its window down by half: lights moved later leave an hour dry, while lights moved earlier
are paused for by the caller (``lights.lights_came_early``).
"""

from __future__ import annotations

import numpy as np

from analytics.detector.profile import at_hours, daily_profiles
from analytics.detector.windows import DAY, lagged, pooled, run_lengths, window_mean, window_sums

SHORT_H = 3  # the short window (hours)
STEADY_BEFORE, STEADY_AFTER = 5, 4  # hours around now that must usually be busy


Window = tuple[int, tuple[int, int]]  # (hours, (usually busy hours before now, after))
OUTAGE_WINDOW: Window = (SHORT_H, (STEADY_BEFORE, STEADY_AFTER))


def short_window_falls(
    amount: np.ndarray,
    expected_day: np.ndarray,
    first_hod: int,
    days: int,
    busy_share: float,
    windows: list[Window],
) -> list[np.ndarray]:
    """For each ``(hours, (before, after))`` window, ``[house, hour]`` 1 - (last ``hours`` h) /
    (their usual share x expected 24 h amount); NaN where the hours from ``before`` before now to
    ``after`` after are not all usually busy (mid-day, see module doc), or unknown.  The hourly
    profile is learned once for all of them."""
    prof, day_of_hour = daily_profiles(amount, first_hod, days)  # [house, day, 24], causal
    # Worked out per (day, hour of day) — 24 values a day — then looked up for every hour.
    peak = np.nanmax(np.where(np.isnan(prof), -1.0, prof), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        busy = prof >= busy_share * peak
    out = []
    for hours, (before, after) in windows:
        steady = np.ones(prof.shape, dtype=bool)
        usual = np.zeros(prof.shape)
        for j in range(-before, after + 1):  # a loop over hour offsets, not houses
            steady &= np.roll(busy, -j, axis=-1)  # [..., p] = busy[..., (p + j) % 24]
            if -hours < j <= 0:
                usual += np.roll(prof, -j, axis=-1)
        usual = at_hours(np.where(steady, usual, np.nan), day_of_hour, first_hod)
        observed = window_sums(amount, hours)
        with np.errstate(invalid="ignore", divide="ignore"):
            exp = usual * expected_day
            out.append(np.where(exp > 0, 1.0 - observed / exp, np.nan))
    return out


def outage_alarm(fall: np.ndarray, min_frac: float, hours: int, pause: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        cond = (fall >= min_frac) & ~pause
    return run_lengths(cond) >= hours


def own_units(
    fall: np.ndarray, days: int, park_weight: float, day_sd: np.ndarray | float = 0.0
) -> np.ndarray:
    """``fall`` (``[house, hour]``) in the house's own noise units: less its mean, over its spread
    about that mean (pulled towards the park's median by ``park_weight``), both over the ``days``
    days before the last one — causal, and a fall in progress does not widen its own unit — with
    ``day_sd`` (the 24 h figure's relative spread over the baseline days) added in quadrature: a
    few days hold few whole days, and a day on which the house drinks less is no sickness.  Houses
    drink mid-day as steadily as their rhythm and meters allow, which differs far more from house
    to house than their 24 h figures do: a fixed threshold would be blind in one and noisy in
    another (12 % at once: 116 false alarms on the project simulator, EXPERIMENTS.md)."""
    w = days * DAY
    mean = lagged(window_mean(fall, w), DAY)
    with np.errstate(invalid="ignore"):
        var = lagged(window_mean(fall**2, w), DAY) - mean**2
    sd = np.sqrt(np.maximum(pooled(var, park_weight), 0.01**2) + np.nan_to_num(np.square(day_sd)))
    return (fall - mean) / sd


def partial_fall_alarm(
    fall: np.ndarray,
    z: np.ndarray,
    hour_fall: np.ndarray,
    min_frac: float,
    min_z: float,
    hours: int,
    pause: np.ndarray,
) -> np.ndarray:
    """``[house, hour]``: the short window down ``min_frac`` and ``min_z`` of its own noise units
    for ``hours`` in a row — sick hens drink less at once, long before the 24 h figure shows it —
    with no hour in it down by half or more (``hour_fall``, each hour against its usual): sick
    hens drink less every hour, while a meter that missed an hour reads 0 in one (a line that
    stopped is the outage check's)."""
    with np.errstate(invalid="ignore"):
        missed = window_sums((hour_fall >= 0.5).astype(float), SHORT_H) > 0
        cond = (fall >= min_frac) & (z >= min_z) & ~missed & ~pause
    return run_lengths(cond) >= hours
