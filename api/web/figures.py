"""The park at a glance, computed from the telemetry store and the park file.

Per house: eggs and hen-day % today against the breed standard for the flock's age, and a 14-day
daily series, from :func:`analytics.production.load_hourly` — the one query layer the detector
and the API's figures use, so the page counts eggs as they do (wraps and resets, a replaced
counter's jump refused, back-filled gaps, hens from the controller or placement minus deaths).
Per packing line: today's graded eggs, cases and rejects as payroll counts them
(:func:`api.services.attribution.load_timelines`), and the line's current state.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from analytics.frame import HourlyFrame, floor_hour
from analytics.production import load_hourly
from api.services.attribution import CounterTimeline, load_timelines
from eggwatch.breeds import LABELS, curve
from eggwatch.park import House, Park
from eggwatch.store.base import Query, TelemetryStore, epoch_ms

HOUR_MS = 3_600_000
SPARK_DAYS = 14
LINE_STATE_FRESH_MS = 15 * 60_000
USUAL_DAYS = 7
MIN_SHARE = 0.05  # before ~5 % of a day's eggs are usually counted, a comparison means nothing
LINE_COUNTERS = ("eggs_graded_total", "cases_packed_total", "rejects_total")
# (store, park, start, end) -> the houses' hourly frame of [start, end)
HourlyLoader = Callable[[TelemetryStore, Park, dt.datetime, dt.datetime], HourlyFrame]


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    hen_day_pct: float | None  # None: no counter data that day
    standard_pct: float


@dataclass(frozen=True)
class HouseFigures:
    unit: str
    name_zh: str | None
    breed_en: str
    breed_zh: str
    age_weeks: float
    hens: int
    eggs_today: int
    hen_day_today_pct: float  # eggs counted since local midnight ÷ hens (a partial day)
    expected_pct: float  # the breed standard for today's age (a full day)
    usual_share: float  # share of a day's eggs this house has usually counted by this time of day
    days: list[DayPoint] = field(default_factory=list)
    counting: bool = True  # some egg counter reported since local midnight (else: no figure today)

    @property
    def expected_so_far_pct(self) -> float:
        return self.expected_pct * self.usual_share

    @property
    def ratio_pct(self) -> float | None:
        """Today so far as % of the standard so far; None before the day's laying has started
        and for an empty house (no hens: nothing to compare, not 0 % in red)."""
        if self.usual_share < MIN_SHARE or not self.expected_pct or not self.hens:
            return None
        return 100.0 * self.hen_day_today_pct / self.expected_so_far_pct


@dataclass(frozen=True)
class LineFigures:
    unit: str
    name_zh: str | None
    graded_today: int
    cases_today: int
    rejects_today: int
    state: int | None  # 0 stopped, 1 running, 2 fault; None = no recent reading
    speed_eph: float | None

    @property
    def reject_pct(self) -> float | None:
        """Rejects as % of the eggs through the grader; None before any (not a flawless 0.00 %)."""
        total = self.graded_today + self.rejects_today
        return 100.0 * self.rejects_today / total if total else None


@dataclass(frozen=True)
class ParkFigures:
    site: str
    now: dt.datetime
    houses: list[HouseFigures]
    lines: list[LineFigures]


def local_midnight(now: dt.datetime, park: Park) -> dt.datetime:
    return dt.datetime.combine(now.astimezone(park.tz).date(), dt.time(0), park.tz)


def _last(
    store: TelemetryStore, metric: str, site: str, unit: str, start: int, end: int
) -> tuple[int, float] | None:
    latest: tuple[int, float] | None = None
    for s in store.query(Query(metric, site, start, end, units=(unit,))):
        if s.ts.size and (latest is None or s.ts[-1] > latest[0]):
            latest = (int(s.ts[-1]), float(s.values[-1]))
    return latest


def usual_share(hourly: dict[int, float], now: dt.datetime, tz: dt.tzinfo, days: int = USUAL_DAYS) -> float:
    """Mean share of a full day's eggs counted by ``now``'s local time of day, over the last
    ``days`` complete days: laying (and belt collection) follows the same clock every day."""
    local = now.astimezone(tz)
    elapsed_h = local.hour + local.minute / 60
    per_day: dict[dt.date, list[tuple[float, float]]] = defaultdict(list)
    for ts, v in hourly.items():
        t = dt.datetime.fromtimestamp(ts / 1000, tz)
        per_day[t.date()].append((t.hour, v))
    shares = []
    for k in range(1, days + 1):
        hours = per_day.get(local.date() - dt.timedelta(days=k), [])
        total = sum(v for _, v in hours)
        if total > 0:
            done = sum(v * min(1.0, max(0.0, elapsed_h - h)) for h, v in hours)
            shares.append(done / total)
    return float(np.mean(shares)) if shares else 0.0


def _house_figures(frame: HourlyFrame, i: int, park: Park, house: House, now: dt.datetime) -> HouseFigures:
    """House ``i`` of ``frame`` (hourly, from 14 local days before today to the current hour)."""
    midnight_ms = epoch_ms(local_midnight(now, park))
    hour_ms = epoch_ms(frame.start) + HOUR_MS * np.arange(frame.n_hours)
    rows = frame.eggs[i]
    eggs = np.where(np.isnan(rows).all(axis=0), np.nan, np.nansum(rows, axis=0))
    known = ~np.isnan(eggs)
    hourly = {int(t): float(v) for t, v in zip(hour_ms[known], eggs[known], strict=True)}
    # The day the counters' figures begin was counted only in part: no figure for it (a fraction
    # of a day's eggs over the hens read as a collapse on the first day of a new install or a demo).
    counted_from = int(hour_ms[known][0]) if known.any() else epoch_ms(now)
    # Counters silent all day (offline, or a new house): no figure, not "0 eggs" read as a collapse.
    counting = bool(known[hour_ms >= midnight_ms].any())
    local_days = np.array([dt.datetime.fromtimestamp(t / 1000, park.tz).date().toordinal() for t in hour_ms])
    hens = frame.hens[i]
    std = curve(house.breed)
    today = dt.date.fromordinal(int(local_days[-1])) if local_days.size else now.astimezone(park.tz).date()
    days = []
    for k in range(SPARK_DAYS, 0, -1):
        day = today - dt.timedelta(days=k)
        sel = local_days == day.toordinal()
        day_eggs = float(np.nansum(eggs[sel])) if known[sel].any() else None
        day_hens = float(np.nanmean(hens[sel])) if (~np.isnan(hens[sel])).any() else float(house.hens_placed)
        whole_day = epoch_ms(dt.datetime.combine(day, dt.time(0), park.tz)) >= counted_from
        pct = 100.0 * day_eggs / day_hens if day_eggs and whole_day and day_hens else None
        days.append(DayPoint(day, pct, float(std.hen_day(house.age_weeks(day)))))
    seen_hens = hens[~np.isnan(hens)]
    hens_now = float(seen_hens[-1]) if seen_hens.size else float(house.hens_placed)
    eggs_today = float(np.nansum(eggs[known & (hour_ms >= midnight_ms)]))
    en, zh = LABELS[house.breed]
    return HouseFigures(
        unit=house.unit,
        name_zh=house.name_zh,
        breed_en=en,
        breed_zh=zh,
        age_weeks=house.age_weeks(today),
        hens=int(hens_now),
        eggs_today=round(eggs_today),
        hen_day_today_pct=100.0 * eggs_today / hens_now if hens_now else 0.0,
        expected_pct=float(std.hen_day(house.age_weeks(today))),
        usual_share=usual_share(hourly, now, park.tz),
        days=days,
        counting=counting,
    )


def _line_figures(
    store: TelemetryStore, park: Park, counted: dict[str, dict[str, CounterTimeline]], now: dt.datetime
) -> list[LineFigures]:
    site = park.site
    start, end = epoch_ms(local_midnight(now, park)), epoch_ms(now)

    def today(metric: str, unit: str) -> int:
        return round(counted[metric][unit].amount(start, end + 1))

    out = []
    for line in park.lines:
        state = _last(store, "line_state", site, line.unit, end - LINE_STATE_FRESH_MS, end + 1)
        speed = _last(store, "line_speed_eph", site, line.unit, end - LINE_STATE_FRESH_MS, end + 1)
        out.append(
            LineFigures(
                unit=line.unit,
                name_zh=line.name_zh,
                graded_today=today("eggs_graded_total", line.unit),
                cases_today=today("cases_packed_total", line.unit),
                rejects_today=today("rejects_total", line.unit),
                state=int(state[1]) if state else None,
                speed_eph=speed[1] if speed else None,
            )
        )
    return out


def park_figures(
    store: TelemetryStore, park: Park, now: dt.datetime, hourly: HourlyLoader | None = None
) -> ParkFigures:
    """The figures as of ``now``; ``hourly`` loads the hourly frame (by default ``load_hourly``
    up to ``now``, eggs and hens only; the page's cache passes an incremental one)."""
    midnight = local_midnight(now, park)
    first = (midnight - dt.timedelta(days=SPARK_DAYS)).astimezone(dt.UTC)
    after = floor_hour(now) + dt.timedelta(hours=1)
    if hourly is None:
        frame = load_hourly(store, park, first, after, now, intake=False)
    else:
        frame = hourly(store, park, first, after)
    start, end = epoch_ms(midnight), epoch_ms(now) + 1
    units = [line.unit for line in park.lines]
    counted = {m: load_timelines(store, park.site, m, units, start, end) for m in LINE_COUNTERS}
    return ParkFigures(
        site=park.site,
        now=now,
        houses=[_house_figures(frame, i, park, h, now) for i, h in enumerate(park.houses)],
        lines=_line_figures(store, park, counted, now),
    )


def spark_values(days: list[DayPoint]) -> tuple[np.ndarray, np.ndarray]:
    """(actual, standard) as float arrays, NaN where a day has no data."""
    actual = np.array(
        [d.hen_day_pct if d.hen_day_pct is not None else np.nan for d in days], dtype=np.float64
    )
    standard = np.array([d.standard_pct for d in days], dtype=np.float64)
    return actual, standard
