"""Response and request bodies of the alert API (the published alert object, typed)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["open", "acknowledged", "resolved"]


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
