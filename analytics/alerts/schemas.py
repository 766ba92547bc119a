"""Response and request bodies of the alert API (the published alert object, typed)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

Status = Literal["open", "acknowledged", "resolved"]


def _aware_utc(v: dt.datetime) -> dt.datetime:
    if v.tzinfo is None:
        raise ValueError("needs a UTC offset (e.g. 2026-05-01T08:00:00+08:00)")
    if not 2000 <= v.year <= 2100:  # checked before converting: year 1 minus an offset overflows
        raise ValueError("out of range (years 2000-2100)")
    return v.astimezone(dt.UTC)


Since = Annotated[dt.datetime, AfterValidator(_aware_utc)]


class AlertOut(BaseModel):
    id: int
    site: str
    house: str
    unit: str
    kind: str
    row: str | None
    status: Status
    detected_at: str
    onset: str | None
    magnitude_pct: float | None
    message: str
    message_zh: str
    evidence: dict[str, Any]
    opened_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    escalated_at: str | None
    resolved_at: str | None
    resolved_by: str | None
    resolution: str | None
    recipients: list[str]


class EventOut(BaseModel):
    at: dt.datetime
    action: str
    actor: str | None
    detail: dict[str, Any]


class AlertDetail(AlertOut):
    events: list[EventOut]


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class ActionIn(BaseModel):
    note: str | None = Field(None, max_length=2000)
