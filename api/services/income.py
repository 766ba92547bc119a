"""Household income per month: wages (approved/paid payroll incl. adjustments) plus dividends.

A payroll run's wages count in the month its period starts, for the household the worker belonged
to when the run was approved (recorded on its lines, with the household's members, place and
registered-poor status: later edits never change approved figures).  Dividends count in the month
paid, with the household recorded on each dividend when it was made.  A household is above the poverty
line in a month when its per-capita income that month, times 12, reaches the yearly line; for a
year when its per-capita income over the year does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from api.models import Dividend, Household, PayrollAdjustment, PayrollLine, PayrollRun, Worker
from api.money import ratio_fen
from api.schemas.common import to_yuan
from api.schemas.pay import HouseholdIncome, HouseholdMonth

PAID = ("approved", "paid")


def month_key(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)


# The household a line's pay counts for: as recorded when its run was approved; the worker's current
# household only for lines approved before that record existed and not filled by the migration.
line_household: ColumnElement[int] = func.coalesce(PayrollLine.household_id, Worker.household_id)


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    """What the figures use of a household: as approved for wage months, as recorded on the
    dividends for months with dividends only, else (records from before either) as it is now."""

    code: str
    township: str
    village: str
    members: int
    registered_poor: bool


def select_paid(
    item: type[PayrollLine] | type[PayrollAdjustment], start: dt.date, end: dt.date, *cols: Any
) -> Select[Any]:
    """Select ``cols`` from the lines or the adjustments (``item``) of the approved or paid runs
    whose period starts in ``[start, end)``, each joined to its run, its line and its worker."""
    stmt = select(*cols).select_from(PayrollRun).join(item, item.run_id == PayrollRun.id)
    if item is PayrollAdjustment:
        stmt = stmt.outerjoin(
            PayrollLine,
            (PayrollLine.run_id == PayrollRun.id) & (PayrollLine.worker_id == PayrollAdjustment.worker_id),
        )
    return stmt.join(Worker, Worker.id == item.worker_id).where(
        PayrollRun.status.in_(PAID), PayrollRun.period_start >= start, PayrollRun.period_start < end
    )


def wage_facts(
    session: Session, start: dt.date, end: dt.date, household_id: int | None = None
) -> dict[tuple[str, int], HouseholdFacts]:
    """Per (month, household) with wages: the household as recorded at approval (the latest run of
    the month wins), so later edits of households or workers never change approved figures."""
    cols = (
        PayrollRun.id,
        PayrollRun.period_start,
        line_household,
        func.coalesce(PayrollLine.household_code, Household.code),
        func.coalesce(PayrollLine.household_township, Household.township),
        func.coalesce(PayrollLine.household_village, Household.village),
        func.coalesce(PayrollLine.household_members, Household.members),
        func.coalesce(PayrollLine.household_registered_poor, Household.registered_poor),
    )
    stmt = (
        select_paid(PayrollLine, start, end, *cols)
        .outerjoin(Household, Household.id == line_household)
        .group_by(*cols)
        .order_by(PayrollRun.id)
    )
    if household_id is not None:
        stmt = stmt.where(line_household == household_id)
    out: dict[tuple[str, int], HouseholdFacts] = {}
    for _, period_start, hid, code, town, vill, members, poor in session.execute(stmt):
        out[(month_key(period_start), hid)] = HouseholdFacts(code, town, vill, members, bool(poor))
    return out


def dividend_facts(
    session: Session, start: dt.date, end: dt.date, household_id: int | None = None
) -> dict[tuple[str, int], HouseholdFacts]:
    """Per (month, household) with dividends: the household as recorded on the dividend when it
    was made (the month's last wins), so later edits never change past dividend months."""
    stmt = (
        select(
            Dividend.paid_on, Dividend.household_id, Dividend.household_code, Dividend.household_township,
            Dividend.household_village, Dividend.household_members, Dividend.household_registered_poor,
        )
        .where(Dividend.paid_on >= start, Dividend.paid_on < end)
        .order_by(Dividend.paid_on, Dividend.id)
    )  # fmt: skip
    if household_id is not None:
        stmt = stmt.where(Dividend.household_id == household_id)
    out: dict[tuple[str, int], HouseholdFacts] = {}
    for paid_on, hid, code, town, vill, members, poor in session.execute(stmt):
        out[(month_key(paid_on), hid)] = HouseholdFacts(code, town, vill, members, bool(poor))
    return out


def household_facts(
    session: Session, start: dt.date, end: dt.date, household_id: int | None = None
) -> dict[tuple[str, int], HouseholdFacts]:
    """Per (month, household) with income: as recorded at approval for a month with wages, else as
    recorded on the month's dividends; none of it follows later edits."""
    return dividend_facts(session, start, end, household_id) | wage_facts(session, start, end, household_id)


def wages_by_household_month(
    session: Session, start: dt.date, end: dt.date, household_id: int | None = None
) -> dict[tuple[str, int], int]:
    """Net wages in fen per (month, household), adjustments included."""
    month_household = (PayrollRun.period_start, line_household)
    lines = select_paid(PayrollLine, start, end, *month_household, func.sum(PayrollLine.net_fen))
    adjs = select_paid(
        PayrollAdjustment, start, end, *month_household, func.sum(PayrollAdjustment.amount_fen)
    )
    out: dict[tuple[str, int], int] = defaultdict(int)
    for stmt in (lines, adjs):
        stmt = stmt.group_by(*month_household)
        if household_id is not None:
            stmt = stmt.where(line_household == household_id)
        for period_start, hid, fen in session.execute(stmt):
            out[(month_key(period_start), hid)] += int(fen or 0)
    return out


def dividends_by_household_month(
    session: Session, start: dt.date, end: dt.date, household_id: int | None = None
) -> dict[tuple[str, int], int]:
    stmt = (
        select(Dividend.paid_on, Dividend.household_id, func.sum(Dividend.amount_fen))
        .where(Dividend.paid_on >= start, Dividend.paid_on < end)
        .group_by(Dividend.paid_on, Dividend.household_id)
    )
    if household_id is not None:
        stmt = stmt.where(Dividend.household_id == household_id)
    out: dict[tuple[str, int], int] = defaultdict(int)
    for paid_on, hid, fen in session.execute(stmt):
        out[(month_key(paid_on), hid)] += int(fen or 0)
    return out


def above_line(income_fen: int, members: int, line_yearly: Decimal, months: int) -> bool:
    """Per-capita income over ``months`` months, scaled to a year, reaches the line (exact)."""
    return Fraction(income_fen * 12, 100 * max(members, 1) * months) >= Fraction(line_yearly)


def household_income(session: Session, h: Household, year: int, line_yearly: Decimal) -> HouseholdIncome:
    """Per month: members as recorded with the month's approved wages, else with its dividends
    (else as now); for the year, those of the latest month with either (else as now)."""
    start, end = year_bounds(year)
    wages = wages_by_household_month(session, start, end, h.id)
    divs = dividends_by_household_month(session, start, end, h.id)
    facts = household_facts(session, start, end, h.id)
    months = []
    year_members = h.members
    for m in range(1, 13):
        key = f"{year:04d}-{m:02d}"
        w, d = wages.get((key, h.id), 0), divs.get((key, h.id), 0)
        members = facts[(key, h.id)].members if (key, h.id) in facts else h.members
        if (key, h.id) in facts:
            year_members = members
        months.append(
            HouseholdMonth(
                month=key,
                wages=to_yuan(w),
                dividends=to_yuan(d),
                income=to_yuan(w + d),
                per_capita=to_yuan(ratio_fen(w + d, max(members, 1))),
                above_poverty_line=above_line(w + d, members, line_yearly, 1),
            )
        )
    total = sum(wages.values()) + sum(divs.values())
    return HouseholdIncome(
        household_id=h.id,
        members=year_members,
        poverty_line_yearly=float(line_yearly),
        months=months,
        year_income=to_yuan(total),
        year_per_capita=to_yuan(ratio_fen(total, max(year_members, 1))),
        above_poverty_line=above_line(total, year_members, line_yearly, 12),
    )
