"""Payroll runs, adjustments, dividends and household income on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.schemas.common import Day, Flag, Note, Printable, RefId, SignedYuan, Yuan


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period_start: Day
    period_end: Day = Field(description="exclusive")

    @model_validator(mode="after")
    def _order(self) -> RunIn:
        if not dt.timedelta(days=1) <= self.period_end - self.period_start <= dt.timedelta(days=62):
            raise ValueError("a payroll period spans 1 to 62 days")
        return self


class RunOut(BaseModel):
    id: int
    period_start: dt.date
    period_end: dt.date
    status: str
    min_monthly: float
    min_hourly: float
    created_at: dt.datetime
    approved_at: dt.datetime | None
    paid_at: dt.datetime | None
    workers: int
    net_total: float


class LineOut(BaseModel):
    worker_id: int
    worker_name: str
    hours: float
    days: int
    eggs: int
    cases: int
    trays: int
    base_pay: float
    piece_earnings: float
    topup: float
    deductions: float
    adjustments: float
    net: float
    flags: list[str]


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    worker_id: RefId
    amount: SignedYuan
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500), Printable]


class AdjustmentOut(BaseModel):
    id: int
    run_id: int
    worker_id: int
    amount: float
    reason: str
    created_at: dt.datetime


class DividendIn(BaseModel):
    """Distribute ``amount`` per person or per household to the listed households (all if empty)."""

    model_config = ConfigDict(extra="forbid")
    paid_on: Day
    source: Literal["cooperative", "park"]
    basis: Literal["per_person", "per_household"]
    amount: Yuan
    household_ids: list[RefId] = Field(default_factory=list, max_length=10000)
    registered_poor_only: Flag = False
    note: Note | None = None


class DividendOut(BaseModel):
    id: int
    household_id: int
    paid_on: dt.date
    source: str
    basis: str
    amount: float
    note: str | None


class HouseholdMonth(BaseModel):
    month: str
    wages: float
    dividends: float
    income: float
    per_capita: float
    above_poverty_line: bool


class HouseholdIncome(BaseModel):
    household_id: int
    members: int
    poverty_line_yearly: float
    months: list[HouseholdMonth]
    year_income: float
    year_per_capita: float
    above_poverty_line: bool
