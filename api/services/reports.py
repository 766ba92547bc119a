"""Employment figures for the poverty office, by month and township/village (or per household).

Figures come only from approved or paid payroll runs (plus their adjustments) and dividends; no
ID number, masked or not, ever appears.  See :mod:`api.services.income` for the month rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import Household, PayrollLine, PayrollRun, Worker
from api.money import ratio_fen
from api.schemas.common import to_yuan
from api.services.income import (
    above_line,
    dividends_by_household_month,
    month_key,
    select_paid,
    wages_by_household_month,
)

GroupBy = Literal["village", "township", "household"]
TOTAL = "total"

COLUMNS: list[tuple[str, str, str]] = [  # key, English, 简体中文
    ("month", "Month", "月份"),
    ("township", "Township", "乡镇"),
    ("village", "Village", "村"),
    ("household", "Household", "户编号"),
    ("workers", "Workers employed", "务工人数"),
    ("poor_workers", "of whom registered poor", "其中建档立卡贫困户人数"),
    ("person_days", "Person-days", "务工人天数"),
    ("wages", "Wages paid (CNY)", "发放工资(元)"),
    ("avg_monthly_wage", "Average monthly wage (CNY)", "人均月工资(元)"),
    ("dividends", "Dividends paid (CNY)", "分红(元)"),
    ("households", "Households with income", "有收入户数"),
    ("households_above_line", "Households above poverty line", "人均收入超过贫困线户数"),
]


@dataclass(slots=True)
class Row:
    month: str
    township: str
    village: str
    household: str = ""
    workers: int = 0
    poor_workers: int = 0
    person_days: int = 0
    wages_fen: int = 0
    worker_months: int = 0
    dividends_fen: int = 0
    households: int = 0
    households_above_line: int = 0
    _seen: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, object]:
        avg = ratio_fen(self.wages_fen, self.worker_months) if self.worker_months else 0
        return {
            "month": self.month,
            "township": self.township,
            "village": self.village,
            "household": self.household,
            "workers": self.workers,
            "poor_workers": self.poor_workers,
            "person_days": self.person_days,
            "wages": to_yuan(self.wages_fen),
            "avg_monthly_wage": to_yuan(avg),
            "dividends": to_yuan(self.dividends_fen),
            "households": self.households,
            "households_above_line": self.households_above_line,
        }


def employment_report(
    session: Session,
    start: dt.date,
    end: dt.date,
    line_yearly: Decimal,
    group_by: GroupBy = "village",
    township: str | None = None,
    village: str | None = None,
) -> list[dict[str, object]]:
    """Rows per month and place, then a totals row (month ``total``, over the whole range)."""
    hh_stmt = select(Household.id, Household.code, Household.township, Household.village, Household.members,
                     Household.registered_poor)  # fmt: skip
    if township:
        hh_stmt = hh_stmt.where(Household.township == township)
    if village:
        hh_stmt = hh_stmt.where(Household.village == village)
    households = {r[0]: r for r in session.execute(hh_stmt)}

    # Workers and person-days per (month, household): a worker belongs to one household.
    people: dict[tuple[str, int], tuple[int, int]] = {}
    year_workers: dict[int, set[int]] = defaultdict(set)
    cols = (PayrollRun.period_start, Worker.household_id, PayrollLine.worker_id, PayrollLine.days)
    stmt = select_paid(PayrollLine, start, end, *cols)
    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    month_workers: dict[tuple[str, int], set[int]] = defaultdict(set)
    for period_start, hid, wid, days in session.execute(stmt):
        if hid not in households:
            continue
        key = (month_key(period_start), hid)
        month_workers[key].add(wid)
        counts[key][1] += days
        year_workers[hid].add(wid)
    for key, ws in month_workers.items():
        people[key] = (len(ws), counts[key][1])

    wages = wages_by_household_month(session, start, end)
    divs = dividends_by_household_month(session, start, end)
    months_in_range = max(1, (end.year - start.year) * 12 + end.month - start.month)

    rows: dict[tuple[str, str, str, str], Row] = {}
    total = Row(TOTAL, "", "")
    year_income: dict[int, int] = defaultdict(int)
    keys = {k for k in (*people, *wages, *divs) if k[1] in households}
    for month, hid in sorted(keys):
        _, code, town, vill, members, poor = households[hid]
        place = (month, town, "" if group_by == "township" else vill, code if group_by == "household" else "")
        row = rows.get(place)
        if row is None:
            row = rows[place] = Row(*place)
        n, days = people.get((month, hid), (0, 0))
        w, d = wages.get((month, hid), 0), divs.get((month, hid), 0)
        row.workers += n
        row.poor_workers += n if poor else 0
        row.person_days += days
        row.wages_fen += w
        row.worker_months += n
        row.dividends_fen += d
        row.households += 1
        row.households_above_line += above_line(w + d, members, line_yearly, 1)
        total.person_days += days
        total.wages_fen += w
        total.worker_months += n
        total.dividends_fen += d
        year_income[hid] += w + d

    for hid, income in year_income.items():
        members, poor = households[hid][4], households[hid][5]
        total.workers += len(year_workers.get(hid, ()))
        total.poor_workers += len(year_workers.get(hid, ())) if poor else 0
        total.households += 1
        total.households_above_line += above_line(income, members, line_yearly, months_in_range)
    return [r.as_dict() for _, r in sorted(rows.items())] + [total.as_dict()]


def columns_for(group_by: GroupBy) -> list[tuple[str, str, str]]:
    drop = {"village": {"household"}, "township": {"village", "household"}, "household": set()}[group_by]
    return [c for c in COLUMNS if c[0] not in drop]
