"""The audit log (admin only): approvals, payments, adjustments, unmaskings, user changes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from api.deps import SessionDep, require_roles
from api.models import AuditEntry, User
from api.routes._common import Limit, Offset, page
from api.schemas.common import Page, Printable

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    user_id: int | None
    action: str
    object_type: str
    object_id: int | None
    detail: str | None


@router.get("", response_model=Page[AuditOut])
def list_audit(
    session: SessionDep,
    _: Annotated[User, require_roles()],
    action: Annotated[str | None, Query(max_length=40), Printable] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditOut]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    rows, total = page(session, stmt, limit, offset)
    return Page(items=[AuditOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)
