"""The park at a glance, computed from the telemetry store and the park file.

Until the detector's ``analytics.production`` lands, the figures the page shows are derived here
with :meth:`TelemetryStore.query` and the breed standard: per house, eggs and hen-day % today
against the standard for the flock's age and a 14-day daily series; per packing line, today's
graded eggs, cases, rejects and current state.  Counter increases use the shared
:func:`eggwatch.store.counters.increases` (wraps and resets handled).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from eggwatch.breeds import LABELS, curve
from eggwatch.park import House, Park
from eggwatch.store.base import Query, Series, TelemetryStore, epoch_ms
from eggwatch.store.counters import increases

HOUR_MS = 3_600_000
SPARK_DAYS = 14
LINE_STATE_FRESH_MS = 15 * 60_000
USUAL_DAYS = 7
MIN_SHARE = 0.05  # before ~5 % of a day's eggs are usually counted, a comparison means nothing


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


def _known(*values: float | None) -> float:
    """The first value that was reported: a count of 0 hens is an empty house, not a missing one."""
    return next(v for v in values if v is not None)


def _hourly_increases(series: list[Series], since_ms: int) -> dict[int, float]:
    """Hour start (ms) → summed counter increases over every series, for hours at or after ``since_ms``."""
    out: dict[int, float] = defaultdict(float)
    for s in series:
        if s.ts.size < 2:
            continue
        inc = increases(s.values)
        for ts, value in zip(s.ts[1:].tolist(), inc.tolist(), strict=True):
            if ts >= since_ms and not math.isnan(value):
                out[ts] += value
    return out


def _counter_total(store: TelemetryStore, metric: str, site: str, unit: str, start: int, end: int) -> float:
    """Increase of a counter metric over ``[start, end)`` summed over devices and tags."""
    q = Query(metric, site, start - HOUR_MS, end, bucket_ms=HOUR_MS, agg="last", units=(unit,))
    return sum(_hourly_increases(store.query(q), start).values())


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


def house_figures(store: TelemetryStore, park: Park, house: House, now: dt.datetime) -> HouseFigures:
    site = park.site
    midnight = local_midnight(now, park)
    start = midnight - dt.timedelta(days=SPARK_DAYS)
    now_ms, start_ms = epoch_ms(now), epoch_ms(start)
    counters = store.query(
        Query("eggs_total", site, start_ms - HOUR_MS, now_ms, HOUR_MS, "last", units=(house.unit,))
    )
    hourly = _hourly_increases(counters, start_ms)
    # The day the counters' readings begin was counted only in part: no figure for it (a fraction
    # of a day's eggs over the hens read as a collapse on the first day of a new install or a demo).
    counted_from = min((int(s.ts[0]) for s in counters if s.ts.size), default=now_ms)
    # Counters silent all day (offline, or a new house): no figure, not "0 eggs" read as a collapse.
    counting = any(s.ts.size and int(s.ts[-1]) >= epoch_ms(midnight) for s in counters)
    hens_series = store.query(
        Query("hens_housed", site, start_ms, now_ms, HOUR_MS, "last", units=(house.unit,))
    )
    hens_by_day: dict[dt.date, float] = {}
    for s in hens_series:
        for ts, v in zip(s.ts.tolist(), s.values.tolist(), strict=True):
            hens_by_day[dt.datetime.fromtimestamp(ts / 1000, park.tz).date()] = v
    eggs_by_day: dict[dt.date, float] = defaultdict(float)
    for ts, v in hourly.items():
        eggs_by_day[dt.datetime.fromtimestamp(ts / 1000, park.tz).date()] += v
    std = curve(house.breed)
    today = midnight.date()
    days = []
    for k in range(SPARK_DAYS, 0, -1):
        day = today - dt.timedelta(days=k)
        hens = _known(hens_by_day.get(day), float(house.hens_placed))
        eggs = eggs_by_day.get(day)
        whole_day = epoch_ms(dt.datetime.combine(day, dt.time(0), park.tz)) >= counted_from
        pct = 100.0 * eggs / hens if eggs and whole_day and hens else None
        days.append(DayPoint(day, pct, float(std.hen_day(house.age_weeks(day)))))
    yesterday = today - dt.timedelta(days=1)
    hens_now = _known(hens_by_day.get(today), hens_by_day.get(yesterday), float(house.hens_placed))
    eggs_today = eggs_by_day.get(today, 0.0)
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


def line_figures(
    store: TelemetryStore, park: Park, unit: str, name_zh: str | None, now: dt.datetime
) -> LineFigures:
    site = park.site
    start, end = epoch_ms(local_midnight(now, park)), epoch_ms(now)
    state = _last(store, "line_state", site, unit, end - LINE_STATE_FRESH_MS, end + 1)
    speed = _last(store, "line_speed_eph", site, unit, end - LINE_STATE_FRESH_MS, end + 1)
    return LineFigures(
        unit=unit,
        name_zh=name_zh,
        graded_today=round(_counter_total(store, "eggs_graded_total", site, unit, start, end)),
        cases_today=round(_counter_total(store, "cases_packed_total", site, unit, start, end)),
        rejects_today=round(_counter_total(store, "rejects_total", site, unit, start, end)),
        state=int(state[1]) if state else None,
        speed_eph=speed[1] if speed else None,
    )


def park_figures(store: TelemetryStore, park: Park, now: dt.datetime) -> ParkFigures:
    return ParkFigures(
        site=park.site,
        now=now,
        houses=[house_figures(store, park, h, now) for h in park.houses],
        lines=[line_figures(store, park, line.unit, line.name_zh, now) for line in park.lines],
    )


def spark_values(days: list[DayPoint]) -> tuple[np.ndarray, np.ndarray]:
    """(actual, standard) as float arrays, NaN where a day has no data."""
    actual = np.array(
        [d.hen_day_pct if d.hen_day_pct is not None else np.nan for d in days], dtype=np.float64
    )
    standard = np.array([d.standard_pct for d in days], dtype=np.float64)
    return actual, standard
