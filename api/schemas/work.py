"""Locations, tasks, shifts and piece-rate rules on the wire."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.common import Aware, Code, Count, Day, Int, Name, Out, RefId, Unit, Yuan

Kind = Literal["house", "line", "other"]
Output = Literal["eggs", "cases", "trays", "none"]
Id = int


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: Unit
    kind: Kind
    name: Name
    name_zh: Name | None = None


class LocationOut(Out):
    id: int
    unit: str
    kind: str
    name: str
    name_zh: str | None


class TaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    name: Name
    name_zh: Name | None = None
    output: Output = "none"


class TaskOut(Out):
    id: int
    code: str
    name: str
    name_zh: str | None
    output: str


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    worker_id: RefId
    location_id: RefId
    task_id: RefId
    start_at: Aware
    end_at: Aware
    break_minutes: Int = Field(default=0, ge=0, le=24 * 60)
    entered_count: Count | None = None

    @model_validator(mode="after")
    def _order(self) -> ShiftIn:
        span = self.end_at - self.start_at
        if span <= dt.timedelta(0):
            raise ValueError("end_at must be after start_at")
        if span > dt.timedelta(hours=24):
            raise ValueError("a shift lasts at most 24 hours")
        if dt.timedelta(minutes=self.break_minutes) >= span:
            raise ValueError("breaks must be shorter than the shift")
        return self


class ShiftOut(Out):
    id: int
    worker_id: int
    location_id: int
    task_id: int
    start_at: dt.datetime
    end_at: dt.datetime
    break_minutes: int
    entered_count: int | None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    task_id: RefId | None = None
    location_id: RefId | None = None
    effective_from: Day
    effective_to: Day | None = None
    base_per_hour: Yuan = Field(default=Decimal(0))
    base_per_shift: Yuan = Field(default=Decimal(0))
    per_1000_eggs: Yuan = Field(default=Decimal(0))
    per_case: Yuan = Field(default=Decimal(0))
    per_tray: Yuan = Field(default=Decimal(0))
    deduction_per_1000_rejects: Yuan = Field(default=Decimal(0))

    @model_validator(mode="after")
    def _order(self) -> RuleIn:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("effective_to must be after effective_from")
        return self


class RuleOut(BaseModel):
    id: int
    name: str
    task_id: int | None
    location_id: int | None
    effective_from: dt.date
    effective_to: dt.date | None
    base_per_hour: float
    base_per_shift: float
    per_1000_eggs: float
    per_case: float
    per_tray: float
    deduction_per_1000_rejects: float


class ShiftOutput(BaseModel):
    """What a shift produced by the machine counters, and what the worker entered."""

    shift_id: int
    worker_id: int
    unit: str
    start_at: dt.datetime
    end_at: dt.datetime
    output: str
    machine_count: float
    entered_count: int | None
    flagged: bool


class LocationProduction(BaseModel):
    unit: str
    start_at: dt.datetime
    end_at: dt.datetime
    eggs: float
    cases: float
    trays: float
    rejects: float
    shifts: list[ShiftOutput]
