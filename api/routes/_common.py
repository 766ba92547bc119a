"""Helpers shared by the route modules: pagination, 404s, audit entries."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query, status
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.models import AuditEntry, User
from eggwatch.sql import Base

M = TypeVar("M", bound=Base)

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


# Counting stops here: an exact count of 500,000 shifts would cost more than the page itself.
COUNT_CAP = 10_000


def page(session: Session, stmt: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of ``stmt`` (already ordered) and the number of rows it selects, capped at
    ``max(COUNT_CAP, offset + limit) + 1`` (a total above the cap means "at least that many")."""
    cap = max(COUNT_CAP, offset + limit) + 1
    counted = stmt.order_by(None).limit(cap).subquery()
    total = session.scalar(select(func.count()).select_from(counted)) or 0
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return rows, total


def get_or_404(session: Session, model: type[M], ident: int) -> M:
    obj = session.get(model, ident) if 0 < ident < 2**31 else None
    if obj is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{model.__tablename__[:-1]} {ident} not found")
    return obj


def audit(session: Session, user: User, action: str, obj: str, obj_id: int | None, detail: str = "") -> None:
    session.add(AuditEntry(user_id=user.id, action=action, object_type=obj, object_id=obj_id, detail=detail))


def bad_request(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail)
