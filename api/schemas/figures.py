"""A house's production figures on the wire (:class:`analytics.figures.HouseFigures`)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from analytics.figures import DayFigures


class BreedLabel(BaseModel):
    en: str
    zh: str


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
    days: list[DayFigures]  # the dataclass itself: one definition of a day's figures
