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

from api.models import Household, PayrollLine, PayrollRun
from api.money import ratio_fen
from api.schemas.common import to_yuan
from api.services.income import (
    HouseholdFacts,
    above_line,
    dividends_by_household_month,
    household_facts,
    line_household,
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
    # Each person once: a worker who moved household (within a month, between runs, or during the
    # year) has lines in two households of one row; counts and worker-months are of distinct people.
    _workers: set[int] = field(default_factory=set)
    _poor: set[int] = field(default_factory=set)
    _worker_months: set[tuple[str, int]] = field(default_factory=set)

    def add_workers(self, month: str, ids: set[int], poor: bool) -> None:
        self._workers |= ids
        self._worker_months |= {(month, wid) for wid in ids}
        self.workers, self.worker_months = len(self._workers), len(self._worker_months)
        if poor:
            self.add_poor(ids)

    def add_poor(self, ids: set[int]) -> None:
        self._poor |= ids
        self.poor_workers = len(self._poor)

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
    """Rows per month and place, then a totals row (month ``total``, over the whole range).

    A wage month's household (place, members, registered poor) is the one recorded when its run was
    approved; a month with dividends only the one recorded on its dividends when they were made."""
    current = {
        hid: HouseholdFacts(code, town, vill, members, poor)
        for hid, code, town, vill, members, poor in session.execute(
            select(Household.id, Household.code, Household.township, Household.village, Household.members,
                   Household.registered_poor)
        )
    }  # fmt: skip
    facts = household_facts(session, start, end)

    def facts_of(key: tuple[str, int]) -> HouseholdFacts | None:
        f = facts.get(key) or current.get(key[1])
        if f is None or (township and f.township != township) or (village and f.village != village):
            return None
        return f

    # Workers and person-days per (month, household): a worker belongs to one household per run.
    year_workers: dict[int, set[int]] = defaultdict(set)
    stmt = select_paid(PayrollLine, start, end, PayrollRun.period_start, line_household, PayrollLine.worker_id,
                       PayrollLine.days)  # fmt: skip
    person_days: dict[tuple[str, int], int] = defaultdict(int)
    month_workers: dict[tuple[str, int], set[int]] = defaultdict(set)
    for period_start, hid, wid, days in session.execute(stmt):
        key = (month_key(period_start), hid)
        if facts_of(key) is None:
            continue
        month_workers[key].add(wid)
        person_days[key] += days
        year_workers[hid].add(wid)

    wages = wages_by_household_month(session, start, end)
    divs = dividends_by_household_month(session, start, end)
    months_in_range = max(1, (end.year - start.year) * 12 + end.month - start.month)

    rows: dict[tuple[str, str, str, str], Row] = {}
    total = Row(TOTAL, "", "")
    year_income: dict[int, int] = defaultdict(int)
    year_facts: dict[int, HouseholdFacts] = {}  # the latest month's
    for key in sorted({*month_workers, *wages, *divs}):
        f = facts_of(key)
        if f is None:
            continue
        month, hid = key
        year_facts[hid] = f
        place = (month, f.township, "" if group_by == "township" else f.village,
                 f.code if group_by == "household" else "")  # fmt: skip
        row = rows.get(place)
        if row is None:
            row = rows[place] = Row(*place)
        ids, days = month_workers.get(key, set()), person_days.get(key, 0)
        w, d = wages.get(key, 0), divs.get(key, 0)
        row.add_workers(month, ids, f.registered_poor)
        row.person_days += days
        row.wages_fen += w
        row.dividends_fen += d
        row.households += 1
        row.households_above_line += above_line(w + d, f.members, line_yearly, 1)
        total.person_days += days
        total.wages_fen += w
        total.add_workers(month, ids, False)
        total.dividends_fen += d
        year_income[hid] += w + d

    for hid, income in year_income.items():
        f = year_facts[hid]
        if f.registered_poor:
            total.add_poor(year_workers.get(hid, set()))
        total.households += 1
        total.households_above_line += above_line(income, f.members, line_yearly, months_in_range)
    return [r.as_dict() for _, r in sorted(rows.items())] + [total.as_dict()]


def columns_for(group_by: GroupBy) -> list[tuple[str, str, str]]:
    drop = {"village": {"household"}, "township": {"village", "household"}, "household": set()}[group_by]
    return [c for c in COLUMNS if c[0] not in drop]
