"""Who supervises a unit right now: for routing alerts to the supervisor on shift.

Model: a supervisor is a ``users`` row with role ``supervisor``, linked to the units they oversee
(``user_units``) and to their own worker record (``users.worker_id``).  Their working hours are
ordinary shifts of that worker record (any location, typically task ``supervision``), so the same
roster, overlap checks and pay rules apply to them.  A supervisor is "on shift" at ``at`` when one
of those shifts has ``start_at <= at < end_at``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Shift, User, UserUnit


@dataclass(frozen=True, slots=True)
class SupervisorContact:
    user_id: int
    username: str
    display_name: str | None
    phone: str | None
    email: str | None


def supervisors_on_shift(session: Session, unit: str, at: dt.datetime) -> list[SupervisorContact]:
    """Active supervisors linked to ``unit`` with a shift covering ``at`` (aware datetime), by user id."""
    if at.tzinfo is None:
        raise ValueError("supervisors_on_shift needs an aware datetime")
    stmt = (
        select(User)
        .join(UserUnit, UserUnit.user_id == User.id)
        .join(Shift, Shift.worker_id == User.worker_id)
        .where(
            UserUnit.unit == unit,
            User.role == "supervisor",
            User.active.is_(True),
            Shift.start_at <= at,
            Shift.end_at > at,
        )
        .distinct()
        .order_by(User.id)
    )
    return [
        SupervisorContact(u.id, u.username, u.display_name, u.phone, u.email) for u in session.scalars(stmt)
    ]


def supervisors_of(session: Session, unit: str) -> list[SupervisorContact]:
    """Every active supervisor linked to ``unit`` (fallback when nobody is on shift)."""
    stmt = (
        select(User)
        .join(UserUnit, UserUnit.user_id == User.id)
        .where(UserUnit.unit == unit, User.role == "supervisor", User.active.is_(True))
        .order_by(User.id)
    )
    return [
        SupervisorContact(u.id, u.username, u.display_name, u.phone, u.email) for u in session.scalars(stmt)
    ]
