"""Where and what people work: locations, tasks, shifts; and what they are paid for it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.models.types import UTCDateTime, utcnow
from eggwatch.sql import Base


class Location(Base):
    """A house or packing line; ``unit`` is the telemetry unit id (``house-07``, ``packing-2``)."""

    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # house | line | other
    name: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str | None] = mapped_column(String(80))


class Task(Base):
    """A kind of work; ``output`` names what it is paid per piece for (eggs, cases, trays, none)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_zh: Mapped[str | None] = mapped_column(String(80))
    output: Mapped[str] = mapped_column(String(10), default="none")


class Shift(Base):
    """One worker at one location doing one task from ``start`` to ``end`` (UTC), minus breaks."""

    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="end_after_start"),
        CheckConstraint("break_minutes >= 0", name="break_non_negative"),
        Index("ix_shifts_worker_start", "worker_id", "start_at"),
        Index("ix_shifts_location_start", "location_id", "start_at"),
        Index("ix_shifts_start", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="RESTRICT"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"))
    start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    break_minutes: Mapped[int] = mapped_column(Integer, default=0)
    entered_count: Mapped[int | None] = mapped_column(BigInteger)  # what the worker reported
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PieceRateRule(Base):
    """Rates in fen, effective on local dates ``[effective_from, effective_to)``.

    ``task_id`` / ``location_id`` NULL match any; the most specific rule wins.
    """

    __tablename__ = "piece_rate_rules"
    __table_args__ = (Index("ix_rules_task_from", "task_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="RESTRICT"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    base_per_hour_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    base_per_shift_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    per_1000_eggs_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    per_case_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    per_tray_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    deduction_per_1000_rejects_fen: Mapped[int] = mapped_column(BigInteger, default=0)
