"""A house's production figures on the wire (:class:`analytics.figures.HouseFigures`)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class BreedLabel(BaseModel):
    en: str
    zh: str


class DayFiguresOut(BaseModel):
    """One local day (the park's time zone); per-hen figures only for a whole day in the window."""

    day: dt.date
    complete: bool  # the whole day is in the window and every row had every hour of it
    eggs: float | None
    eggs_by_row: dict[str, float | None]
    hens: float | None
    hen_day_pct: float | None
    standard_hen_day_pct: float | None
    water_ml_per_hen: float | None
    standard_water_ml_per_hen: float | None
    feed_g_per_hen: float | None
    standard_feed_g_per_hen: float | None


class HouseFiguresOut(BaseModel):
    house: str
    name_zh: str | None
    breed: str
    breed_label: BreedLabel
    age_weeks: float | None
    hens: float | None
    hours: list[dt.datetime]  # hour starts, UTC
    eggs_hourly: list[float | None]  # null: no data that hour (a gap; its eggs land after it)
    eggs_by_row_hourly: dict[str, list[float | None]]
    days: list[DayFiguresOut]
