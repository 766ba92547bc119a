"""Typed dependencies for the routes: database session, current user, role checks, settings, store.

Usage (as in full-stack-fastapi-template)::

    @router.get("/things")
    def list_things(session: SessionDep, user: Annotated[User, require_roles("manager")]): ...

``admin`` passes every role check.  Object-level checks (a supervisor only sees the shifts of the
units linked to them in ``user_units``) use :func:`units_of` / :func:`check_unit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from api.config import ApiConfig
from api.models import User
from api.security import Keys
from api.services.users import linked_units
from eggwatch.settings import Settings
from eggwatch.store.base import TelemetryStore

Role = Literal["admin", "manager", "supervisor", "payroll", "poverty_office"]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# Dependencies without I/O are ``async`` so they run on the event loop: a sync dependency costs a
# thread-pool hop per request.


_READS = frozenset({"GET", "HEAD"})


def get_session(request: Request) -> Iterator[Session]:
    # GET and HEAD never write: they get sessions without BEGIN/ROLLBACK round trips (app.py).
    sessions = request.app.state.read_sessions if request.method in _READS else request.app.state.sessions
    with sessions() as session:
        yield session


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_config(request: Request) -> ApiConfig:
    return request.app.state.config  # type: ignore[no-any-return]


async def get_keys(request: Request) -> Keys:
    return request.app.state.keys  # type: ignore[no-any-return]


def open_store(request: Request, detail: str) -> TelemetryStore:
    """The app's telemetry store, or a 503 with ``detail`` when it cannot be opened.  For routes
    that must check other things first and so cannot take :data:`StoreDep`."""
    store = request.app.state.telemetry()
    if store is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail)
    return store  # type: ignore[no-any-return]


def get_store(request: Request) -> TelemetryStore:
    return open_store(request, "telemetry store is not available")


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ConfigDep = Annotated[ApiConfig, Depends(get_config)]
KeysDep = Annotated[Keys, Depends(get_keys)]
StoreDep = Annotated[TelemetryStore, Depends(get_store)]

_UNAUTHORIZED = HTTPException(
    status.HTTP_401_UNAUTHORIZED, "not authenticated", headers={"WWW-Authenticate": "Bearer"}
)


def get_current_user(
    session: SessionDep, keys: KeysDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    if not token:
        raise _UNAUTHORIZED
    user_id = keys.read_token(token)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        raise _UNAUTHORIZED
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def _roles_check(allowed: frozenset[str]) -> Any:
    """A dependency that lets the ``allowed`` roles through, else 403."""

    async def check(user: CurrentUser) -> User:  # no I/O: stay on the event loop
        if user.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role!r} may not do this")
        return user

    return Depends(check)


def require_roles(*roles: Role) -> Any:
    """A dependency that lets ``admin`` and the given roles through, else 403."""
    return _roles_check(frozenset({"admin", *roles}))


def may(user: User, roles: tuple[Role, ...]) -> bool:
    """Whether ``require_roles(*roles)`` lets ``user`` through (for pages that show only what the
    API would serve)."""
    return user.role == "admin" or user.role in roles


def only_roles(*roles: Role) -> Any:
    """Like :func:`require_roles` but without the admin pass (unmasking is payroll's alone)."""
    return _roles_check(frozenset(roles))


def units_of(session: Session, user: User) -> set[str] | None:
    """The units a user may act on: ``None`` means all (every role but supervisor)."""
    if user.role != "supervisor":
        return None
    return set(linked_units(session, user.id))


def check_unit(session: Session, user: User, unit: str, detail: str = "not found") -> None:
    """404 with ``detail`` unless ``user`` may act on ``unit``.  Pass the text the route answers
    for an object that does not exist (``shift 7 not found``): a supervisor must not tell another
    unit's object from a missing one, not even by the wording."""
    allowed = units_of(session, user)
    if allowed is not None and unit not in allowed:
        # 404, not 403: a supervisor should not learn what exists outside their units.
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail)
