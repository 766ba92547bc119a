"""The house's own intraday counting pattern, learned from its previous days.

Egg counters count when the belt carries eggs past them: at scheduled collection runs, or all
through the laying hours with continuous belts.  The share of a day's eggs counted in each hour of
the day (UTC), summed over the previous days, tells (a) how many eggs an hour should count (a belt
run that counts nothing is a late collection) and (b) the "quiet" hours after the day's counting is
complete, when a 24 h window holds exactly one day of eggs whatever the timing of laying and belts.
"""

from __future__ import annotations

import numpy as np

from analytics.detector.windows import DAY, along_last, gap_hours


def daily_profiles(eggs: np.ndarray, first_hod: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of a day's eggs counted in each UTC hour of day, from the ``days`` days before each day.

    ``eggs`` is ``[house, hour]``; returns ``([house, day, 24], day_of_hour)``: day ``d``'s profile
    is learned from the whole (UTC) days before it (causal); ``day_of_hour[t]`` is hour ``t``'s day.
    """
    h, t = eggs.shape
    pad_front = first_hod
    n_days = (pad_front + t + DAY - 1) // DAY
    grid = np.full((h, n_days * DAY), np.nan)
    grid[:, pad_front : pad_front + t] = eggs
    # A day with a gap (or the back-fill after one, which holds the gap's eggs at the wrong hour)
    # would blur the profile: a park whose gateway drops out every few days would see its quiet
    # hours move.  Such days are left out (the days around them teach the same pattern).
    blurred = np.zeros(grid.shape, dtype=bool)
    blurred[:, pad_front : pad_front + t] = gap_hours(eggs)
    bad_day = blurred.reshape(h, n_days, DAY).any(axis=-1, keepdims=True)
    daily = np.where(bad_day, 0.0, np.nan_to_num(grid).reshape(h, n_days, DAY))
    c = np.cumsum(daily, axis=1)
    past = c.copy()
    past[:, days:] -= c[:, :-days]
    # Profile for day d comes from days d-days .. d-1.
    prof = np.zeros_like(past)
    prof[:, 1:] = past[:, :-1]
    tot = prof.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        prof = np.where(tot > 0, prof / tot, np.nan)
    return prof, (np.arange(t) + pad_front) // DAY


def usual_profiles(eggs: np.ndarray, first_hod: int, days: int) -> np.ndarray:
    """Like :func:`daily_profiles`, the median day of the ``days`` before each day rather than their
    sum: one late belt run in those days leaves no share at its hour (``[house, day, 24]``)."""
    h, t = eggs.shape
    n_days = (first_hod + t + DAY - 1) // DAY
    grid = np.full((h, n_days * DAY), np.nan)
    grid[:, first_hod : first_hod + t] = eggs
    blurred = np.zeros(grid.shape, dtype=bool)
    blurred[:, first_hod : first_hod + t] = gap_hours(eggs)
    daily = np.nan_to_num(grid).reshape(h, n_days, DAY)
    total = daily.sum(axis=-1, keepdims=True)
    bad = blurred.reshape(h, n_days, DAY).any(axis=-1, keepdims=True) | (total <= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(bad, np.nan, daily / total)
    # The middle of the ``days`` before each day, unusable days last (as +inf): the median when all
    # are usable, a little above it when some are not, NaN with fewer than half of them usable.
    padded = np.concatenate(
        [np.full((h, days, DAY), np.inf), np.where(np.isnan(shares), np.inf, shares)], axis=1
    )
    windows = np.lib.stride_tricks.sliding_window_view(padded, days, axis=1)[:, :n_days]  # days d-days..d-1
    middle = np.partition(windows, days // 2, axis=-1)[..., days // 2]
    return np.where(np.isinf(middle), np.nan, middle)


def usual_shares(
    counted: np.ndarray,
    share_now: np.ndarray,
    day_of_hour: np.ndarray,
    first_hod: int,
    days: int,
    floor: float,
) -> np.ndarray:
    """``[house, hour]``: the share of a day each hour usually counts, from :func:`usual_profiles`
    (one late belt run this week leaves no share at the hour it came), in houses with an empty hour
    that the summed profile (``share_now``) gives ``floor`` or more; 0 elsewhere (the median costs
    more than the rest of the stall rules together, and few houses have such hours)."""
    usual = np.zeros_like(share_now)
    some = np.flatnonzero(((counted == 0) & (share_now >= floor)).any(axis=-1))
    if some.size:
        by_day = usual_profiles(counted[some], first_hod, days)
        usual[some] = np.nan_to_num(at_hours(by_day, day_of_hour, first_hod))
    return usual


def at_hours(by_day: np.ndarray, day_of_hour: np.ndarray, first_hod: int) -> np.ndarray:
    """Pick ``by_day[house, day(t), hour_of_day(t)]`` for every hour ``t`` → ``[house, hour]``."""
    hod = (np.arange(day_of_hour.size) + first_hod) % DAY
    return by_day[:, day_of_hour, hod]


def quiet_hours(shares: np.ndarray, quiet_share: float, guard: int) -> tuple[np.ndarray, np.ndarray]:
    """For each profile ``[..., 24]``: the hours of its longest quiet stretch, minus ``guard`` at its
    start (``quiet``), and whether it has none — eggs counted round the clock (``round_the_clock``,
    all 24 hours alike).

    Those hours sit after the day's last counting and before the next day's first: a window ending
    there holds one whole day of eggs even if laying or a belt run shifts by an hour or two.
    Counting round the clock, a window holds one day give or take the eggs of the hours at its
    edge, so the hours with few about them are quiet.  Without them such a house was judged only by
    the fast channel, and dips under 12 points went unseen.
    """
    end, length = _longest_quiet(shares, quiet_share)
    first = end - length + 1 + guard
    pos = np.arange(2 * DAY)
    inside = (pos >= first[..., None]) & (pos <= end[..., None]) & (length[..., None] > guard)
    out = inside[..., :DAY] | inside[..., DAY:]
    known = ~np.isnan(shares).any(axis=-1, keepdims=True)
    round_the_clock = ~out.any(axis=-1, keepdims=True) & known
    quiet = (out & known) | (round_the_clock & _even_around(shares, guard))
    return quiet, np.broadcast_to(round_the_clock, quiet.shape)


def still_to_count(shares: np.ndarray, quiet_share: float) -> np.ndarray:
    """For each profile ``[..., 24]``: the share of a day still to be counted after each hour before
    the day's counting ends (the start of its longest quiet stretch, as in :func:`quiet_hours`);
    NaN where there is no such stretch (counting round the clock) or no profile yet.

    A shortfall that has lasted through the day's last belt run has nothing left to be made up
    by (houses.py, the fast channel)."""
    end, length = _longest_quiet(shares, quiet_share)
    stop = (end - length + 1) % DAY  # the first quiet hour
    hod = np.arange(DAY)
    # Hours after each hour up to the stop (circular): the stop lies 1..24 hours ahead.
    ahead = (stop[..., None] - hod - 1) % DAY + 1
    c = np.cumsum(np.concatenate([shares, shares], axis=-1), axis=-1)
    upto = hod + ahead - 1  # the last counting hour before the stop, 0..46
    rest = along_last(c, upto) - c[..., :DAY]
    return np.where((length[..., None] > 0) & ~np.isnan(shares).any(axis=-1, keepdims=True), rest, np.nan)


def _longest_quiet(shares: np.ndarray, quiet_share: float) -> tuple[np.ndarray, np.ndarray]:
    """(position 0..47 where each profile's longest run of hours under ``quiet_share`` ends, on the
    day repeated twice (circular), and its length, ≤ 24)."""
    low = shares < quiet_share
    low2 = np.concatenate([low, low], axis=-1)  # circular day
    run = np.zeros(low2.shape, dtype=np.int64)
    cur = np.zeros(low.shape[:-1], dtype=np.int64)
    for k in range(2 * DAY):
        cur = np.where(low2[..., k], cur + 1, 0)
        run[..., k] = cur
    run = np.minimum(run, DAY)
    end = np.argmax(run, axis=-1)
    return end, along_last(run, end)


def _even_around(shares: np.ndarray, guard: int) -> np.ndarray:
    """Hours whose neighbours within ``guard`` (circular) count no more than twice an even share:
    a timing shift of that much moves little of the day across a window ending there."""
    most = shares.copy()
    for k in range(1, guard + 1):
        most = np.maximum(most, np.maximum(np.roll(shares, k, axis=-1), np.roll(shares, -k, axis=-1)))
    with np.errstate(invalid="ignore"):
        return most <= 2.0 / DAY
