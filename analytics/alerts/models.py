"""SQL tables of the alert lifecycle (on the shared ``eggwatch.sql.Base``).

- ``alert``: one row per alert episode; at most one *active* (open or acknowledged) row per
  de-duplication key (site, unit, kind, row or meter), enforced by a partial unique index.
- ``alert_event``: the full history (opened, updated, acknowledged, escalated, resolved, ...).
- ``alert_outbox``: one row per message and channel, written in the same transaction as the state
  change that caused it, so a crash or a dead receiver never loses a notification.

Times are stored as naive UTC (portable across SQLite and PostgreSQL) and read back aware.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eggwatch.sql import Base

STATUSES = ("open", "acknowledged", "resolved")
ACTIVE = ("open", "acknowledged")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("alert times must be timezone-aware")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


DEDUPE_KEY_LEN = 200


def dedupe_key(site: str, unit: str, kind: str, subject: str | None) -> str:
    """``subject``: the row, a meter (a meter's ``sensor_fault``), or None for the whole house.

    A key longer than its column (a device id used as the row is an unbounded topic level) ends in
    a digest of the whole key instead, so it still fits and two long keys still differ.
    """
    key = f"{site}/{unit}/{kind}/{subject or '-'}"
    if len(key) <= DEDUPE_KEY_LEN:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return f"{key[: DEDUPE_KEY_LEN - 25]}#{digest}"


# String(64) in the alert table (migration 0006_snapshots): a row tag's limit (wire.MAX_TAG_VALUE_LEN).
ROW_LEN = 64


def stored_row(row: str | None) -> str | None:
    """What ``alert.row`` holds for a row.  A row is a counter's ``row`` tag (up to 64 characters)
    or, without one, its device id (a topic level, unbounded): only a device id over 64 is clipped,
    since PostgreSQL would refuse it and with it the whole pass.  The de-duplication key and the
    messages keep the full name."""
    if row is None or len(row) <= ROW_LEN:
        return row
    return row[: ROW_LEN - 1] + "…"


class Alert(Base):
    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    row: Mapped[str | None] = mapped_column(String(ROW_LEN))  # stored_row()
    dedupe_key: Mapped[str] = mapped_column(String(DEDUPE_KEY_LEN), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    onset: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    magnitude_pct: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    message_zh: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Wall-clock times of the lifecycle (detected_at/onset/last_seen_at are data times).
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(16))  # recovered | manual
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Optimistic locking: the API (acknowledge) and the live loop (refresh, auto-resolve) may
    # change the same alert at once, from different processes; the later writer gets an error
    # instead of silently undoing the other's change.
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[AlertEvent]] = relationship(
        back_populates="alert", order_by="AlertEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        # One active alert per key: a second pass (or a second process) cannot open a duplicate.
        Index(
            "uq_alert_active_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status IN ('open', 'acknowledged')"),
            postgresql_where=text("status IN ('open', 'acknowledged')"),
        ),
    )


class AlertEvent(Base):
    __tablename__ = "alert_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str | None] = mapped_column(String(64))  # a username; None = the system
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    alert: Mapped[Alert] = relationship(back_populates="events")


class OutboxMessage(Base):
    __tablename__ = "alert_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_alert_outbox_due", "channel", "status", "id"),)
