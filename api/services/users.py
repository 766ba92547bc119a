"""Logins: creating them (used by the API and ``eggwatch users create``), their units, their view."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.models import ROLES, User, UserUnit
from api.schemas.people import UserOut
from api.security import hash_password

MIN_PASSWORD = 10
MAX_PASSWORD = 200  # as UserIn
MAX_USERNAME = 64  # as UserIn's pattern and the users.username column


# After lower-casing.  The API (UserIn) also wants 3 characters at least; the CLI and seeds may
# make shorter names (``li``).
USERNAME = re.compile(r"^[a-z0-9_.@-]{1,64}\Z")  # \Z, as wire's names: "$" passes a final newline


def normalize_username(username: str) -> str:
    """User names are case-insensitive: stored and compared in lower case."""
    return username.strip().lower()


def username_taken(session: Session, username: str) -> bool:
    """Whether a login has this name in any case (rows made before names were lower-cased may
    hold upper case: compared with ``lower()``)."""
    name = normalize_username(username)
    return session.scalar(select(User.id).where(func.lower(User.username) == name).limit(1)) is not None


def find_user(session: Session, username: str) -> User | None:
    """The login named ``username`` in any case.  Should two older rows differ only in case, the
    exact spelling wins and otherwise neither does."""
    rows = list(
        session.scalars(select(User).where(func.lower(User.username) == normalize_username(username)))
    )
    if len(rows) <= 1:
        return rows[0] if rows else None
    return next((u for u in rows if u.username == username), None)


def password_problem(password: str, username: str) -> str | None:
    """Why a new password is refused, or ``None``.  The rule, kept simple: at least
    :data:`MIN_PASSWORD` characters (at most :data:`MAX_PASSWORD`), not one character repeated,
    not the user name (in any case)."""
    if len(password) < MIN_PASSWORD:
        return f"password must have at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"password must have at most {MAX_PASSWORD} characters"
    if len(set(password)) == 1:
        return "password must not be one character repeated"
    if password.strip().lower() == normalize_username(username):
        return "password must not be the user name"
    return None


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
    """Add a user (flushed, not committed); ``ValueError`` for a bad role, weak password, bad or
    taken name.  The name is stored in lower case (names are case-insensitive)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    problem = password_problem(password, username)
    if problem is not None:
        raise ValueError(problem)
    username = normalize_username(username)
    if not USERNAME.match(username):
        raise ValueError("user name: up to 64 of a-z 0-9 _ . @ -")
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
