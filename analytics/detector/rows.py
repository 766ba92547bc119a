"""Row counters: each row's share of the house, faults (a row collapsing while its neighbours are
normal) and which rows the house figure may use.

Every row gives its own estimate of the whole house's eggs (its 24 h count divided by its usual
share); the median of those estimates is robust to one or two broken counters.  A row far below
that median while the others agree is a counter fault, not the hens: it raises ``sensor_fault`` and
is left out of the house figure (the remaining rows, scaled by their shares, stand in for it).  So
is a row far above it for longer than a late belt run's catch-up (a counter counting double, or a
reading stuck high): it would lift the house figure (one doubled row of eight by an eighth) and,
once mended, read as a counter counting short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analytics.detector.config import DetectorConfig
from analytics.detector.episodes import first_alarms
from analytics.detector.gaps import window_sums_across_gaps
from analytics.detector.windows import (
    DAY,
    cumulative,
    ffill,
    known_count,
    lagged,
    last_true,
    run_lengths,
    run_start,
    runs_touching,
    sorted_median,
    trailing_extreme,
    trailing_sums,
    true_at,
    value_at,
    within_last,
)

BRIDGE_HOURS = 6  # a row's count unknown this long after its last known one is estimated (see below)
# Eggs a row's share is learned from, on average over the house's rows: a share of fewer is a count's
# chance (a file starting in the night: 7 stray eggs in its first hours gave one row of six 2/7 and a
# "collapsed" counter the next evening).  Each row counts thousands a day; 100 eggs put a share
# within ~10 % (binomial), far from the 45 % a fault needs.
SHARE_MIN_EGGS = 100.0
# Hours a share re-learned after rows were left out needs: with every row's counts of the left-out
# hours set aside, a window can hold a few hours of counts only, one of them a returning counter's
# backlog, which made it the house's only row (a 75-point false drop).  Two days cover every belt
# run twice; until then the shares learned before stand.
SHARE_MIN_HOURS = 48
# A row is short (left out, or a fault) only when its shortfall is beyond the chance in counting
# eggs: a 24 h count expecting E eggs varies by about √E, so 4 √E.  A row of thousands a day is
# judged by the ratio thresholds alone (4 √5,000 is 6 % of it); one of a hundred (a small house,
# the first eggs of a young flock) needs 40 % before it is short.
COUNT_Z = 4.0


@dataclass(frozen=True)
class RowState:
    window: np.ndarray  # [house, row, hour] eggs counted in the last 24 h (NaN unknown; short gaps bridged)
    share: np.ndarray  # [house, row, hour] the row's usual share of the house (from earlier days)
    ratio: np.ndarray  # [house, row, hour] row estimate / median row estimate
    included: np.ndarray  # [house, row, hour] rows the house figure uses
    left_out: np.ndarray  # [house, row, hour] rows with hens the house figure leaves out (short, or a gap)
    fault_fires: np.ndarray  # [house, row, hour] a counter-fault alert fires here
    silent_fires: np.ndarray  # [house, row, hour] a "row stopped reporting" alert fires here


@dataclass(frozen=True)
class Gone:
    """The hen count (``[house, 1, hour]``) and the share of it whose fall is a depopulation: a row
    that fell quiet up to a day before the count fell (the depopulation entered late) was emptied
    too, from the hour the fall is entered.  With ``share`` (``[house, row, hour]``, the rows' shares
    learned from the days before), the rows emptied hold no more than the hens taken out."""

    hens: np.ndarray
    frac: float
    share: np.ndarray | None = None

    def select(self, houses: np.ndarray) -> Gone:
        return Gone(self.hens[houses], self.frac, None if self.share is None else self.share[houses])


def _prior_sums(
    eggs: np.ndarray, days: int, started: np.ndarray, cum: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Eggs each row counted in the ``days`` days before the last day; ``started`` (``[house, 1,
    hour]``) is True from the house's first report on; ``cum``: ``windows.cumulative(eggs)``."""
    # Before the first report nothing was counted: the house's history starts there, not at the
    # frame start (a 60-day query over a week of data must learn the row shares as that week does).
    return lagged(trailing_sums(eggs, DAY * days, started, cum), DAY)


def _shares_and_ratios(
    prior: np.ndarray,
    win: np.ndarray,
    seen: np.ndarray,
    frozen: np.ndarray | None = None,
    unfrozen: np.ndarray | None = None,
    prior_hours: np.ndarray | None = None,
    empty: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's share of the house from ``prior`` (the days before the last one, so a fault that
    starts today does not hide itself), its 24 h count against the median row estimate, and that
    median estimate of the house's 24 h eggs.  ``frozen`` hours keep the shares learned before
    them, or take ``unfrozen``'s where nothing was learned before; ``prior_hours`` (``[house, 1,
    hour]``): the hours ``prior`` holds counts of, at least :data:`SHARE_MIN_HOURS` to learn;
    ``empty``: rows emptied of their hens (:func:`_without_emptied`)."""
    r = prior.shape[1]
    # Only rows the house has (reported at some earlier hour) must be known; other houses may have more rows.
    all_known = ~(np.isnan(prior) & seen).any(axis=1, keepdims=True)
    tot = np.nansum(prior, axis=1, keepdims=True)
    enough = (tot > 0) & (tot >= SHARE_MIN_EGGS * seen.sum(axis=1, keepdims=True))
    if prior_hours is not None:
        enough &= prior_hours >= SHARE_MIN_HOURS
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(all_known & enough, prior / tot, np.nan)
        if frozen is not None:  # keep the shares learned before ``frozen`` hours
            share = ffill(np.where(frozen, np.nan, share))
            if unfrozen is not None:
                # A row out since before the history began (a counter dead, or a row emptied of
                # its hens, before the file starts or longer ago than a live pass looks back): no
                # share of it was ever learned.  The rows that count stand for the house, with the
                # shares they count with (the empty row's is 0): right for an emptied row, an
                # eighth low for a dead counter of eight; without them the house had no figure.
                share = np.where(np.isnan(share) & frozen, unfrozen, share)
        share = ffill(share)
        share = np.where(seen, share, np.nan)  # a row out of use for the whole window has none
    if empty is not None:
        share = _without_emptied(share, empty)
    ratio, ref = _ratios(share, win, 0.2 / max(r, 1) if frozen is not None else 0.0)
    return share, ratio, ref


def _without_emptied(share: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """``share`` with the rows ``empty`` of hens at 0 and the other rows' shares scaled up to the
    house's whole again.  For the 14 days the shares read, a row emptied by a depopulation keeps a
    share learned while it had hens: a row left out meanwhile (a counter dying) was then stood in
    for by too small a share, the house figure read low by it (5 points, a false `laying_drop`), and
    the emptied rows' zero estimates pulled the median row estimate down, so the rows still counting
    read as counting too many."""
    if not empty.any():  # the usual case: no row emptied
        return share
    with np.errstate(invalid="ignore", divide="ignore"):
        kept = np.where(empty, 0.0, share)
        scale = np.nansum(share, axis=1, keepdims=True) / np.nansum(kept, axis=1, keepdims=True)
        return np.where(np.isfinite(scale) & (scale > 0), kept * scale, share)


def _ratios(share: np.ndarray, win: np.ndarray, min_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Each row's 24 h count against the median row estimate of the house (its count / its share,
    rows with a share above ``min_share``), and that median estimate.  With only two rows there is
    no majority: the higher estimate stands (counters fail by missing eggs, and hens do not stop
    laying in one row only), so a dead or short counter is still told from the hens."""
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = np.where(share > min_share, win / share, np.nan)
    est_sorted = np.sort(np.moveaxis(estimate, 1, -1), axis=-1)  # [house, hour, row]; NaN last
    n_est = known_count(est_sorted)
    higher = est_sorted[..., min(1, est_sorted.shape[-1] - 1)]  # of two (a one-row house has none)
    ref = np.select([n_est >= 3, n_est == 2], [sorted_median(est_sorted, n_est), higher], np.nan)[:, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN where ``ref`` is not above 0
        return estimate / np.where(ref > 0, ref, np.nan), ref


def _stays_out(
    out: np.ndarray,
    share: np.ndarray,
    win: np.ndarray,
    seen: np.ndarray,
    depop: np.ndarray,
    undone: np.ndarray,
    gone: Gone | None,
    rejoin: float,
    high: np.ndarray,
    high_rejoin: float,
) -> np.ndarray:
    """``out`` (``[house, 1, hour]``, a row left out) extended for as long as some row stays below
    ``rejoin`` of what the house's other rows imply, or a row left out for counting too many
    (``high``, ``[house, row, hour]``) stays above ``high_rejoin``, judged with the shares the rows
    had just before the house's last left-out stretch began (or is unknown: a gap ends nothing).

    Re-learning a short-counting row's share from its own low counts would turn a counter that counts
    30 % short into a house that lays 4 % less, days after the counter went wrong."""
    last_start = last_true(out & ~lagged(out, 1, False), -1)  # [house, 1, hour]
    frozen = value_at(share, np.broadcast_to(last_start - 1, share.shape))
    ratio, _ = _ratios(frozen, win, 0.0)
    # A row emptied of its hens before counts nothing against a share learned while it had them:
    # it is not short (its low run began with the stretch, not with the depopulation).
    with np.errstate(invalid="ignore"):
        empty = _began_during(win <= 0, depop, undone, gone)
    low = (ratio < rejoin) & ~empty
    # Shares known for every row the house has; a row whose window is unknown (a gap, a silent
    # counter) then ends nothing.
    valid = ~(np.isnan(frozen) & seen).any(axis=1, keepdims=True) & (last_start >= 0)
    unknown = np.isnan(win) & seen
    over = runs_touching(ratio > high_rejoin, high)
    still = ((low & ~_emptied(low, ratio, depop, undone, gone)) | over | unknown).any(
        axis=1, keepdims=True
    ) & valid
    return runs_touching(out | still, out)


def _short(ratio: np.ndarray, share: np.ndarray, ref: np.ndarray, below: float) -> np.ndarray:
    """``ratio < below`` where the shortfall is also beyond the chance in counting eggs:
    :data:`COUNT_Z` √E of the E (``share`` × ``ref``, the row's expected 24 h count) it should have
    counted.  Judged only where the ratio is that low (few hours: a full-size product and root cost
    a live pass 75 ms)."""
    with np.errstate(invalid="ignore"):
        low = ratio < below
    h, r, t = true_at(low)
    if h.size:
        expected = share[h, r, t] * ref[h, 0, t]
        with np.errstate(invalid="ignore"):
            chance = ~((1.0 - ratio[h, r, t]) * np.sqrt(np.maximum(expected, 0.0)) >= COUNT_Z)
        low[h[chance], r[chance], t[chance]] = False
    return low


def _counting_high(ratio: np.ndarray, expected_row: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """Rows counting too many: above ``row_high_ratio`` of what the other rows imply for
    ``row_high_hours`` (a gap neither ends it nor adds to it), from then until back below half way
    to normal.  A late belt run's row holds two runs in its 24 h window for less than a day.

    Only a row that counted as usual a day before it rose (above the rejoin level, so a ratio
    wavering about ``row_high_ratio`` does not start anew): a mended counter is "high" against a
    share learned while it counted short, which is the share's fault, not the counter's."""
    out = np.zeros(ratio.shape, dtype=bool)
    if not cfg.row_high_ratio:
        return out
    with np.errstate(invalid="ignore"):
        over = (ratio > cfg.row_high_ratio) & (expected_row >= cfg.min_row_eggs)
    some = np.flatnonzero(over.any(axis=(1, 2)))  # the usual case: no house has a row that high
    if some.size == 0:
        return out
    ratio, over = ratio[some], over[some]
    unknown = np.isnan(ratio)
    with np.errstate(invalid="ignore"):
        raised = ratio > _high_rejoin(cfg)
        was_normal = value_at(lagged(ratio, DAY), run_start(raised)) >= cfg.row_exclude_ratio
    confirmed = run_lengths(over & was_normal, unknown) >= cfg.row_high_hours
    out[some] = runs_touching(raised | unknown, confirmed)
    return out


def _high_rejoin(cfg: DetectorConfig) -> float:
    return (1.0 + cfg.row_high_ratio) / 2 if cfg.row_high_ratio else np.inf


def _emptied(
    low: np.ndarray, ratio: np.ndarray, depop: np.ndarray, undone: np.ndarray, gone: Gone | None
) -> np.ndarray:
    """Rows low in a run that began while hens were taken out: emptied, their zero is real.  Hours
    whose ratio is unknown (a gap) do not end the run: an emptied row stays emptied."""
    return _began_during(low | np.isnan(ratio), depop, undone, gone)


def _began_during(
    cond: np.ndarray, flag: np.ndarray, undone: np.ndarray, gone: Gone | None = None
) -> np.ndarray:
    """True where ``cond`` holds in a run of ``cond`` that began while ``flag`` was set (or within a
    day after: a 24 h window takes that long to show an emptied row), unless the hen count was back
    (``undone``) when it began: a row dying hours after a typo is no emptied row.  With ``gone``,
    also a run that began up to a day before ``flag`` was set, once the count is ``gone.frac`` below
    where it was when the run began."""
    out = np.zeros(cond.shape, dtype=bool)
    some = np.flatnonzero(np.broadcast_to(flag, cond.shape).any(axis=tuple(range(1, cond.ndim))))
    if some.size == 0:  # the usual case: nobody took hens out
        return out
    cond, flag = cond[some], np.broadcast_to(flag, cond.shape)[some]
    start = run_start(cond)
    last_flag = last_true(flag)
    back = value_at(np.broadcast_to(undone, out.shape)[some], start)
    began = (start - value_at(last_flag, start) <= DAY) & ~back
    if gone is not None:
        t = np.arange(cond.shape[-1])
        entered_late = value_at(last_flag, np.minimum(t, start + DAY)) >= start  # flagged since, within a day
        hens = np.broadcast_to(gone.hens[some], cond.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            began |= entered_late & (hens < (1.0 - gone.frac) * value_at(hens, start))
            # Only where the count fell near the run's start: within the two days before it (an
            # emptied row's 24 h window is 0 a day after its last eggs) or the day after (entered
            # late).  A depopulation's flag lasts four days: a counter dying days after one was
            # taken for a row emptied then, its hens' eggs for none (a false `laying_drop`).
            highest = trailing_extreme(np.nan_to_num(gone.hens[some][:, 0, :]), 2 * DAY, lowest=False)
            before = value_at(np.broadcast_to(highest[:, None, :], cond.shape), start)
            now = value_at(hens, np.minimum(t, start + DAY))
            began &= now < (1.0 - gone.frac) * before
            removed = 1.0 - now / before  # the hens taken out, as the run began and a day after
    emptied = cond & began
    if gone is not None and gone.share is not None:
        emptied = _accounted(emptied, start, gone.share[some], removed)
    out[some] = emptied
    return out


# Days before a row fell quiet that rows emptied with it fell quiet: the count's fall it is judged by
# lies within the two days before it fell quiet or the day after, and another row's 24 h window
# takes a day to show it emptied.  Rows emptied earlier were the hens of an earlier fall.
EMPTIED_WITH_DAYS = 3


def _accounted(emptied: np.ndarray, start: np.ndarray, share: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """``emptied`` rows whose shares (each at its ``start``), with those of the rows emptied in the
    :data:`EMPTIED_WITH_DAYS` days before it (or at the same hour, ahead of it), add up to no more
    than the largest fraction of the hens ``removed`` (each row's, from its ``start``) among them
    and half a row's usual share.  A counter dying a day or two after rows were emptied (the hen
    count down, the flag holding four days) is a dead counter, not one more row emptied: taken for
    one, its hens' eggs went from the house figure (a false `laying_drop`)."""
    if not emptied.any():
        return emptied
    at_start = np.where(emptied, np.nan_to_num(value_at(share, start)), 0.0)  # unknown: nothing
    # An unknown count (NaN: as if every hen were taken out) caps nothing.
    gone = np.where(emptied, np.nan_to_num(removed, nan=np.inf), -np.inf)
    # The most rows the house has had a share for, so far (an emptied row's fades to 0).
    rows = np.maximum(np.maximum.accumulate((share > 0).sum(axis=1, keepdims=True), axis=-1), 1)
    within = emptied.copy()
    row = np.arange(emptied.shape[1])[None, :, None]
    for k in np.flatnonzero(emptied.any(axis=(0, 2))):
        s = start[:, k : k + 1]
        peers = emptied & (start >= s - EMPTIED_WITH_DAYS * DAY) & ((start < s) | ((start == s) & (row <= k)))
        held = np.where(peers, at_start, 0.0).sum(axis=1)
        # Half a row's mean share of slack: egg shares are not exactly hen shares.
        allowed = np.where(peers, gone, -np.inf).max(axis=1) + 0.5 / rows[:, 0]
        within[:, k] &= held <= allowed
    return within


def analyse_rows(
    eggs: np.ndarray,
    depopulating: np.ndarray,
    cfg: DetectorConfig,
    undone: np.ndarray | None = None,
    hens: np.ndarray | None = None,
    uncounted: np.ndarray | None = None,
) -> RowState:
    """Row shares, ratios, fault alarms and the rows to include; ``depopulating`` is ``[house, hour]``,
    ``undone`` the hours whose hen count is back from a fall (a typo, not a depopulation), ``hens``
    the count (``[house, hour]``: rows that fell quiet before a depopulation was entered are emptied),
    ``uncounted`` (``[house, row, hour]``) hours whose counts are not eggs, set aside when shares
    are learned (a stuck counter's run, its first hours included: stuck.py).

    Every hour is analysed (the house figure's baselines need the row decisions of the past weeks).
    """
    r = eggs.shape[1]
    known = ~np.isnan(eggs)
    seen = np.logical_or.accumulate(known, axis=-1)
    started = np.asarray(seen.any(axis=1, keepdims=True))  # the house has reported (some row, at some hour)
    # Rows the shares must cover: those that reported within the days the shares read.  A counter
    # replaced under a new id leaves its old id blank for good; counted as the house's for ever, it
    # kept every share as it was and the new row out of the figure to the end of the file.
    gaps = np.flatnonzero((seen & ~known).any(axis=(1, 2)))  # the usual case: every row reports
    if gaps.size:
        seen[gaps] = within_last(known[gaps], (cfg.baseline_days + 1) * DAY)
    # A gap's backlog spread as those hours usually count: the house figure is known again as soon
    # as the backlog is in, not a day after the gap (every window with its start in it).
    cum = cumulative(eggs)  # the running total the 24 h windows and the shares' sums both take
    win = window_sums_across_gaps(eggs, DAY, cum=cum)
    depop = depopulating[:, None, :]
    back = np.zeros_like(depop) if undone is None else undone[:, None, :]
    # Hours whose counts are not eggs: every row's count of them set aside, so the shares stay
    # in proportion.  The shares read sums a day old, by when a stuck run is known whole.
    aside = (
        None if uncounted is None or not uncounted.any() else np.asarray(uncounted.any(axis=1, keepdims=True))
    )
    for_shares = eggs if aside is None else np.where(aside & known, 0.0, eggs)
    prior = _prior_sums(for_shares, cfg.baseline_days, started, cum if aside is None else None)
    gone = None if hens is None else _gone(hens, prior, depop, cfg.depopulation_frac)
    # Rows emptied of their hens: nothing counted for 24 h in a stretch that began as hens were
    # taken out (a gap does not end it).  Their share is 0 from then on, not in 14 days.
    empty = np.zeros(win.shape, dtype=bool)
    flagged = np.flatnonzero(depop.any(axis=(1, 2)))  # the usual case: nobody took hens out
    if flagged.size:
        zero = win[flagged]
        with np.errstate(invalid="ignore"):
            zero = (zero <= 0) | np.isnan(zero)
        empty[flagged] = _began_during(
            zero, depop[flagged], back[flagged], None if gone is None else gone.select(flagged)
        )
    # Two passes: the second learns the shares only from hours when no row was left out, so a dead
    # counter keeps its historical share (the house figure stays right for as long as it is dead).
    share, ratio, ref = _shares_and_ratios(prior, win, seen, empty=empty)
    # A counter that counts nothing while the others count is left out even once its share has faded.
    silent_row = (win == 0) & (ref > 10 * cfg.min_row_eggs)
    low = _short(ratio, share, ref, cfg.row_exclude_ratio) | silent_row
    high = _counting_high(ratio, share * ref, cfg)
    # A row that fell while hens were taken out was emptied: its zero is real, it stays in the figure.
    # A row that went blank for hours is out too, and so is the hour it is back (that holds any
    # backlog): if its count comes back without the eggs of those hours (a counter dead, then
    # replaced), sums across the blank would shrink its share.
    usable = share >= 0.2 / max(r, 1)
    quiet = _quiet(known)
    blank = _long_runs(_silent(quiet, known, usable, depop, back, gone), cfg.row_silent_hours)
    blank |= lagged(blank, 1, False)
    left_out = ((low & ~_emptied(low, ratio, depop, back, gone)) | high | blank).any(axis=1, keepdims=True)
    redo = np.flatnonzero(left_out.any(axis=(1, 2)))  # most houses never leave a row out
    # A row rejoins half way back to normal, so one hovering at the threshold does not flip in and out.
    rejoin, high_rejoin = (1.0 + cfg.row_exclude_ratio) / 2, _high_rejoin(cfg)
    if redo.size:
        out = _stays_out(
            left_out[redo],
            share[redo],
            win[redo],
            seen[redo],
            depop[redo],
            back[redo],
            None if gone is None else gone.select(redo),
            rejoin,
            high[redo],
            high_rejoin,
        )
        set_aside = out if aside is None else out | aside[redo]
        masked = np.where(set_aside & known[redo], 0.0, eggs[redo])
        prior2 = _prior_sums(masked, cfg.baseline_days, started[redo])
        hours2 = _prior_sums((~set_aside).astype(np.float64), cfg.baseline_days, started[redo])
        s2, r2, f2 = _shares_and_ratios(prior2, win[redo], seen[redo], out, share[redo], hours2, empty[redo])
        share[redo], ratio[redo], ref[redo] = s2, r2, f2
    usable = share >= 0.2 / max(r, 1)

    low = _short(ratio, share, ref, cfg.row_exclude_ratio)
    emptied = _emptied(low, ratio, depop, back, gone)
    expected_row = share * ref
    collapsed = _short(ratio, share, ref, cfg.row_fault_ratio) & (expected_row >= cfg.min_row_eggs) & ~emptied
    unknown = np.isnan(ratio)  # a gap neither ends a fault nor adds to it
    fault_alarm = run_lengths(collapsed, unknown) >= cfg.row_fault_hours
    if cfg.row_short_hours:  # a counter that counts a third short for days needs mending too
        short = low & (expected_row >= cfg.min_row_eggs) & ~emptied
        fault_alarm |= run_lengths(short, unknown) >= cfg.row_short_hours
    high = _counting_high(ratio, expected_row, cfg)
    fault_alarm |= high
    fault_active = (ratio < rejoin) | (ratio > high_rejoin) | np.isnan(ratio)
    fault_fires = first_alarms(fault_alarm, fault_active, cfg.rearm_hours)

    silent_alarm = _long_runs(_silent(quiet, known, usable, depop, back, gone), cfg.row_silent_hours)
    silent_fires = first_alarms(silent_alarm, ~known, cfg.rearm_hours)
    included = ~np.isnan(win) & usable & ~(low & ~emptied) & ~high
    bridged, bridge = _bridge_short_gaps(win, ref, included, BRIDGE_HOURS, uncounted)
    included |= bridge
    left_out = usable & ~included  # not a row emptied of its hens (its share is 0 once re-learned)
    return RowState(bridged, share, ratio, included, left_out, fault_fires, silent_fires)


def _gone(hens: np.ndarray, prior: np.ndarray, depop: np.ndarray, frac: float) -> Gone:
    """:class:`Gone` of ``hens`` (``[house, hour]``), with the rows' shares from ``prior`` in the
    houses ``depop`` flags (elsewhere no row is emptied, and nothing is computed)."""
    some = np.flatnonzero(depop.any(axis=(1, 2)))
    if some.size == 0:  # the usual case: nobody took hens out
        return Gone(hens[:, None, :], frac)
    share = np.full(prior.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share[some] = prior[some] / np.nansum(prior[some], axis=1, keepdims=True)
    return Gone(hens[:, None, :], frac, share)


def _quiet(known: np.ndarray) -> np.ndarray:
    """Hours a row reports nothing while most of its neighbours report (not a gateway gap, which
    silences them all)."""
    r = known.shape[1]
    others_known = (known.sum(axis=1, keepdims=True) - known) >= max(2, (r - 1) // 2)
    return ~known & others_known


def _silent(
    quiet: np.ndarray,
    known: np.ndarray,
    usable: np.ndarray,
    depop: np.ndarray,
    back: np.ndarray,
    gone: Gone | None,
) -> np.ndarray:
    """:func:`_quiet` hours of a row with a share, unless it fell quiet as hens were taken out."""
    return quiet & usable & ~_began_during(~known, depop, back, gone)


def _long_runs(cond: np.ndarray, hours: int) -> np.ndarray:
    """Where ``cond`` (``[house, row, hour]``) has held for ``hours`` hours in a row."""
    out = np.zeros(cond.shape, dtype=bool)
    some = np.flatnonzero(cond.any(axis=(1, 2)))  # the usual case: every row reports
    if some.size:
        out[some] = run_lengths(cond[some]) >= hours
    return out


def _bridge_short_gaps(
    win: np.ndarray, ref: np.ndarray, included: np.ndarray, hours: int, unbridged: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(``win`` bridged, where): a row in the house figure whose 24 h count is unknown, for up to
    ``hours`` after its last known one, takes that count moved with the house since (its median row
    estimate ``ref``, ``[house, 1, hour]``); not at ``unbridged`` hours (a stuck counter's run:
    its last known count holds the run's first hours).

    One counter missing a few hours while the others report would otherwise leave the row out of
    the house figure for a day and more (every window with an end in the gap), and the figure
    without it carries the row's day-to-day noise as error: more looks at a noisier figure.  A row
    left out at its last known count (counting short) stays out."""
    known = ~np.isnan(win)
    if not (~known[..., DAY:] & known.any(axis=-1, keepdims=True)).any():  # the usual case: no gap
        return win, np.zeros(win.shape, dtype=bool)
    last = last_true(known, -1)
    since = np.arange(win.shape[-1]) - last
    with np.errstate(invalid="ignore", divide="ignore"):
        moved = value_at(win, last) * ref / value_at(ref, last)
    bridge = ~known & (last >= 0) & (since <= hours) & np.isfinite(moved)
    bridge &= value_at(included, last)
    if unbridged is not None:
        bridge &= ~unbridged
    return np.where(bridge, moved, win), bridge
