"""Payroll runs, their lines and adjustments, dividends, and the audit log.  Money is integer fen."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.models.types import UTCDateTime, utcnow
from eggwatch.sql import Base


class PayrollRun(Base):
    """Pay for local dates ``[period_start, period_end)``: draft → approved → paid."""

    __tablename__ = "payroll_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    period_end: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    min_monthly_fen: Mapped[int] = mapped_column(BigInteger)
    min_hourly_fen: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of what the last compute read (shifts, rules, workers' terms): approval refuses a
    # draft whose inputs changed since (``services.payroll.inputs_hash``).
    inputs_hash: Mapped[str | None] = mapped_column(String(64))


class PayrollLine(Base):
    """One worker's pay in one run."""

    __tablename__ = "payroll_lines"
    __table_args__ = (UniqueConstraint("run_id", "worker_id"), Index("ix_payroll_lines_worker", "worker_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payroll_runs.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="RESTRICT"))
    hours: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    days: Mapped[int] = mapped_column(Integer)
    eggs: Mapped[int] = mapped_column(BigInteger, default=0)
    cases: Mapped[int] = mapped_column(BigInteger, default=0)
    trays: Mapped[int] = mapped_column(BigInteger, default=0)
    base_fen: Mapped[int] = mapped_column(BigInteger)
    piece_fen: Mapped[int] = mapped_column(BigInteger)
    topup_fen: Mapped[int] = mapped_column(BigInteger)
    deductions_fen: Mapped[int] = mapped_column(BigInteger)
    net_fen: Mapped[int] = mapped_column(BigInteger)
    flags: Mapped[str] = mapped_column(Text, default="")  # comma-separated, e.g. count_mismatch
    # The worker's household as it was when the run was approved (NULL in drafts): what the income
    # figures and reports of approved/paid runs read, so later edits never rewrite them.
    household_id: Mapped[int | None] = mapped_column(Integer)
    household_code: Mapped[str | None] = mapped_column(String(40))
    household_village: Mapped[str | None] = mapped_column(String(80))
    household_township: Mapped[str | None] = mapped_column(String(80))
    household_members: Mapped[int | None] = mapped_column(Integer)
    household_registered_poor: Mapped[bool | None] = mapped_column(Boolean)


class PayrollAdjustment(Base):
    """A correction to an approved (or paid) run: never an edit of its lines."""

    __tablename__ = "payroll_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("payroll_runs.id", ondelete="RESTRICT"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("workers.id", ondelete="RESTRICT"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dividend(Base):
    """A capital-share dividend paid to one household (source: cooperative or park)."""

    __tablename__ = "dividends"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="RESTRICT"), index=True)
    paid_on: Mapped[dt.date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(String(20))  # per_person | per_household
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    # The household as it was when the dividend was made: what income figures and reports read,
    # so later edits of the household never rewrite past months (migration 0006 filled old rows).
    household_code: Mapped[str] = mapped_column(String(40))
    household_village: Mapped[str] = mapped_column(String(80))
    household_township: Mapped[str] = mapped_column(String(80))
    household_members: Mapped[int] = mapped_column(Integer)
    household_registered_poor: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """Who did what sensitive thing when: approvals, payments, adjustments, unmaskings."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[str | None] = mapped_column(Text)
