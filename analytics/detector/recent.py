"""The last hours of a house that counts eggs round the clock (the ``recent_hours`` channel).

With no quiet hours there is no laying time to move and no belt run to wait for: the eggs of the
last few hours already say how the hens lay, where the 24 h figure takes a day to show a step in
full.  Used by :func:`analytics.detector.houses.analyse_drops`.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.config import DetectorConfig
from analytics.detector.rows import RowState
from analytics.detector.windows import DAY, lagged, past_days, robust_center, robust_center_scale, window_sums

TAIL = (0.85, 1.44)  # a normal |deviation| is below 1.44 σ 85 % of the time


def recent_deficit(
    rows: RowState,
    eggs: np.ndarray,
    hens_mean: np.ndarray,
    hen_day_24h: np.ndarray,
    round_the_clock: np.ndarray,
    start: int,
    cfg: DetectorConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """``([house, hour], [house, hour])``: hen-day points the last ``recent_hours`` hours, at their
    pace, fall short of the 24 h figure a day earlier (``hen_day_24h``), in houses that count round
    the clock, less its usual value at this hour (which holds how the counting swings over the day),
    and its usual spread (the previous ``baseline_days`` days' same hour); NaN elsewhere, and in
    houses with fewer than 3 rows in the figure.  Both figures come from the counters alone (no
    baseline, no counting profile), so a live pass over a few weeks finds what a run over the whole
    history does; and a drop that began today has not touched the figure of a day earlier.

    The house figure's rows count, as in the 24 h figure, less a counter dying meanwhile (under half the median row's pace over the last two
    hours while its 24 h count is still whole: the 24 h figure leaves it out only once it is a
    fifth short).  Houses counting as usual are skipped: the windows would straddle belt runs and
    laying times.
    """
    h, _, t = eggs.shape
    deficit, spread = np.full((h, t), np.nan), np.full((h, t), np.nan)
    some = np.flatnonzero(round_the_clock[:, start:].any(axis=1))
    if some.size == 0:
        return deficit, spread
    w = cfg.recent_hours
    share, included = rows.share[some], rows.included[some]
    window = window_sums(eggs[some], w)
    with np.errstate(invalid="ignore", divide="ignore"):
        # A counter dying now is far below the others over the last two hours while its 24 h count
        # is still whole; a row emptied of its hens is low in both, and its zero belongs in the figure.
        per_row = np.where(included & (share > 0), window_sums(eggs[some], 2) / share, np.nan)
        median = robust_center(np.moveaxis(per_row, 1, -1), 3)[:, None, :]  # the house, by each row
        dying = (per_row < 0.5 * median) & (rows.ratio[some] >= cfg.row_exclude_ratio)
        use = included & ~dying & ~np.isnan(window)
        coverage = np.where(use, share, 0.0).sum(axis=1)
        house = np.where(coverage >= 0.5, np.where(use, window, 0.0).sum(axis=1) / coverage, np.nan)
        house[np.isnan(median[:, 0, :])] = np.nan  # fewer than 3 rows: nothing to tell a dying one by
        hen_day = 100.0 * house * (DAY / w) / hens_mean[some]
    raw = np.where(round_the_clock[some], lagged(hen_day_24h[some], DAY) - hen_day, np.nan)
    # Laying that comes a little earlier or later from day to day moves eggs in and out of these
    # hours with tails the MAD does not see: the spread is at least the 85th percentile of the
    # deviations, as a normal σ.  (Where counting swings ± 50 % over the day and drifts half an
    # hour a day, `crosscheck --round-the-clock --swing 0.5 0.5`: 3.3 x the false alarms of no such
    # channel with the MAD alone, 1.5 x with this, 1.2 x with the 24 h check in houses.analyse_drops too.)
    centre, scale = robust_center_scale(past_days(raw, cfg.baseline_days, start), cfg.min_baseline_days, TAIL)
    deficit[some, start:] = raw[:, start:] - centre
    spread[some, start:] = scale
    return deficit, spread
