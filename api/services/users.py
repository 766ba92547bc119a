"""Logins: creating them (used by the API and ``eggwatch users create``), their units, their view."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import ROLES, User, UserUnit
from api.schemas.people import UserOut
from api.security import hash_password

MIN_PASSWORD = 10
MAX_PASSWORD = 200  # as UserIn
MAX_USERNAME = 64  # as UserIn's pattern and the users.username column


def username_taken(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def linked_units(session: Session, user_id: int) -> list[str]:
    """The units linked to a login in ``user_units``, sorted."""
    return sorted(session.scalars(select(UserUnit.unit).where(UserUnit.user_id == user_id)))


def user_out(session: Session, user: User) -> UserOut:
    """A login as the API shows it: its fields and its units."""
    out = UserOut.model_validate(user)
    out.units = linked_units(session, user.id)
    return out


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    worker_id: int | None = None,
    units: Iterable[str] = (),
) -> User:
    """Add a user (flushed, not committed); ``ValueError`` for a bad role, weak password or taken name."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password must have at least {MIN_PASSWORD} characters")
    if username_taken(session, username):
        raise ValueError(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role,
        password_hash=hash_password(password),
        display_name=display_name,
        phone=phone,
        email=email,
        worker_id=worker_id,
    )
    session.add(user)
    session.flush()
    for unit in sorted(set(units)):
        session.add(UserUnit(user_id=user.id, unit=unit))
    session.flush()
    return user
