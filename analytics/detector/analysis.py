"""Run every part of the detector over a frame (vectorised; no per-house loops)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from analytics.detector.baseline import PastStandard
from analytics.detector.config import LEAD_DAYS, DetectorConfig
from analytics.detector.consumption import ConsumptionDrops, analyse_consumption, by_house, falling_together
from analytics.detector.episodes import first_alarms
from analytics.detector.flocks import age_unsettled, believed_hens, day_mean_hens
from analytics.detector.gaps import restore_lost_backlogs
from analytics.detector.heat import HeatStress, analyse_heat
from analytics.detector.houses import HouseDrops, analyse_drops
from analytics.detector.lights import (
    lights_came_early,
    lights_came_late,
    moved_too,
    still_dark,
    usual_drinking,
)
from analytics.detector.maturity import curve_shift
from analytics.detector.noise import row_noise
from analytics.detector.rows import RowState, analyse_rows
from analytics.detector.schedule import schedule_verdicts
from analytics.detector.spikes import drop_spikes
from analytics.detector.stuck import stuck_counts, stuck_runs
from analytics.detector.stuck_meters import stuck_meter
from analytics.detector.stuck_probes import stuck_probe
from analytics.detector.temp_jumps import drop_temp_jumps
from analytics.detector.windows import (
    DAY,
    along_last,
    ffill,
    lagged,
    last_true,
    trailing_extreme,
    within_last,
)
from analytics.frame import HourlyFrame
from eggwatch.breeds import curve


@dataclass(frozen=True)
class Analysis:
    hens: np.ndarray  # [house, hour] hens (carried forward)
    hens_mean: np.ndarray  # [house, hour] mean over the last 24 h
    standard: np.ndarray  # [house, hour] breed-standard hen-day % at the flock's age + maturity
    maturity: np.ndarray  # [house, hour] weeks the flock lays ahead of its breed curve (maturity.py)
    depopulating: np.ndarray  # [house, hour] hens fell recently (not a production problem)
    paused: np.ndarray  # [house, hour] no laying verdict: depopulation or lighting-schedule change
    rows: RowState
    drops: HouseDrops
    water: ConsumptionDrops
    feed: ConsumptionDrops
    heat: HeatStress
    drop_fires: np.ndarray  # [house, hour] a laying_drop alert fires
    water_fires: np.ndarray
    feed_fires: np.ndarray
    heat_fires: np.ndarray
    stop_fires: np.ndarray  # [house, hour] a "counting stopped" sensor_fault fires
    stuck: np.ndarray  # [house, row, hour] the row's count stuck at one figure (stuck.py): unknown
    stuck_fires: np.ndarray  # [house, row, hour] a "counter stuck" sensor_fault fires
    meters_stuck: dict[str, np.ndarray]  # water_l / feed_kg: [house, hour] stuck (stuck_meters.py)
    meter_stuck_fires: dict[str, np.ndarray]  # ... a "meter stuck" sensor_fault fires
    probe_stuck: np.ndarray  # [house, hour] the temperature stuck at one figure (stuck_probes.py)
    probe_stuck_fires: np.ndarray  # ... a "probe stuck" sensor_fault fires


WEEK = 7 * DAY
# Hours before a pass's first verdict whose alarms carry episodes on (not fire): an episode that
# began before the verdicts and alarms again days later is the whole run's one alert, not a second
# (seeds 1-36, live passes every 24 h: 16 of 2,897 live alerts not in the whole run's before, 8 after).
# Not the whole lead-in: its first days' figures are learned from less history than the whole run's.
EPISODE_LEAD_HOURS = 2 * DAY
DAILY_MAX_HOURS = 2  # a meter with at most this many busy hours on its median whole day is read daily


def read_once_a_day(amount: np.ndarray) -> np.ndarray:
    """``[house]``: the meter reports the day's amount at one hour (a daily sheet, an export of day
    totals), not the hens' day hour by hour: on its median fully known day, at most
    :data:`DAILY_MAX_HOURS` hours above 0.  Its water then says nothing of when the lights came on:
    with each house's water so written (seeds 1-6), every lighting-schedule change read as a
    water, feed and laying drop."""
    n_days = amount.shape[-1] // DAY
    if n_days == 0:
        return np.zeros(amount.shape[0], dtype=bool)
    days = amount[:, : n_days * DAY].reshape(amount.shape[0], n_days, DAY)
    with np.errstate(invalid="ignore"):
        busy = (days > 0).sum(axis=2).astype(float)
    busy[np.isnan(days).any(axis=2)] = np.nan
    known = ~np.isnan(busy).all(axis=1)
    out = np.zeros(amount.shape[0], dtype=bool)
    out[known] = np.nanmedian(busy[known], axis=1) <= DAILY_MAX_HOURS
    return out


def hourly_age(age: np.ndarray) -> np.ndarray:
    """The flock's age hour by hour, from an ``age_weeks`` column that may move in steps.

    A park may give whole weeks (or days): the figure then stands still for a week and jumps.  Taken
    as it is, the breed curve moved every past day to "today's age" by nothing for six days and by
    a week at once on the seventh — in a rising flock a weekly 5-10-point "deficit" (seeds 1-6 and
    11-14 with whole weeks: 128 false alarms against 58).  Hens age an hour an hour: from each hour
    the figure changes, the age runs on at that pace, never more than a week past the figure (a
    column that stops changing is not extrapolated further).  A figure given every hour is returned
    unchanged; before the first figure the first one stands.
    """
    t = np.arange(age.shape[-1])
    changed = ~np.isnan(age) & ~(age == lagged(ffill(age), 1))
    anchor = last_true(changed, -1)
    first = np.argmax(changed, axis=-1)[..., None]  # before it, the first figure (none: NaN)
    since = np.where(anchor >= 0, np.minimum(t - anchor, WEEK), 0) / WEEK
    return along_last(age, np.where(anchor >= 0, anchor, first)) + since


def _recent_fall(hens: np.ndarray, frac: float, within: int, lasting: int) -> tuple[np.ndarray, np.ndarray]:
    """(fell, back), ``[house, hour]``: hens fell by ``frac`` within ``within`` hours in the last
    ``lasting`` hours, and the count is not back since; back: the count within ``frac`` of the
    highest of the last ``within + lasting`` hours and a day.  A fall undone within hours was a typo:
    a depopulation's pause (and rows dying meanwhile taken as emptied) would have hidden days."""
    fell = within_last(_fallen_share(hens, within) > frac, lasting)
    back = np.zeros_like(fell)
    some = np.flatnonzero(fell.any(axis=-1))  # few houses ever lose hens: only theirs
    if some.size:
        highest = trailing_extreme(hens[some], within + lasting + DAY, lowest=False)
        with np.errstate(invalid="ignore"):
            back[some] = hens[some] >= (1.0 - frac) * highest
        fell &= ~back
    return fell, back


def _fallen_share(hens: np.ndarray, within: int) -> np.ndarray:
    """The share of the hens of ``within`` hours ago that are gone now (0 when none, or unknown)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(np.clip(1.0 - hens / lagged(hens, within), 0.0, 1.0), nan=0.0)


def flock_age(age_weeks: np.ndarray, unsettled: np.ndarray | None = None) -> np.ndarray:
    """:func:`hourly_age` of an ``age_weeks`` column, an age that jumped and has not lasted a day (a
    typo, see flocks.age_unsettled; ``unsettled`` when the caller has it) read as the age before
    it, run on."""
    unsettled = age_unsettled(age_weeks) if unsettled is None else unsettled
    return hourly_age(np.where(unsettled, np.nan, age_weeks))


def maturity_shift(frame: HourlyFrame, cfg: DetectorConfig, age: np.ndarray | None = None) -> np.ndarray:
    """Weeks each flock lays ahead of its breed curve, hour by hour (see maturity.py); ``age`` is
    :func:`flock_age` of the frame when the caller has it already."""
    age = flock_age(frame.age_weeks) if age is None else age
    hens = np.where(np.isnan(frame.hens), np.nan, believed_hens(frame.hens))  # the hours reported only
    return curve_shift(
        frame.eggs, hens, age, frame.breeds, frame.start.hour, cfg.maturity_days, cfg.maturity_max_weeks
    )


def row_noise_of(frame: HourlyFrame, cfg: DetectorConfig) -> np.ndarray:
    """What each house's rows add to its day-to-day noise, learned from its last ``noise_days``
    (noise.py); relative variance ``[house, hour]``."""
    return row_noise(frame.eggs, frame.start.hour, cfg.noise_days)


def breed_standard(age: np.ndarray, breeds: tuple[str, ...], figure: str = "hen_day") -> np.ndarray:
    """The breed guide's ``figure`` (hen_day, feed_g, water_ml) at each house's ``age``, hour by hour."""
    out = np.full(age.shape, np.nan)
    for breed in set(breeds):  # a loop over breeds (two), not houses
        idx = [i for i, b in enumerate(breeds) if b == breed]
        out[idx] = getattr(curve(breed), figure)(np.nan_to_num(age[idx], nan=-1.0))
    return np.where(np.isnan(age), np.nan, out)


def past_standard(
    standard: np.ndarray,
    age: np.ndarray,
    maturity: np.ndarray,
    breeds: tuple[str, ...],
    days: int,
    start: int,
) -> PastStandard | None:
    """The breed ``standard`` ``days`` days back from the hours ``>= start`` whose curve shift moved
    within those days, at the hour's own shift (None: no shift moved).  A shift moves a few times
    in a flock's rise, so few hours and few of their past days are worked out again."""
    moved = np.zeros(maturity.shape, dtype=bool)
    moved[:, 1:] = maturity[:, 1:] != maturity[:, :-1]
    some = np.flatnonzero(moved[:, max(0, start - days * DAY) :].any(axis=1))
    if not some.size:
        return None
    house, hour = np.nonzero(within_last(moved[some], days * DAY)[:, start:])
    house = some[house]
    at = hour + start
    back = at[:, None] - DAY * np.arange(1, days + 1)
    known = back >= 0
    back = np.where(known, back, 0)
    rows = house[:, None]
    values = np.where(known, standard[rows, back], np.nan)
    now = maturity[house, at][:, None]
    differs = known & (maturity[rows, back] != now)
    ages = age[rows, back] + now
    of_house = np.array(breeds)[house][:, None]
    for breed in set(breeds):
        mine = differs & (of_house == breed)
        if mine.any():
            values[mine] = breed_standard(ages[mine][None, :], (breed,))[0]
    return PastStandard(house, hour, values)


def _guide(age: np.ndarray, breeds: tuple[str, ...], figure: str) -> np.ndarray:
    """The breed guide's water or feed per hen for the age; 1 for a house that never reports its age
    (its intake is then compared as it is)."""
    g = breed_standard(age, breeds, figure)
    return np.where(np.isnan(g), 1.0, g)


def _hen_fall_excuse(hens: np.ndarray, cfg: DetectorConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depopulating, back, excuse), ``[house, hour]``: hens fell recently (:func:`_recent_fall`), and
    the share of the per-hen figures a fall of hens explains (0-1; ``inf``: no verdict).

    While a 24 h window mixes the flock before and after a fall of hens, its per-hen figures can be
    off by up to the share that fell within it: falls within part of that are explained, larger
    ones judged (hens dying of a disease are no depopulation: pausing outright hid 59 of 77
    diseases of 14 seeds that killed 4 % of the hens a day for two days).
    Half the house or more gone within the window (a flock sold, a house emptied): no verdict."""
    depop, back = _recent_fall(hens, cfg.depopulation_frac, 48, cfg.depopulation_pause_hours)
    fallen = _fallen_share(hens, DAY)
    share = np.where(fallen >= cfg.depopulation_whole_frac, 1.0, cfg.depopulation_excuse)
    excuse = np.where(depop, np.where(fallen >= 0.5, np.inf, share * fallen), 0.0)
    return depop, back, excuse


def _cleaned_counts(
    frame: HourlyFrame, first_hod: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(eggs, water_l, feed_kg, meters_stuck): the frame's counts with what no hen made taken out.

    Meter hours no meter can make are unknown (spikes.py), and so are a meter's hours stuck at one
    figure (stuck_meters.py, ``meters_stuck`` by column); then counters and meters that lost their
    backlog in a gap get it back (gaps.py)."""
    water_l, feed_kg = (drop_spikes(a, first_hod) for a in (frame.water_l, frame.feed_kg))
    meters_stuck = {"water_l": stuck_meter(water_l), "feed_kg": stuck_meter(feed_kg)}
    water_l, feed_kg = (
        np.where(meters_stuck[k], np.nan, a) for k, a in (("water_l", water_l), ("feed_kg", feed_kg))
    )
    eggs, water_l, feed_kg = (restore_lost_backlogs(a) for a in (frame.eggs, water_l, feed_kg))
    return eggs, water_l, feed_kg, meters_stuck


def _fires(alarm: np.ndarray, active: np.ndarray, rearm_hours: int, first_verdict: int) -> np.ndarray:
    """The hours an alert fires: the first alarm of each episode (:func:`first_alarms`), none before
    the pass's first verdict (the lead-in's alarms only carry episodes on)."""
    fires = first_alarms(alarm, active, rearm_hours)
    fires[..., :first_verdict] = False
    return fires


def analyse(
    frame: HourlyFrame,
    cfg: DetectorConfig,
    evaluate_from: int = 0,
    maturity: np.ndarray | None = None,
    noise: np.ndarray | None = None,
) -> Analysis:
    """All the detector's intermediate figures; alarms only for hours ``>= evaluate_from``.

    ``maturity``: :func:`maturity_shift` when the caller learned it from a longer history than
    ``frame`` holds (the live pass); by default it is learned from ``frame``."""
    # Figures start LEAD_DAYS before the first verdict, so verdicts, onsets and multi-day checks at
    # ``evaluate_from`` are the same as in a run over the whole history.
    first_verdict = max(0, min(evaluate_from, frame.n_hours))
    start = max(0, first_verdict - LEAD_DAYS * DAY)
    # A row's count repeated hour after hour is a stuck counter's, not eggs: unknown from then on.
    stuck = stuck_counts(frame.eggs)
    uncounted = None
    if stuck.any():
        uncounted = stuck_runs(frame.eggs, stuck)
        frame = replace(frame, eggs=np.where(stuck, np.nan, frame.eggs))
    first_hod = frame.start.hour
    hens = believed_hens(frame.hens)
    hens_mean = day_mean_hens(hens)
    depop, hens_back, excuse = _hen_fall_excuse(hens, cfg)
    # An age far off the day before's: a typo, or a new flock not yet split off (flocks.py).  No
    # verdicts until it is corrected or believed.
    unsettled = age_unsettled(frame.age_weeks)
    excuse = np.where(unsettled, np.inf, excuse)
    age = flock_age(frame.age_weeks, unsettled)
    maturity = maturity_shift(frame, cfg, age) if maturity is None else maturity
    standard = breed_standard(age + maturity, frame.breeds)

    eggs, water_l, feed_kg, meters_stuck = _cleaned_counts(frame, first_hod)
    # A probe's glitches and its hours stuck at one figure are unknown (temp_jumps.py, stuck_probes.py).
    temp_c = drop_temp_jumps(frame.temp_c)
    probe_stuck = stuck_probe(temp_c)
    heat = analyse_heat(np.where(probe_stuck, np.nan, temp_c), start, cfg)
    temp = (heat.mean_24h, heat.rise)
    # The lights checks read the hens' daily rhythm in the water; a house without water readings
    # (a park without water meters), or whose water is read once a day, keeps it in its feed.
    no_water = np.isnan(water_l).all(axis=1)
    no_rhythm = no_water | read_once_a_day(water_l)
    rhythm_l = np.where(no_rhythm[:, None], feed_kg, water_l) if no_rhythm.any() else water_l
    # What each hour usually drinks, for the lights checks (lights.py).
    drinking = None
    if cfg.lights_hold_hours > 0 or cfg.midday_frac > 0:
        drinking = usual_drinking(rhythm_l, cfg.baseline_days, start)
    lights_early = None if drinking is None else lights_came_early(rhythm_l, drinking, cfg.lights_lit_frac)
    water = analyse_consumption(
        water_l, hens_mean, cfg.water_min_frac, excuse, start, cfg, first_hod=first_hod,
        guide=_guide(age, frame.breeds, "water_ml"), temp=temp, per_c_range=(0.0, cfg.water_per_c_max),
        hens=hens, lights_early=lights_early,
    )  # fmt: skip
    # Lights on late today (see lights.py) and the feeders moved with them: the 24 h feed falls by
    # the moved hours' share for a day.  Unless drinking is down mid-day, the feed verdict waits.
    started_late = unlit = np.zeros(depop.shape, dtype=bool)
    if drinking is not None and cfg.lights_hold_hours > 0:
        started_late = lights_came_late(rhythm_l, drinking, cfg.lights_dark_frac, cfg.lights_lit_frac)
        unlit = still_dark(rhythm_l, drinking, cfg.lights_lit_frac)
    feed_late = moved_too(feed_kg, started_late, cfg.baseline_days)
    # Water read once a day: a day's total cut at the reading hour moves with the lights across it,
    # and falls by the hours moved.  What the feed says of the lights excuses it for a day.
    read_daily = no_rhythm & ~no_water
    if read_daily.any() and lights_early is not None:
        lights_moved = within_last(started_late | lights_early, DAY) & read_daily[:, None]
        water.alarm[lights_moved] = False
    with np.errstate(invalid="ignore"):
        feed_wait = within_last(feed_late, cfg.lights_hold_hours) & ~(water.fall_short >= cfg.support_frac)
    feed_excuse = np.where(feed_wait, np.inf, excuse)
    # The feed's short windows too: where the feed is measured hour by hour, mid-day feeding normal
    # tells the day moving from hens eating less, and in a house without water readings a fall there
    # is the first sign (with water, the water's; chain feeders that deliver in runs leave no hour
    # usually busy: not judged).  No dropout bridging: an hour without feed after a run is the rule.
    feed = analyse_consumption(
        feed_kg, hens_mean, cfg.feed_min_frac, feed_excuse, start, cfg, first_hod=first_hod,
        slow_frac=cfg.feed_slow_frac,
        guide=_guide(age, frame.breeds, "feed_g"), temp=temp, per_c_range=(-cfg.feed_per_c_max, 0.0),
        hens=hens, lights_early=lights_early, bridge=False, short_alarms=no_water,
    )  # fmt: skip
    if cfg.joint_frac > 0:  # eating and drinking less together: a water_drop, the first sign
        water.alarm[...] |= falling_together(water, feed, excuse, feed_excuse, cfg)
    # Lighting-schedule changes, told from the drinking rhythm (schedule.py).
    rhythm = by_house(no_water, feed, water) if no_water.any() else water
    sched = schedule_verdicts(rhythm_l, rhythm, feed, started_late, unlit, first_hod, start, cfg)
    for c in (water, feed):  # drinking moved later into the day: no water or feed problem
        c.alarm[sched.moved_lately] = False
    support, drinking_down = sched.support, sched.drinking_down
    pause = depop | sched.pause | unsettled
    wait = sched.wait
    override_pts = sched.override_pts
    override_pts = np.where(depop, cfg.rhythm_override_pts + 100.0 * excuse, override_pts)
    override_pts = np.where(unsettled, np.inf, override_pts)

    rows = analyse_rows(eggs, depop, cfg, hens_back, hens, uncounted)
    all_missing = np.isnan(eggs).all(axis=1)
    counted_hour = np.where(all_missing, np.nan, np.nansum(eggs, axis=1))
    drops = analyse_drops(
        rows,
        eggs,
        counted_hour,
        hens_mean,
        standard,
        support,
        drinking_down,
        sched.intake_down,
        pause,
        wait,
        override_pts,
        first_hod,
        start,
        cfg,
        row_noise_of(frame, cfg) if noise is None else noise,
        None if uncounted is None else (uncounted & ~stuck).any(axis=1),
        past_standard(standard, age, maturity, frame.breeds, cfg.baseline_days, start),
    )

    # The alarms of the lead-in's last days carry an episode on into the verdicts (only the first
    # alarm of an episode fires), so an event still going on is not alerted again in a live pass.
    for alarm in (drops.alarm, water.alarm, feed.alarm, heat.alarm, drops.stopped):
        alarm[:, : max(0, first_verdict - EPISODE_LEAD_HOURS)] = False

    def fires(alarm: np.ndarray, active: np.ndarray) -> np.ndarray:
        return _fires(alarm, active, cfg.rearm_hours, first_verdict)

    drop_fires = fires(drops.alarm, drops.active)
    water_fires = fires(water.alarm, water.active)
    feed_fires = fires(feed.alarm, feed.active)
    heat_fires = fires(heat.alarm, heat.active)
    stop_fires = fires(drops.stopped, drops.stopped)
    stuck_fires = fires(stuck, stuck)
    meter_stuck_fires = {k: fires(m, m) for k, m in meters_stuck.items()}
    probe_stuck_fires = fires(probe_stuck, probe_stuck)
    return Analysis(
        hens, hens_mean, standard, maturity, depop, pause, rows, drops, water, feed, heat,
        drop_fires, water_fires, feed_fires, heat_fires, stop_fires, stuck, stuck_fires,
        meters_stuck, meter_stuck_fires, probe_stuck, probe_stuck_fires,
    )  # fmt: skip
