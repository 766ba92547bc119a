"""The house's laying figure and its drop alarms (hen-day % over the last 24 h vs its baseline).

Four ways a drop is confirmed, all causal and vectorised over houses and hours:

- end of day: in the house's quiet hours (the day's counting complete) the 24 h hen-day is below the
  baseline by ``daily_min_pts`` points and ``daily_z`` noise units;
- two-day trend: in quiet hours, yesterday's and (twice) today's deficit together, in the house's
  own noise units — a matched filter for a drop ramping in over a day or two, which finds mild dips
  (3-7 points) with the fewest days for noise to add up in — with today and the 48 h window short;
- fast: at any hour a large deficit that survived ``fast_flow`` of a day's expected counting, so a
  late belt run or a laying-time shift (which the next run makes up) cannot trigger it;
- recent hours, only where eggs are counted round the clock (no quiet hours): the last few hours
  short of the day before, beyond their usual spread, with the 24 h figure short too (recent.py).

No verdict while the count waits for a late belt run, and none for a day after the counting stopped
(collection.py).  Hours without data are unknown, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.baseline import PastStandard, same_time_baseline
from analytics.detector.collection import collection_holds
from analytics.detector.config import DetectorConfig
from analytics.detector.profile import at_hours, daily_profiles, quiet_hours, still_to_count
from analytics.detector.recent import recent_deficit
from analytics.detector.rows import RowState
from analytics.detector.windows import (
    DAY,
    lagged,
    pooled,
    run_lengths,
    run_start,
    value_at,
    window_mean,
)


@dataclass(frozen=True)
class HouseDrops:
    hen_day: np.ndarray  # [house, hour] observed hen-day % over the last 24 h (rows excluded as needed)
    expected: np.ndarray  # [house, hour] baseline hen-day %
    sigma: np.ndarray  # [house, hour] noise of that baseline (points)
    deficit: np.ndarray  # expected - observed (points)
    sigma_quiet: np.ndarray  # noise of the 24 h figure in quiet hours
    alarm: np.ndarray  # [house, hour] bool: some channel confirms a drop
    active: np.ndarray  # [house, hour] bool: a drop may still be going on (for de-duplication)
    channel: np.ndarray  # [house, hour] int8: see CHANNELS
    trend: np.ndarray  # [house, hour] two-day evidence (noise units)
    trend_noise: np.ndarray  # [house, hour] the noise unit of ``trend`` (points)
    hold: np.ndarray  # [house, hour] bool: no verdict (late belt run, depopulation, lights changed)
    stopped: np.ndarray  # [house, hour] bool: no row has counted an egg for stop_hours (see above)
    recent: np.ndarray  # [house, hour] deficit of the last few hours, round-the-clock houses (points)


CHANNELS = {1: "end_of_day", 2: "two_day_trend", 3: "fast", 4: "recent_hours"}


def house_hen_day(rows: RowState, window: np.ndarray, hens_mean: np.ndarray) -> np.ndarray:
    """Hen-day % over ``window`` (row egg sums of the last 24 h) from the included rows scaled by their
    shares; a row's window must be known to count."""
    included = rows.included & ~np.isnan(window)
    counted = np.where(included, window, 0.0).sum(axis=1)
    coverage = np.where(included, rows.share, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        eggs = np.where(coverage >= 0.5, counted / coverage, np.nan)
        return np.where(hens_mean > 0, 100.0 * eggs / hens_mean, np.nan)


def analyse_drops(
    rows: RowState,
    eggs: np.ndarray,
    counted_hour: np.ndarray,
    hens_mean: np.ndarray,
    standard: np.ndarray,
    support: np.ndarray,
    drinking_down: np.ndarray,
    intake_down: np.ndarray,
    pause: np.ndarray,
    wait: np.ndarray,
    override_pts: np.ndarray,
    first_hod: int,
    start: int,
    cfg: DetectorConfig,
    rows_noise: np.ndarray | None = None,
    miscounted: np.ndarray | None = None,
    standard_then: PastStandard | None = None,
) -> HouseDrops:
    """Drop alarms for hours ``>= start`` (earlier hours are only history); arrays cover all hours.

    ``eggs`` is ``[house, row, hour]``, ``counted_hour`` ``[house, hour]``: the eggs all rows counted in
    the hour (NaN: no row reported).
    ``drinking_down``: water down over 24 h and mid-day (a short run is then not a timing shift).
    ``intake_down``: water or feed clearly down (a late belt run is then no longer awaited).
    ``pause`` marks hours without a verdict, ``wait`` hours whose verdict waits (a lighting change
    suspected, not yet confirmed); a deficit of ``override_pts`` (hen-day points; ``inf``: none) or
    more is judged all the same (a lighting change with the water down over 24 h as well, a fall
    of hens beyond what its share can explain).
    ``rows_noise``: what the rows add to the house's day-to-day noise (noise.py), relative variance.
    ``miscounted`` (``[house, hour]``): hours whose figure held counts found later not to be eggs (a
    stuck counter's first hours, stuck.py); the days after read them as unknown.
    ``standard_then``: the past days' standard at each hour's own curve shift (baseline.py).
    """
    # Intraday pattern (all rows, as counted) → quiet hours and the eggs each hour should count.
    profiles, day_of_hour = daily_profiles(counted_hour, first_hod, cfg.baseline_days)
    quiet, round_the_clock = (
        at_hours(q, day_of_hour, first_hod) for q in quiet_hours(profiles, cfg.quiet_share, cfg.guard_hours)
    )
    share_now = np.nan_to_num(at_hours(profiles, day_of_hour, first_hod))

    hd = house_hen_day(rows, rows.window, hens_mean)
    # The baselines read past days only (a day back or more), by when a miscount is known.
    past = hd if miscounted is None else np.where(miscounted, np.nan, hd)
    expected, sigma, sigma_quiet = _compare(past, quiet, standard, start, cfg, standard_then)
    deficit = expected - hd
    # A figure read from fewer rows than have hens is noisier: the rows' part of its noise weighs more.
    if rows_noise is not None:
        fewer = fewer_rows_factor(rows)
        with np.errstate(invalid="ignore"):
            extra = np.nan_to_num(rows_noise * (fewer - 1.0)) * expected**2
        sigma = np.sqrt(sigma**2 + extra)
        sigma_quiet = np.sqrt(sigma_quiet**2 + extra)
        rows_noise = rows_noise * fewer
    valid = ~np.isnan(deficit)

    # Late belt runs and stopped counting: the 24 h figure is short of eggs that were laid.
    day_eggs = expected / 100.0 * hens_mean
    collection = collection_holds(
        counted_hour, share_now, day_of_hour, first_hod, round_the_clock, day_eggs, intake_down, cfg
    )
    with np.errstate(invalid="ignore"):
        judged = deficit >= override_pts
    hold = collection.held | ((pause | wait) & ~judged)

    # Eggs that came early (a late belt run catching the morning's lay) leave the next 24 h short;
    # a real drop also leaves the 48 h window short, a timing shift does not.
    prev = lagged(deficit, DAY)
    two_day = np.where(np.isnan(prev), deficit, (deficit + prev) / 2.0)

    factor = np.where(support, cfg.support_factor, 1.0)
    # One day is judged in the house's own noise, but until its baseline is full no lower than the
    # two-day trend's unit, as that unit itself (trend_noise): a MAD of a few days can read anything
    # (suite-24-1 house-01 on its tenth day: 0.8 points against a unit of 2.6, and a 6.5-point day
    # passed the 5 x noise threshold).
    days_known = _days_known(hd, cfg.baseline_days)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = trend_noise(sigma_quiet, days_known, cfg, expected, rows_noise)
    sigma_day = np.where(_full_baseline(days_known, cfg), sigma_quiet, np.fmax(sigma_quiet, unit))
    with np.errstate(invalid="ignore"):
        thr_day = np.maximum(cfg.daily_min_pts, cfg.daily_z * sigma_day) * factor
        confirmed = two_day >= 0.5 * thr_day
        end_of_day = valid & quiet & ~hold & (deficit >= thr_day) & confirmed

        thr_fast = np.maximum(cfg.fast_min_pts, cfg.fast_z * sigma) * factor
        above = valid & ~hold & (deficit >= thr_fast) & (two_day >= 0.5 * thr_fast)
    fast = _survived_counting(above, share_now, profiles, day_of_hour, first_hod, drinking_down, cfg)

    # Two-day trend: (yesterday + 2 x today) / sqrt(5) noise units.  Without a usable yesterday (no
    # verdict then, or a row just left out: a counter fault's first hours were short before the fault
    # was recognised) there is no trend; one short day alone is the end-of-day channel's to judge.
    row_out = rows.left_out.any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        noise = unit * factor
        yesterday = lagged(np.where(hold | np.isnan(past), np.nan, deficit), DAY)
        yesterday[window_mean(row_out.astype(float), 2 * DAY) > 0] = np.nan
        trend = (yesterday + 2.0 * deficit) / (np.sqrt(5.0) * noise)
        # Today short and the 48 h window too: eggs that came early (a late belt run catching the
        # next morning's lay) leave today short but yesterday as long, which the 2:1 weights miss.
        ramping = (
            quiet & ~hold & valid & (trend >= cfg.trend_z)
            & (deficit >= cfg.trend_min_pts) & (two_day >= cfg.trend_min_pts)
        )  # fmt: skip
    # Counting round the clock, each hour's window differs a little from the last: a trend must
    # last a while (judged every hour it had 2-4 x the false alarms of a quiet stretch's one look).
    ramping &= ~round_the_clock | (run_lengths(ramping) >= cfg.round_the_clock_trend_hours)

    # Counting round the clock, the last few hours show a drop long before the 24 h figure does.
    recent, spread = recent_deficit(rows, eggs, hens_mean, hd, round_the_clock, start, cfg)
    with np.errstate(invalid="ignore"):
        thr_recent = np.maximum(cfg.recent_min_pts, cfg.recent_z * spread) * factor
        # ... and the 24 h figure short beyond its own noise: laying that comes later today leaves
        # the last hours short but hardly the day (recent.py: 1.5 x the false alarms of no recent
        # channel without this, 1.2 x with it).
        thr_day_recent = np.maximum(cfg.trend_min_pts, cfg.recent_day_z * sigma_quiet * factor)
        short = round_the_clock & valid & ~hold & (recent >= thr_recent) & (deficit >= thr_day_recent)
    short = run_lengths(short) >= cfg.recent_persist_hours

    alarm = end_of_day | ramping | fast | short
    alarm[:, :start] = False
    channel = np.select([end_of_day, ramping, fast, short], [1, 2, 3, 4], 0).astype(np.int8)
    with np.errstate(invalid="ignore"):
        active = ~valid | collection.held | (deficit >= 0.5 * cfg.daily_min_pts)
    stopped = collection.stopped
    stopped[:, :start] = False
    return HouseDrops(
        hd, expected, sigma, deficit, sigma_quiet, alarm, active, channel, trend, noise, hold, stopped, recent
    )


def _survived_counting(
    above: np.ndarray,
    share_now: np.ndarray,
    profiles: np.ndarray,
    day_of_hour: np.ndarray,
    first_hod: int,
    drinking_down: np.ndarray,
    cfg: DetectorConfig,
) -> np.ndarray:
    """The fast channel's verdict, ``[house, hour]``: a large deficit (``above``) that lasted while
    ``fast_flow`` of a day's expected counting went by (``share_now``: the share each hour counts),
    so a late belt run or a laying-time shift, which the next run makes up, cannot trigger it."""
    started = run_start(above)
    hour = np.arange(above.shape[-1])
    flow = np.cumsum(share_now, axis=-1)
    flow_since = flow - value_at(flow, started)
    # With drinking down over 24 h and mid-day alike (a timing shift leaves both), the counting hour
    # that showed the shortfall counts towards the flow: a sick house's short run is not made up.
    flow_from = flow - np.where(started > 0, value_at(flow, started - 1), 0.0)
    # A shortfall that lasted through the day's last belt run, and the hour after it (a run that
    # came a little late counts the rest of its eggs then), has no run left to be made up by.
    rest = np.full(above.shape, np.nan)
    some = np.flatnonzero(above.any(axis=-1))  # few houses ever fall that short: only theirs
    if some.size:
        left = at_hours(still_to_count(profiles[some], cfg.quiet_share), day_of_hour, first_hod)
        rest[some] = value_at(left, started[some])
    with np.errstate(invalid="ignore"):  # no quiet stretch (counting round the clock): fast_flow
        survived = np.fmin(cfg.fast_flow, rest - cfg.quiet_share)
    return above & (
        ((flow_since >= survived) & (hour > started)) | (drinking_down & (flow_from >= cfg.fast_flow))
    )


def fewer_rows_factor(rows: RowState) -> np.ndarray:
    """How much more the rows' noise weighs in the house figure than with every row that has hens,
    ``[house, hour]`` (1: every such row counted): Σ share² / (Σ share)² over the rows used, against
    the same over the rows with a share.  One row left out of six: 1.2."""
    used = rows.included & ~np.isnan(rows.window)  # as house_hen_day counts them
    with np.errstate(invalid="ignore"):
        missing = (rows.share > 0) & ~used
    factor = np.ones(used.shape[::2])
    some = np.flatnonzero(missing.any(axis=(1, 2)))  # few houses ever leave a row out: only theirs
    if not some.size:
        return factor
    every = np.nan_to_num(rows.share[some])
    mine = np.where(used[some], every, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight_used = (mine**2).sum(axis=1) / mine.sum(axis=1) ** 2
        weight_all = (every**2).sum(axis=1) / every.sum(axis=1) ** 2
        ratio = weight_used / weight_all
    factor[some] = np.where(np.isfinite(ratio), np.maximum(ratio, 1.0), 1.0)
    return factor


def _full_baseline(days_known: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """Hours whose baseline days are all known (a day's grace): only then is the house's own noise
    estimate trusted as it reads."""
    return days_known >= cfg.baseline_days - 1


def _days_known(x: np.ndarray, days: int) -> np.ndarray:
    """Days' worth of known hours of ``x`` in the last ``days`` days, ``[house, hour]``."""
    c = np.cumsum(~np.isnan(x), axis=-1)
    before = np.zeros_like(c)
    before[:, days * DAY :] = c[:, : -days * DAY]
    return (c - before) / DAY


def trend_noise(
    sigma_quiet: np.ndarray,
    days_known: np.ndarray,
    cfg: DetectorConfig,
    expected: np.ndarray | None = None,
    rows_noise: np.ndarray | None = None,
) -> np.ndarray:
    """The noise unit of the two-day trend (hen-day points), ``[house, hour]``.

    - ``sigma_quiet`` comes from only ``baseline_days`` residuals around a fitted local trend, so it
      reads low (by ~1.3 for independent days, more when days are correlated) and varies by chance
      from house to house.  It is first pulled towards the park's median (houses under one
      management share their noise; a single low estimate is mostly luck), then scaled up.
    - A house that still looks quieter than ``trend_sigma_floor_pts`` is believed only in part
      (``trend_floor_power`` 0: fully, 1: a hard floor): a truly quiet house keeps most of its
      sensitivity, so a 3-point dip in it is found, without trusting every low estimate.  Only a
      full baseline (``days_known``, a day's grace) earns that trust: a MAD of five days can read
      anything.
    - Where ``rows_noise`` is known (noise.py: what the rows add, relative, learned over four
      weeks from their spread against each other, which no incident moves), it is that part (times
      ``expected``²) plus the rest of ``sigma_quiet``² (the whole house's part), the rest pulled
      towards the park's median of the last ``noise_park_days``, times ``noise_scale``: an
      incident in the baseline days then inflates only the smaller part.
    """
    sigma = cfg.trend_sigma_scale * np.sqrt(pooled(sigma_quiet**2, cfg.trend_park_weight))
    if rows_noise is not None and expected is not None:
        rows_var = rows_noise * expected**2
        house = np.maximum(sigma_quiet**2 - rows_var, 0.0)  # the rest: the whole house's
        house = pooled(house, cfg.noise_park_weight, cfg.noise_park_days * DAY)
        learned = cfg.noise_scale * np.sqrt(rows_var + house)
        sigma = np.where(np.isnan(learned), sigma, learned)
    sigma = np.maximum(sigma, cfg.sigma_floor_pts)
    power = np.where(_full_baseline(days_known, cfg), cfg.trend_floor_power, 1.0)
    return sigma * np.maximum(1.0, cfg.trend_sigma_floor_pts / sigma) ** power


def _compare(
    x: np.ndarray,
    quiet: np.ndarray,
    standard: np.ndarray,
    start: int,
    cfg: DetectorConfig,
    standard_then: PastStandard | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected value, noise pooled over all the day's phases, and noise pooled over quiet phases."""
    h, t = x.shape
    exp_s, sig_s = same_time_baseline(
        x, cfg.baseline_days, cfg.min_baseline_days, start, standard, cfg.rise_credit, standard_then
    )
    expected = np.full((h, t), np.nan)
    var = np.full((h, t), np.nan)
    expected[:, start:] = exp_s
    var[:, start:] = np.maximum(sig_s, cfg.sigma_floor_pts) ** 2
    # Each phase alone has only ``baseline_days`` residuals: pool them over the last day's phases.
    sigma = np.maximum(np.sqrt(window_mean(var, DAY)), 0.005 * expected)
    sigma_quiet = np.sqrt(window_mean(np.where(quiet, var, np.nan), DAY))
    sigma_quiet = np.maximum(np.where(np.isnan(sigma_quiet), sigma, sigma_quiet), 0.005 * expected)
    return expected, sigma, sigma_quiet
