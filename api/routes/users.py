"""Logins and their units (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.deps import SessionDep, require_roles
from api.models import Location, User, Worker
from api.routes._common import Limit, Offset, audit, bad_request, get_or_404, page
from api.schemas.common import Page
from api.schemas.people import UserIn, UserOut
from api.services.users import create_user, user_out, username_taken

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[User, require_roles()]


@router.get("", response_model=Page[UserOut])
def list_users(session: SessionDep, _: Admin, limit: Limit = 50, offset: Offset = 0) -> Page[UserOut]:
    rows, total = page(session, select(User).order_by(User.id), limit, offset)
    return Page(items=[user_out(session, u) for u in rows], total=total, limit=limit, offset=offset)


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses={400: {}, 409: {}})
def add_user(body: UserIn, session: SessionDep, admin: Admin) -> UserOut:
    if body.worker_id is not None:
        get_or_404(session, Worker, body.worker_id)
    # create_user refuses a taken name too, but as a ValueError (400): this answers 409 first.
    if username_taken(session, body.username):  # in any case: names are case-insensitive
        raise HTTPException(status.HTTP_409_CONFLICT, f"user {body.username.lower()!r} already exists")
    # Units are the park's locations (POST /locations): a typo would link a supervisor to nothing.
    known = set(session.scalars(select(Location.unit).where(Location.unit.in_(set(body.units)))))
    unknown = sorted(set(body.units) - known)
    if unknown:
        raise bad_request(
            f"unknown unit(s) {', '.join(unknown)}: create the location first (POST /locations)"
        )
    try:
        user = create_user(
            session,
            body.username,
            body.role,
            body.password,
            display_name=body.display_name,
            phone=body.phone,
            email=body.email,
            worker_id=body.worker_id,
            units=body.units,
        )
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    audit(session, admin, "create_user", "user", user.id, body.role)
    session.commit()
    return user_out(session, user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses={400: {}})
def deactivate_user(user_id: int, session: SessionDep, admin: Admin) -> None:
    user = get_or_404(session, User, user_id)
    if user.id == admin.id:
        raise bad_request("you cannot deactivate your own login")
    user.active = False
    audit(session, admin, "deactivate_user", "user", user.id)
    session.commit()
