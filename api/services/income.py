"""Household income per month: wages (approved/paid payroll incl. adjustments) plus dividends.

A payroll run's wages count in the month its period starts.  A household is above the poverty
line in a month when its per-capita income that month, times 12, reaches the yearly line; for a
year when its per-capita income over the year does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, func, select
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


def select_paid(
    item: type[PayrollLine] | type[PayrollAdjustment], start: dt.date, end: dt.date, *cols: Any
) -> Select[Any]:
    """Select ``cols`` from the lines or the adjustments (``item``) of the approved or paid runs
    whose period starts in ``[start, end)``, each joined to its run and its worker."""
    return (
        select(*cols)
        .select_from(PayrollRun)
        .join(item, item.run_id == PayrollRun.id)
        .join(Worker, Worker.id == item.worker_id)
        .where(PayrollRun.status.in_(PAID), PayrollRun.period_start >= start, PayrollRun.period_start < end)
    )


def wages_by_household_month(
    session: Session, start: dt.date, end: dt.date, household_id: int | None = None
) -> dict[tuple[str, int], int]:
    """Net wages in fen per (month, household), adjustments included."""
    month_household = (PayrollRun.period_start, Worker.household_id)
    lines = select_paid(PayrollLine, start, end, *month_household, func.sum(PayrollLine.net_fen))
    adjs = select_paid(
        PayrollAdjustment, start, end, *month_household, func.sum(PayrollAdjustment.amount_fen)
    )
    out: dict[tuple[str, int], int] = defaultdict(int)
    for stmt in (lines, adjs):
        stmt = stmt.group_by(*month_household)
        if household_id is not None:
            stmt = stmt.where(Worker.household_id == household_id)
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
    start, end = year_bounds(year)
    wages = wages_by_household_month(session, start, end, h.id)
    divs = dividends_by_household_month(session, start, end, h.id)
    months = []
    for m in range(1, 13):
        key = f"{year:04d}-{m:02d}"
        w, d = wages.get((key, h.id), 0), divs.get((key, h.id), 0)
        months.append(
            HouseholdMonth(
                month=key,
                wages=to_yuan(w),
                dividends=to_yuan(d),
                income=to_yuan(w + d),
                per_capita=to_yuan(ratio_fen(w + d, h.members)),
                above_poverty_line=above_line(w + d, h.members, line_yearly, 1),
            )
        )
    total = sum(wages.values()) + sum(divs.values())
    return HouseholdIncome(
        household_id=h.id,
        members=h.members,
        poverty_line_yearly=float(line_yearly),
        months=months,
        year_income=to_yuan(total),
        year_per_capita=to_yuan(ratio_fen(total, h.members)),
        above_poverty_line=above_line(total, h.members, line_yearly, 12),
    )
