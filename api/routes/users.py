"""Logins and their units (admin only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.deps import SessionDep, require_roles
from api.models import User, UserUnit, Worker
from api.routes._common import Limit, Offset, audit, bad_request, get_or_404, page
from api.schemas.common import Page
from api.schemas.people import UserIn, UserOut
from api.services.users import create_user

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[User, require_roles()]


def _out(session: SessionDep, user: User) -> UserOut:
    out = UserOut.model_validate(user)
    out.units = sorted(session.scalars(select(UserUnit.unit).where(UserUnit.user_id == user.id)))
    return out


@router.get("", response_model=Page[UserOut])
def list_users(session: SessionDep, _: Admin, limit: Limit = 50, offset: Offset = 0) -> Page[UserOut]:
    rows, total = page(session, select(User).order_by(User.id), limit, offset)
    return Page(items=[_out(session, u) for u in rows], total=total, limit=limit, offset=offset)


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED, responses={400: {}, 409: {}})
def add_user(body: UserIn, session: SessionDep, admin: Admin) -> UserOut:
    if body.worker_id is not None:
        get_or_404(session, Worker, body.worker_id)
    if session.scalar(select(User.id).where(User.username == body.username)) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"user {body.username!r} already exists")
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
    return _out(session, user)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses={400: {}})
def deactivate_user(user_id: int, session: SessionDep, admin: Admin) -> None:
    user = get_or_404(session, User, user_id)
    if user.id == admin.id:
        raise bad_request("you cannot deactivate your own login")
    user.active = False
    audit(session, admin, "deactivate_user", "user", user.id)
    session.commit()
