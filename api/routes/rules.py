"""Effective-dated piece-rate rules (rates in yuan on the wire, fen in the database)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from api.deps import SessionDep, require_roles
from api.models import Location, PieceRateRule, Task, User
from api.routes._common import IdFilter, Limit, Offset, get_or_404, page
from api.schemas.common import Day, Page, to_fen, to_yuan
from api.schemas.work import RuleIn, RuleOut

router = APIRouter(prefix="/rules", tags=["piece-rate rules"])
Reader = Annotated[User, require_roles("manager", "payroll")]
Writer = Annotated[User, require_roles("manager", "payroll")]

_RATES = (
    "base_per_hour",
    "base_per_shift",
    "per_1000_eggs",
    "per_case",
    "per_tray",
    "deduction_per_1000_rejects",
)


def rule_out(r: PieceRateRule) -> RuleOut:
    rates = {k: to_yuan(getattr(r, f"{k}_fen")) for k in _RATES}
    return RuleOut(
        id=r.id, name=r.name, task_id=r.task_id, location_id=r.location_id,
        effective_from=r.effective_from, effective_to=r.effective_to, **rates,
    )  # fmt: skip


def rule_from(body: RuleIn) -> PieceRateRule:
    rates = {f"{k}_fen": to_fen(getattr(body, k)) for k in _RATES}
    return PieceRateRule(
        name=body.name, task_id=body.task_id, location_id=body.location_id,
        effective_from=body.effective_from, effective_to=body.effective_to, **rates,
    )  # fmt: skip


@router.get("", response_model=Page[RuleOut])
def list_rules(
    session: SessionDep,
    _: Reader,
    task_id: IdFilter = None,
    on: Annotated[Day | None, Query(description="rules in effect on this date")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RuleOut]:
    stmt = select(PieceRateRule).order_by(PieceRateRule.effective_from.desc(), PieceRateRule.id)
    if task_id is not None:
        stmt = stmt.where(PieceRateRule.task_id == task_id)
    if on is not None:
        stmt = stmt.where(
            PieceRateRule.effective_from <= on,
            PieceRateRule.effective_to.is_(None) | (PieceRateRule.effective_to > on),
        )
    rows, total = page(session, stmt, limit, offset)
    return Page(items=[rule_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("", response_model=RuleOut, status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleIn, session: SessionDep, _: Writer) -> RuleOut:
    if body.task_id is not None:
        get_or_404(session, Task, body.task_id)
    if body.location_id is not None:
        get_or_404(session, Location, body.location_id)
    rule = rule_from(body)
    session.add(rule)
    session.commit()
    return rule_out(rule)


@router.get("/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: int, session: SessionDep, _: Reader) -> RuleOut:
    return rule_out(get_or_404(session, PieceRateRule, rule_id))
