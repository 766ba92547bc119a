"""Production figures for the API and the web page: eggs per row and house, per hour and per
(local) day, hens alive, hen-day %, water and feed per hen, against the breed standard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

import numpy as np

from analytics.frame import HourlyFrame
from analytics.production import load_hourly
from eggwatch.breeds import LABELS, curve
from eggwatch.park import Park
from eggwatch.store.base import TelemetryStore


def _list(a: np.ndarray, digits: int = 1) -> list[float | None]:
    return [None if np.isnan(v) else round(float(v), digits) for v in a]


@dataclass(frozen=True)
class DayFigures:
    day: date  # local calendar day (park time zone)
    complete: bool  # the whole day is in the window and every hour of every row had data
    # eggs, water and feed: sums over the day's hours in the window; the per-hen figures (hen-day %,
    # water and feed per hen) only for a whole day (None for a day the window cuts)
    eggs: float | None
    eggs_by_row: dict[str, float | None]
    hens: float | None
    hen_day_pct: float | None
    standard_hen_day_pct: float | None
    water_ml_per_hen: float | None
    standard_water_ml_per_hen: float | None
    feed_g_per_hen: float | None
    standard_feed_g_per_hen: float | None

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["day"] = self.day.isoformat()
        return d


@dataclass(frozen=True)
class HouseFigures:
    house: str
    name_zh: str | None
    breed: str
    breed_label: tuple[str, str]  # English, Chinese
    age_weeks: float | None
    hens: float | None
    hours: list[datetime]  # hour starts, UTC
    eggs_hourly: list[float | None]
    eggs_by_row_hourly: dict[str, list[float | None]]
    days: list[DayFigures]

    def to_json(self) -> dict[str, Any]:
        return {
            "house": self.house,
            "name_zh": self.name_zh,
            "breed": self.breed,
            "breed_label": {"en": self.breed_label[0], "zh": self.breed_label[1]},
            "age_weeks": self.age_weeks,
            "hens": self.hens,
            "hours": [h.strftime("%Y-%m-%dT%H:%M:%SZ") for h in self.hours],
            "eggs_hourly": self.eggs_hourly,
            "eggs_by_row_hourly": self.eggs_by_row_hourly,
            "days": [d.to_json() for d in self.days],
        }


def _nan_sum(a: np.ndarray, axis: int) -> np.ndarray:
    return np.where(np.isnan(a).all(axis=axis), np.nan, np.nansum(a, axis=axis))


def _per_hen(value: float | np.ndarray, hens: float, scale: float) -> float | None:
    v = float(value)
    if np.isnan(v) or np.isnan(hens) or hens <= 0:
        return None
    return round(v * scale / hens, 1)


def _hours_in(day: date, tz: tzinfo) -> int:
    """Hours in ``day`` in time zone ``tz`` (23 or 25 on a daylight-saving change)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
    end = datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=tz).timestamp()
    return round((end - start) / 3600)  # timestamps: aware datetimes of one zone subtract as wall time


def figures_from_frame(frame: HourlyFrame, park: Park) -> list[HouseFigures]:
    hours = [frame.hour_start(i) for i in range(frame.n_hours)]
    tz = park.tz
    local_days = np.array([h.astimezone(tz).date().toordinal() for h in hours], dtype=np.int64)
    out = []
    for i, unit in enumerate(frame.houses):
        house = park.house(unit)
        breed = frame.breeds[i]
        c = curve(breed)
        present = [r for j, r in enumerate(frame.rows) if not np.isnan(frame.eggs[i, j]).all()]
        rows_idx = [frame.rows.index(r) for r in present]
        eggs_rows = frame.eggs[i, rows_idx] if rows_idx else np.full((0, frame.n_hours), np.nan)
        eggs = _nan_sum(eggs_rows, 0) if rows_idx else np.full(frame.n_hours, np.nan)
        days = []
        for d in np.unique(local_days):
            sel = local_days == d
            n_hours = int(sel.sum())
            day_eggs = _nan_sum(eggs[sel], 0)
            hens = float(np.nanmean(frame.hens[i, sel])) if not np.isnan(frame.hens[i, sel]).all() else np.nan
            age = (
                float(np.nanmean(frame.age_weeks[i, sel]))
                if not np.isnan(frame.age_weeks[i, sel]).all()
                else np.nan
            )
            water = _nan_sum(frame.water_l[i, sel], 0)
            feed = _nan_sum(frame.feed_kg[i, sel], 0)
            # Per-hen figures only for a whole local day: a frame cut at 00:00 UTC gave 08:00-24:00
            # local a hen-day % of 38.4 (and the next day's 00:00-08:00 one of 4.8) for 57.6.
            whole = n_hours == _hours_in(date.fromordinal(int(d)), tz)
            complete = whole and not np.isnan(eggs_rows[:, sel]).any()
            days.append(
                DayFigures(
                    day=date.fromordinal(int(d)),
                    complete=complete,
                    eggs=None if np.isnan(day_eggs) else float(day_eggs),
                    eggs_by_row={
                        r: _list(_nan_sum(eggs_rows[k, sel], 0)[None], 0)[0] for k, r in enumerate(present)
                    },
                    hens=None if np.isnan(hens) else round(hens),
                    hen_day_pct=_per_hen(day_eggs, hens, 100.0) if whole else None,
                    standard_hen_day_pct=None if np.isnan(age) else round(float(c.hen_day(age)), 1),
                    water_ml_per_hen=_per_hen(water, hens, 1000.0) if whole else None,
                    standard_water_ml_per_hen=None
                    if np.isnan(age)
                    else _list(c.water_ml(np.array([age])))[0],
                    feed_g_per_hen=_per_hen(feed, hens, 1000.0) if whole else None,
                    standard_feed_g_per_hen=None if np.isnan(age) else _list(c.feed_g(np.array([age])))[0],
                )
            )
        last_hens = frame.hens[i][~np.isnan(frame.hens[i])]
        last_age = frame.age_weeks[i][~np.isnan(frame.age_weeks[i])]
        out.append(
            HouseFigures(
                house=unit,
                name_zh=house.name_zh if house else None,
                breed=breed,
                breed_label=LABELS.get(breed, (breed, breed)),
                age_weeks=round(float(last_age[-1]), 2) if last_age.size else None,
                hens=float(last_hens[-1]) if last_hens.size else None,
                hours=hours,
                eggs_hourly=_list(eggs, 0),
                eggs_by_row_hourly={r: _list(eggs_rows[k], 0) for k, r in enumerate(present)},
                days=days,
            )
        )
    return out


def house_figures(store: TelemetryStore, park: Park, start: datetime, end: datetime) -> list[HouseFigures]:
    """Figures of every house of ``park`` for ``[start, end)`` straight from the telemetry store."""
    return figures_from_frame(load_hourly(store, park, start, end), park)
