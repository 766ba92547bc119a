"""Households: CRUD with filters, and their monthly income against the poverty line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from api.deps import ConfigDep, SessionDep, require_roles
from api.models import Household, User
from api.routes._common import Limit, Offset, columns, get_or_404, json_response, page_rows
from api.schemas.common import Page, Printable
from api.schemas.pay import HouseholdIncome
from api.schemas.people import HouseholdIn, HouseholdOut, HouseholdPatch
from api.services.income import household_income

router = APIRouter(prefix="/households", tags=["households"])
Reader = Annotated[User, require_roles("manager", "payroll", "poverty_office")]
Writer = Annotated[User, require_roles("manager")]


@router.get("", response_model=Page[HouseholdOut])
def list_households(
    session: SessionDep,
    _: Reader,
    township: Annotated[str | None, Query(max_length=80), Printable] = None,
    village: Annotated[str | None, Query(max_length=80), Printable] = None,
    registered_poor: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    stmt = select(*columns(Household, *HouseholdOut.model_fields)).order_by(Household.id)
    if township:
        stmt = stmt.where(Household.township == township)
    if village:
        stmt = stmt.where(Household.village == village)
    if registered_poor is not None:
        stmt = stmt.where(Household.registered_poor.is_(registered_poor))
    rows, total = page_rows(session, stmt, limit, offset)
    return json_response(
        Page[HouseholdOut](
            items=[HouseholdOut.model_validate(h) for h in rows], total=total, limit=limit, offset=offset
        )
    )


@router.post("", response_model=HouseholdOut, status_code=status.HTTP_201_CREATED, responses={409: {}})
def create_household(body: HouseholdIn, session: SessionDep, _: Writer) -> HouseholdOut:
    h = Household(**body.model_dump())
    session.add(h)
    session.commit()
    return HouseholdOut.model_validate(h)


@router.get("/{household_id}", response_model=HouseholdOut)
def get_household(household_id: int, session: SessionDep, _: Reader) -> HouseholdOut:
    return HouseholdOut.model_validate(get_or_404(session, Household, household_id))


@router.patch("/{household_id}", response_model=HouseholdOut)
def update_household(household_id: int, body: HouseholdPatch, session: SessionDep, _: Writer) -> HouseholdOut:
    h = get_or_404(session, Household, household_id)
    for key, value in body.model_dump(exclude_unset=True).items():
        if value is not None or key in ("poverty_exit_year", "notes"):
            setattr(h, key, value)
    session.commit()
    return HouseholdOut.model_validate(h)


@router.get("/{household_id}/income", response_model=HouseholdIncome)
def get_household_income(
    household_id: int,
    session: SessionDep,
    config: ConfigDep,
    _: Reader,
    year: Annotated[int, Query(ge=2000, le=2100)],
) -> HouseholdIncome:
    h = get_or_404(session, Household, household_id)
    return household_income(session, h, year, config.poverty_line_yearly)
