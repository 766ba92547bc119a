"""Dividends to households: distribute per person or per household; list them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select

from api.deps import SessionDep, require_roles
from api.models import Dividend, Household, User
from api.routes._common import IdFilter, Limit, Offset, audit, bad_request, page
from api.schemas.common import Day, Page, to_fen, to_yuan
from api.schemas.pay import DividendIn, DividendOut

router = APIRouter(prefix="/dividends", tags=["dividends"])
Reader = Annotated[User, require_roles("manager", "payroll", "poverty_office")]
Writer = Annotated[User, require_roles("payroll")]


def household_snapshot(h: Household) -> dict[str, object]:
    """The household as it is now, recorded on its dividend: later edits leave past figures alone."""
    return {
        "household_code": h.code,
        "household_village": h.village,
        "household_township": h.township,
        "household_members": h.members,
        "household_registered_poor": h.registered_poor,
    }


def _out(d: Dividend) -> DividendOut:
    return DividendOut(
        id=d.id, household_id=d.household_id, paid_on=d.paid_on, source=d.source, basis=d.basis,
        amount=to_yuan(d.amount_fen), note=d.note,
    )  # fmt: skip


@router.get("", response_model=Page[DividendOut])
def list_dividends(
    session: SessionDep,
    _: Reader,
    household_id: IdFilter = None,
    start: Day | None = None,
    end: Day | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DividendOut]:
    stmt = select(Dividend).order_by(Dividend.paid_on.desc(), Dividend.id)
    if household_id is not None:
        stmt = stmt.where(Dividend.household_id == household_id)
    if start is not None:
        stmt = stmt.where(Dividend.paid_on >= start)
    if end is not None:
        stmt = stmt.where(Dividend.paid_on < end)
    rows, total = page(session, stmt, limit, offset)
    return Page(items=[_out(d) for d in rows], total=total, limit=limit, offset=offset)


@router.post(
    "",
    response_model=list[DividendOut],
    status_code=status.HTTP_201_CREATED,
    responses={400: {}, 404: {}, 422: {}},
)
def distribute(body: DividendIn, session: SessionDep, user: Writer) -> list[DividendOut]:
    """One dividend row per household: ``amount`` (more than 0) per household, or ``amount`` x
    members.  Listed households must exist (404 names the unknown ones), registered poor or not."""
    if body.amount <= 0:
        raise HTTPException(422, "amount must be more than 0")
    if body.household_ids:
        known = set(session.scalars(select(Household.id).where(Household.id.in_(body.household_ids))))
        missing = sorted(set(body.household_ids) - known)
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (
                f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            )
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown households: {shown}")
    stmt = select(Household).order_by(Household.id)
    if body.household_ids:
        stmt = stmt.where(Household.id.in_(body.household_ids))
    if body.registered_poor_only:
        stmt = stmt.where(Household.registered_poor.is_(True))
    households = list(session.scalars(stmt))
    if not households:
        raise bad_request("no household matches")
    per = to_fen(body.amount)
    rows = [
        Dividend(
            household_id=h.id, paid_on=body.paid_on, source=body.source, basis=body.basis,
            amount_fen=per * (h.members if body.basis == "per_person" else 1), note=body.note,
            **household_snapshot(h),
        )
        for h in households
    ]  # fmt: skip
    session.add_all(rows)
    session.flush()
    audit(session, user, "dividend", "dividends", None, f"{len(rows)} households, {body.basis} {body.amount}")
    session.commit()
    return [_out(d) for d in rows]
