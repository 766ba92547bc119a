"""Water and feed per hen over the last 24 h against the same-time-of-day baseline.

A fall in water (or feed) intake is often the first sign of trouble, so it alerts on its own
(``water_drop`` / ``feed_drop``) and, when smaller, lowers the laying thresholds as supporting evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from analytics.detector.baseline import guided_baseline, same_time_baseline
from analytics.detector.config import DetectorConfig
from analytics.detector.outage import (
    OUTAGE_WINDOW,
    SHORT_H,
    outage_alarm,
    own_units,
    partial_fall_alarm,
    short_window_falls,
)
from analytics.detector.windows import (
    DAY,
    lagged,
    last_true,
    pooled,
    run_lengths,
    value_at,
    window_cov,
    window_mean,
    window_sums,
    within_last,
)


@dataclass(frozen=True)
class ConsumptionDrops:
    per_hen: np.ndarray  # [house, hour] amount per hen over the last 24 h
    expected: np.ndarray  # [house, hour]
    fall: np.ndarray  # [house, hour] 1 - observed / expected (NaN unknown)
    fall_2d: np.ndarray  # [house, hour] the same over the last 48 h
    alarm: np.ndarray  # [house, hour] bool
    active: np.ndarray  # [house, hour] bool
    fall_short: np.ndarray  # [house, hour] fall of the last 3 h mid-day (NaN: not checked)
    fall_mid: np.ndarray  # [house, hour] the same judged for a partial fall (a longer day; NaN: not)
    z: np.ndarray  # [house, hour] the 24 h fall in its own noise units (NaN unknown)
    day_moved: np.ndarray  # [house, hour] bool: mid-day intake normal, the 24 h fall is the day moving


def by_house(mask: np.ndarray, a: ConsumptionDrops, b: ConsumptionDrops) -> ConsumptionDrops:
    """``a``'s figures for the houses in ``mask`` (``[house]``), ``b``'s for the others."""
    m = mask[:, None]
    return ConsumptionDrops(*(np.where(m, getattr(a, f.name), getattr(b, f.name)) for f in fields(a)))


def analyse_consumption(
    amount: np.ndarray,
    hens_mean: np.ndarray,
    min_frac: float,
    excused: np.ndarray,
    start: int,
    cfg: DetectorConfig,
    first_hod: int | None = None,
    slow_frac: float = 0.0,
    guide: np.ndarray | None = None,
    temp: tuple[np.ndarray, np.ndarray] | None = None,
    per_c_range: tuple[float, float] = (0.0, 0.0),
    hens: np.ndarray | None = None,
    lights_early: np.ndarray | None = None,
    bridge: bool = True,
    short_alarms: np.ndarray | None = None,
) -> ConsumptionDrops:
    """Falls of ``amount`` per hen; ``excused`` (``[house, hour]``) is the fall a known event explains
    at each hour (a share; ``inf``: no verdict then), judged only beyond it.

    With ``first_hod`` (the UTC hour of the first column) a line stopping mid-day is also checked
    over the last 3 h (:mod:`analytics.detector.outage`).  With ``slow_frac`` a smaller fall over
    the last 48 h that lasts ``slow_hours`` (a feed change settling in) alarms too.  ``guide``
    (``[house, hour]``) is the breed guide's amount per hen for the age: intake is judged relative
    to it.  ``temp`` (the 24 h mean house temperature and its rise over the baseline days) lets the
    expectation follow the weather, with the house's own sensitivity (:func:`learned_weather`).
    ``hens``: the hourly count (short windows judge the hens of their own hours).  ``lights_early``
    (``[house, hour]``, lights.py): the lights came on early; no partial fall is judged for a day.
    ``bridge``: an hour reading zero after a busy one is a missed reading (:func:`day_sums`; the
    water's meters) — not for feeders that deliver in runs.  ``short_alarms`` (``[house]``, default
    all): the houses whose short windows may alarm; the others' only tell the day moving.
    """
    h, t = amount.shape
    sums = day_sums(amount) if first_hod is not None and bridge else window_sums(amount, DAY)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_hen = np.where(hens_mean > 0, sums / hens_mean, np.nan)
    # The house's sensitivity to the weather is learned on intake relative to the breed guide, so
    # a young flock's rise is not taken for the weather.
    rel = per_hen
    if guide is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.where(guide > 0, per_hen / guide, np.nan)
    weather = None
    if temp is not None and cfg.temp_days > 0:
        weather = learned_weather(rel, temp[0], temp[1], cfg.temp_days, per_c_range)
    if guide is None:
        exp_s, sig_s = same_time_baseline(per_hen, cfg.baseline_days, cfg.min_baseline_days, start)
    else:
        exp_s, sig_s = guided_baseline(per_hen, guide, cfg.baseline_days, cfg.min_baseline_days, start)
    expected = np.full((h, t), np.nan)
    sigma = np.full((h, t), np.nan)
    expected[:, start:] = exp_s
    # Each time of day keeps its own noise: a window holding one whole feeding day (the dark hours)
    # varies more than one split across two.  Fourteen days' MAD reads anything from half to twice
    # the truth, so it is pulled towards the park's median (the houses share their meters and
    # feeders), then scaled for reading low (analytics/README.md, step 7).
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_var = np.where(exp_s > 0, (sig_s / exp_s) ** 2, np.nan)
    sigma[:, start:] = cfg.intake_sigma_scale * exp_s * np.sqrt(pooled(rel_var, cfg.intake_park_weight))
    if weather is not None:
        expected = expected * weather
        sigma = sigma * weather
    sigma = np.maximum(sigma, 0.01 * expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        fall = np.where(expected > 0, 1.0 - per_hen / expected, np.nan)
        z = (expected - per_hen) / sigma
        cond = (fall >= min_frac + excused) & (z >= cfg.consumption_z)
    alarm = run_lengths(cond, np.isnan(fall)) >= cfg.consumption_hours  # a gap does not end a fall
    # A smaller fall that lasts shows over two days, where day-to-day noise is halved (in variance).
    fall_2d, z_2d = _two_days(per_hen, expected, sigma)
    if slow_frac > 0:
        with np.errstate(invalid="ignore"):
            # Two days' windows mix a fall of hens for two days: what explained either day still does.
            excused_2d = np.maximum(excused, lagged(excused, DAY, 0.0))
            slow = (fall_2d >= slow_frac + excused_2d) & (z_2d >= cfg.slow_z)
        alarm |= run_lengths(slow, np.isnan(fall_2d)) >= cfg.slow_hours
    fall_short = np.full((h, t), np.nan)
    fall_mid = np.full((h, t), np.nan)
    day_moved = np.zeros((h, t), dtype=bool)
    if first_hod is not None and cfg.outage_frac > 0:
        # Hens removed within the day: the short window has only the hens left (a count that rose
        # is not believed before the day's mean has it: a typo of 10 x must not look like an outage).
        hens_short = hens_mean if hens is None else np.fmin(hens_mean, window_mean(hens, SHORT_H))
        # The partial fall's window is judged nearer the ends of the drinking day than an outage's:
        # lights moved leave an hour dry, which the hour check (no hour down by half) tells from
        # hens drinking less.
        partial = cfg.midday_frac > 0 and (short_alarms is None or bool(short_alarms.any()))
        windows = [OUTAGE_WINDOW] + (
            [(SHORT_H, (cfg.midday_before, cfg.midday_after)), (1, (0, 0))] if partial else []
        )
        falls = short_window_falls(
            amount, expected * hens_short, first_hod, cfg.baseline_days, cfg.outage_busy_share, windows
        )
        fall_short = falls[0]
        # The 24 h figure falls for a day after lights come on later; mid-day drinking then is normal.
        day_moved = _day_moved(fall, fall_short, cfg.outage_normal_frac * min_frac, 0.25 * min_frac)
        alarm &= ~day_moved
        silent = np.isinf(excused)
        if short_alarms is not None:
            silent = silent | ~short_alarms[:, None]
        alarm |= outage_alarm(fall_short - excused, cfg.outage_frac, cfg.outage_hours, silent)
        if partial:  # a partial fall, in the house's own noise units
            fall_mid, hour_fall = falls[1:]
            with np.errstate(invalid="ignore", divide="ignore"):
                day_sd = cfg.midday_day_weight * sigma / expected
            z_mid = own_units(fall_mid, cfg.midday_days, cfg.intake_park_weight, day_sd)
            moved = np.zeros((h, t), dtype=bool) if lights_early is None else within_last(lights_early, DAY)
            alarm |= partial_fall_alarm(
                fall_mid - excused, z_mid, hour_fall, cfg.midday_frac, cfg.midday_z, cfg.midday_hours,
                silent | moved,
            )  # fmt: skip
    alarm[:, :start] = False
    with np.errstate(invalid="ignore"):
        active = np.isnan(fall) | (fall >= 0.5 * min_frac) | (fall_short >= 0.5 * cfg.outage_frac)
    return ConsumptionDrops(
        per_hen, expected, fall, fall_2d, alarm, active, fall_short, fall_mid, z, day_moved
    )


def day_sums(amount: np.ndarray) -> np.ndarray:
    """24 h sums of a meter's hourly amounts, ``[house, hour]``, with a dropout bridged: one hour
    reading zero right after a busy one (at least half the day's mean hourly amount) is a meter or a
    reading that missed an hour, or a line closed for minutes — not hens that stopped drinking.
    While it is the latest hour it counts as the hour before; once the next hour is busy too, as the
    mean of the two (causal: each window knows only its own hours).  A line that stays dry is not
    bridged from its second dry hour on, so a line failure is judged an hour later at most (and the
    3 h outage check reads the meter as it is).  Unbridged, a zero at the drinking peak took ~10 %
    off every 24 h window for a day: past a `water_drop`'s 12 % with a day's noise, and past the 6 %
    that lowers the laying thresholds (three such hours a house: 34 → 45 false alarms on seeds 1-6)."""
    sums = window_sums(amount, DAY)
    prev = lagged(amount, 1)
    with np.errstate(invalid="ignore"):
        busy = 0.5 * lagged(sums, 1) / DAY
        pending = (amount == 0) & (prev >= busy) & (busy > 0)
    if not pending.any():  # the usual case
        return sums
    after = np.full(amount.shape, np.nan)
    after[:, :-1] = amount[:, 1:]
    with np.errstate(invalid="ignore"):
        bridged = pending & (after >= busy)
    extra = np.where(bridged, (prev + after) / 2.0, 0.0)
    # The window ending at a zero does not know the next hour yet: the hour before stands in.
    return window_sums(amount + extra, DAY) - extra + np.where(pending, prev, 0.0)


def falling_together(
    water: ConsumptionDrops,
    feed: ConsumptionDrops,
    excused_water: np.ndarray,
    excused_feed: np.ndarray,
    cfg: DetectorConfig,
) -> np.ndarray:
    """``[house, hour]``: water and feed per hen both down ``joint_frac`` (beyond what a known event
    explains) and ``joint_z`` of their own noise units, for ``joint_hours`` in a row.

    Hens that fall ill eat and drink less together; each fall alone may still be within what a
    day's noise gives (water 12 %, feed 8 % are needed alone), both at once hardly ever by chance:
    their day-to-day noise is independent."""
    with np.errstate(invalid="ignore"):
        both = (
            (water.fall >= cfg.joint_frac + excused_water) & (water.z >= cfg.joint_z)
            & (feed.fall >= cfg.joint_frac + excused_feed) & (feed.z >= cfg.joint_z)
        )  # fmt: skip
    unknown = np.isnan(water.fall) | np.isnan(feed.fall)
    # Mid-day drinking normal: the lights moved and the day's windows with them.
    return (run_lengths(both, unknown) >= cfg.joint_hours) & ~water.day_moved


def _day_moved(fall: np.ndarray, fall_short: np.ndarray, normal: float, margin: float) -> np.ndarray:
    """``[house, hour]``: the last mid-day check (within a day) found drinking normal and the 24 h
    fall has not grown by ``margin`` since: the day moved, the hens drink as usual.  Kept after the
    mid-day hours end, or the same fall would alarm that evening."""
    t = np.arange(fall.shape[-1])
    checked = ~np.isnan(fall_short)
    last = last_true(checked)
    with np.errstate(invalid="ignore"):
        was_normal = value_at(fall_short, last) < normal
        grew = fall > value_at(fall, last) + margin
    return was_normal & (t - last <= DAY) & ~grew


def _two_days(per_hen: np.ndarray, expected: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fall and z (in the two days' own noise) over the last 48 h: today's and yesterday's 24 h."""
    observed = per_hen + lagged(per_hen, DAY)
    usual = expected + lagged(expected, DAY)
    with np.errstate(invalid="ignore", divide="ignore"):
        fall = np.where(usual > 0, 1.0 - observed / usual, np.nan)
        z = (usual - observed) / np.sqrt(sigma**2 + lagged(sigma, DAY) ** 2)
    return fall, z


def learned_weather(
    rel: np.ndarray, mean_24h: np.ndarray, rise: np.ndarray, days: int, per_c_range: tuple[float, float]
) -> np.ndarray:
    """``[house, hour]`` factor for the expected intake: hens drink more and eat less when it is warm,
    by how much depends on the house (ventilation, cooling pads), so each house's own sensitivity is
    learned — the least-squares slope of its intake on its 24 h mean temperature over the last
    ``days`` days, shrunk towards 0 when the temperature hardly varied, clipped to ``per_c_range``
    (per °C, relative to the mean intake) — and applied to today's temperature against the baseline
    days' (``rise``).  A cool day after warm ones then lowers the expected water instead of raising
    a ``water_drop``; a house whose intake never followed the weather gets no correction."""
    w = days * DAY
    both = ~np.isnan(rel) & ~np.isnan(mean_24h)
    x = np.where(both, mean_24h, np.nan)
    y = np.where(both, rel, np.nan)
    mean_x, mean_y = window_mean(x, w), window_mean(y, w)  # each taken once, for both moments
    with np.errstate(invalid="ignore", divide="ignore"):
        cov, var = window_cov(x, y, w, (mean_x, mean_y)), window_cov(x, x, w, (mean_x, mean_x))
        slope = cov / (np.maximum(var, 0.0) + 1.0) / mean_y  # + 1 °C²: no slope from a steady house
        slope = np.clip(np.nan_to_num(slope), *per_c_range)
        f = 1.0 + slope * rise
    return np.where(np.isfinite(f) & (f > 0), f, 1.0)
