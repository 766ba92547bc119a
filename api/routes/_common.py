"""Helpers shared by the route modules: pagination, 404s, audit entries."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import HTTPException, Query, Response, status
from pydantic import BaseModel
from sqlalchemy import Row, Select, func, literal, select
from sqlalchemy.orm import Session

from api.models import AuditEntry, User
from api.security import MAX_ID  # 32-bit keys: larger ids name no row
from eggwatch.sql import Base

M = TypeVar("M", bound=Base)

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]


# Counting stops here: an exact count of 500,000 shifts would cost more than the page itself.
COUNT_CAP = 10_000


def _total(session: Session, stmt: Select[Any], limit: int, offset: int, got: int) -> int:
    """The capped row count of ``stmt`` given that the page at ``offset`` held ``got`` rows."""
    if 0 < got < limit or (got == 0 and offset == 0):
        return offset + got  # a short page is the last one: its end is the exact count
    cap = max(COUNT_CAP, offset + limit) + 1
    # Count a constant, not the rows' columns; keep the FROMs the selected columns imply.
    counted = stmt.with_only_columns(literal(1), maintain_column_froms=True).order_by(None).limit(cap)
    return session.connection().scalar(select(func.count()).select_from(counted.subquery())) or 0


def page(session: Session, stmt: Select[Any], limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of ``stmt`` (already ordered, one ORM entity) and the number of rows it selects,
    capped at ``max(COUNT_CAP, offset + limit) + 1`` (a total above the cap means "at least that
    many")."""
    rows = list(session.scalars(stmt.limit(limit).offset(offset)))
    return rows, _total(session, stmt, limit, offset, len(rows))


def page_rows(session: Session, stmt: Select[Any], limit: int, offset: int) -> tuple[list[Row[Any]], int]:
    """Like :func:`page` for a select of plain columns: rows, not ORM objects, which costs a
    fraction per row on the hot list endpoints (no identity map, no instance state).  Executed on
    the session's connection: plain columns need none of the ORM's statement processing."""
    rows = list(session.connection().execute(stmt.limit(limit).offset(offset)).all())
    return rows, _total(session, stmt, limit, offset, len(rows))


def columns(model: type[Base], *names: str) -> list[Any]:
    """The named columns of a model, labelled with their attribute names (for :func:`page_rows`)."""
    return [getattr(model, n) for n in names]


def json_response(body: BaseModel) -> Response:
    """``body`` serialised once, by pydantic.  Returning the model instead makes FastAPI validate
    it again against ``response_model`` (one more thread-pool hop for a sync route) before
    serialising it; the route keeps ``response_model`` for the OpenAPI schema."""
    return Response(body.model_dump_json(), media_type="application/json")


def get_or_404(session: Session, model: type[M], ident: int) -> M:
    obj = session.get(model, ident) if 0 < ident <= MAX_ID else None
    if obj is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{model.__tablename__[:-1]} {ident} not found")
    return obj


def audit(session: Session, user: User, action: str, obj: str, obj_id: int | None, detail: str = "") -> None:
    session.add(AuditEntry(user_id=user.id, action=action, object_type=obj, object_id=obj_id, detail=detail))


# For responses that carry secrets (tokens, unmasked ID numbers): no cache, shared or private,
# keeps a copy (Pragma for HTTP/1.0 caches).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def no_store(response: Response) -> None:
    response.headers.update(NO_STORE)


def bad_request(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, detail)
