"""Shift rules that need the database: one worker is never in two places at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Shift


def overlapping(
    session: Session, worker_id: int, start: dt.datetime, end: dt.datetime, exclude_id: int | None = None
) -> Shift | None:
    """A shift of ``worker_id`` that overlaps ``[start, end)``, if any (touching ends do not overlap)."""
    stmt = select(Shift).where(Shift.worker_id == worker_id, Shift.start_at < end, Shift.end_at > start)
    if exclude_id is not None:
        stmt = stmt.where(Shift.id != exclude_id)
    return session.scalars(stmt.limit(1)).first()
