"""Shift rules that need the database: one worker is never in two places at once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import PayrollRun, Shift
from api.services.payroll import local_window


def overlapping(
    session: Session, worker_id: int, start: dt.datetime, end: dt.datetime, exclude_id: int | None = None
) -> Shift | None:
    """A shift of ``worker_id`` that overlaps ``[start, end)``, if any (touching ends do not overlap)."""
    stmt = select(Shift).where(Shift.worker_id == worker_id, Shift.start_at < end, Shift.end_at > start)
    if exclude_id is not None:
        stmt = stmt.where(Shift.id != exclude_id)
    return session.scalars(stmt.limit(1)).first()


def locked_run(session: Session, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> PayrollRun | None:
    """An approved or paid run whose period overlaps ``[start, end)``: such shifts are closed, and a
    correction is an adjustment on that run, not an edit of the shift."""
    first = (start.astimezone(tz) - dt.timedelta(days=1)).date()
    last = (end.astimezone(tz) + dt.timedelta(days=1)).date()
    runs = session.scalars(
        select(PayrollRun).where(
            PayrollRun.status != "draft", PayrollRun.period_start <= last, PayrollRun.period_end >= first
        )
    )
    for run in runs:
        a, b = local_window(run.period_start, run.period_end, tz)
        if a < end and start < b:
            return run
    return None
