"""Payroll: hours, output, piece earnings, base pay, minimum-wage top-up, deductions, net.

Policy (documented in api/README.md):

- A period is local dates ``[start, end)`` in the park's time zone.  A shift that crosses the
  period boundary (a night shift over the month end) is split at the boundary: its hours, per-shift
  base (pro rata) and output fall into the period in which they happened; it counts as a day worked
  in the period where it started.
- The rule applied to a shift is the most specific rule (task and location, then task, then
  location, then general) in effect on the local date the shift started; the latest wins ties.
- Output comes from the machine counters and is shared among the workers at the location doing a
  task paid for that output (:mod:`api.services.attribution`).  Worker-entered counts are compared
  with the machine count and flagged ``count_mismatch`` beyond the configured tolerance.
- Minimum wage: full-time workers are guaranteed the monthly minimum pro rata to hours worked over
  the 174-hour standard month (capped at the period's months: one up to 31 days, see
  :func:`period_months`); part-time workers the hourly minimum per hour.
  A top-up lifts base + piece earnings to that floor.  Quality deductions never push pay below it.
- Money is exact (:mod:`api.money`): times in whole microseconds, shares of output and rates as
  fractions; per worker and period, base, piece earnings, deductions and the floor are each summed
  exactly and rounded once, half up to the fen; top-up and net are whole-fen sums of those.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from api.config import STANDARD_MONTH_HOURS, ApiConfig
from api.models import Household, Location, PayrollLine, PayrollRun, PieceRateRule, Shift, Task, Worker
from api.money import half_up
from api.services.attribution import (
    OUTPUT_METRIC,
    REJECTS_METRIC,
    CounterTimeline,
    Presence,
    load_timelines,
    share,
)
from eggwatch.store.base import TelemetryStore, epoch_ms

US_PER_HOUR = 3_600_000_000


def micros(delta: dt.timedelta) -> int:
    return delta // dt.timedelta(microseconds=1)


def local_window(start: dt.date, end: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants of local midnight at ``start`` and ``end``."""
    a = dt.datetime.combine(start, dt.time(), tz).astimezone(dt.UTC)
    b = dt.datetime.combine(end, dt.time(), tz).astimezone(dt.UTC)
    return a, b


def period_months(start: dt.date, end: dt.date) -> Fraction:
    """How many months of the monthly minimum a full-time worker can be owed for ``[start, end)``:
    one for a period of up to 31 days (a month, however it is aligned, or part of one); for a longer
    one (up to 62 days), each calendar month's share of its days (March and April: 2)."""
    if (end - start).days <= 31:
        return Fraction(1)
    months, day = Fraction(0), start
    while day < end:
        first = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        length = (first - dt.date(day.year, day.month, 1)).days
        months += Fraction((min(first, end) - day).days, length)
        day = min(first, end)
    return months


# An exact amount: a plain int wherever the arithmetic stays whole (nearly every shift lies wholly
# inside its period), a Fraction only where it does not; never a float.  Ints keep a month's
# payroll fast: Fraction arithmetic costs ~1 µs an operation.
Exact = int | Fraction


@dataclass(frozen=True, slots=True)
class Slice:
    """The part of one shift inside the period."""

    shift_id: int
    worker_id: int
    task_id: int
    location_id: int
    unit: str
    output: str
    start: dt.datetime
    end: dt.datetime
    span_us: int  # the whole shift's length
    inside_us: int  # its length inside the period
    break_us: int
    started_on: dt.date  # local date the whole shift started
    starts_in_period: bool
    entered_count: int | None

    @property
    def whole(self) -> bool:
        return self.inside_us == self.span_us

    @property
    def fraction(self) -> Exact:
        """Of the whole shift's span inside the period."""
        return 1 if self.whole else Fraction(self.inside_us, self.span_us)

    @property
    def paid_us(self) -> Exact:
        """Worked microseconds inside the period (breaks pro rata)."""
        worked_us = max(0, self.span_us - self.break_us)
        return worked_us if self.whole else Fraction(worked_us * self.inside_us, self.span_us)

    @property
    def weight(self) -> Fraction:
        """Worked fraction of the shift (breaks excluded): its weight in sharing output."""
        return Fraction(max(0, self.span_us - self.break_us), self.span_us)


@dataclass(slots=True)
class WorkerPay:
    worker_id: int
    full_time: bool
    micros: Exact = 0
    days: set[dt.date] = field(default_factory=set)
    eggs: Exact = 0
    cases: Exact = 0
    trays: Exact = 0
    base_rate_us: Exact = 0  # fen per hour × worked µs: divided by US_PER_HOUR once, at the end
    base_shifts: Exact = 0  # fen, per-shift base
    piece: Exact = 0  # fen
    deductions: Exact = 0  # fen
    flags: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class PayLine:
    worker_id: int
    hours: float
    days: int
    eggs: int
    cases: int
    trays: int
    base_fen: int
    piece_fen: int
    topup_fen: int
    deductions_fen: int
    net_fen: int
    flags: str


class RuleBook:
    """Effective-dated rules with most-specific-first lookup (memoised per task, location, date)."""

    def __init__(self, rules: list[PieceRateRule]) -> None:
        self.rules = rules
        self._memo: dict[tuple[int, int, dt.date], PieceRateRule | None] = {}

    def find(self, task_id: int, location_id: int, day: dt.date) -> PieceRateRule | None:
        key = (task_id, location_id, day)
        if key not in self._memo:
            best: tuple[int, dt.date, int] | None = None
            found = None
            for r in self.rules:
                if r.task_id not in (None, task_id) or r.location_id not in (None, location_id):
                    continue
                if not (r.effective_from <= day and (r.effective_to is None or day < r.effective_to)):
                    continue
                rank = (2 * (r.task_id is not None) + (r.location_id is not None), r.effective_from, r.id)
                if best is None or rank > best:
                    best, found = rank, r
            self._memo[key] = found
        return self._memo[key]


def rules_for(session: Session, start: dt.date, end: dt.date) -> list[PieceRateRule]:
    """The rules that may apply to a shift of the period (one started up to two days before)."""
    return list(
        session.scalars(
            select(PieceRateRule)
            .where(
                PieceRateRule.effective_from < end,
                (PieceRateRule.effective_to.is_(None))
                | (PieceRateRule.effective_to > start - dt.timedelta(days=2)),
            )
            .order_by(PieceRateRule.id)
        )
    )


def inputs_hash(session: Session, start: dt.date, end: dt.date, tz: ZoneInfo, counts: Counts) -> str:
    """SHA-256 of what :func:`compute` reads for ``[start, end)``: from the database the period's
    shifts (with their location's unit and task's output), the rules, their workers' terms; from the
    store the machine ``counts`` shared to those shifts.  Approval compares it with the hash taken
    at the last compute."""
    ws, we = local_window(start, end, tz)
    digest = hashlib.sha256()
    digest.update(f"c{counts.digest()}\n".encode())
    shifts = session.execute(
        select(
            Shift.id, Shift.worker_id, Shift.location_id, Shift.task_id, Location.unit, Task.output,
            Shift.start_at, Shift.end_at, Shift.break_minutes, Shift.entered_count,
        )
        .join(Location, Location.id == Shift.location_id)
        .join(Task, Task.id == Shift.task_id)
        .where(Shift.start_at < we, Shift.end_at > ws)
        .order_by(Shift.id)
    )  # fmt: skip
    for shift in shifts:
        digest.update(f"s{tuple(shift)}\n".encode())
    for r in rules_for(session, start, end):
        rule = (r.id, r.task_id, r.location_id, r.effective_from, r.effective_to, r.base_per_hour_fen,
                r.base_per_shift_fen, r.per_1000_eggs_fen, r.per_case_fen, r.per_tray_fen,
                r.deduction_per_1000_rejects_fen)  # fmt: skip
        digest.update(f"r{rule}\n".encode())
    # Only the terms of workers with shifts in the period: hiring someone, or changing the terms
    # of a worker who did not work then, changes no pay and must not block approval.
    in_period = select(Shift.worker_id).where(Shift.start_at < we, Shift.end_at > ws)
    workers = select(Worker.id, Worker.full_time).where(Worker.id.in_(in_period)).order_by(Worker.id)
    for worker in session.execute(workers):
        digest.update(f"w{tuple(worker)}\n".encode())
    return digest.hexdigest()


def snapshot_households(session: Session, run: PayrollRun) -> None:
    """Record on each line of ``run`` the worker's household as it is now (at approval)."""
    rows = session.execute(
        select(
            PayrollLine.id, Household.id, Household.code, Household.village, Household.township,
            Household.members, Household.registered_poor,
        )
        .join(Worker, Worker.id == PayrollLine.worker_id)
        .join(Household, Household.id == Worker.household_id)
        .where(PayrollLine.run_id == run.id)
    ).all()  # fmt: skip
    if rows:
        keys = ("id", "household_id", "household_code", "household_village", "household_township",
                "household_members", "household_registered_poor")  # fmt: skip
        session.execute(update(PayrollLine), [dict(zip(keys, row, strict=True)) for row in rows])


def load_slices(session: Session, start: dt.date, end: dt.date, tz: ZoneInfo) -> list[Slice]:
    ws, we = local_window(start, end, tz)
    rows = session.execute(
        select(
            Shift.id,
            Shift.worker_id,
            Shift.task_id,
            Shift.location_id,
            Location.unit,
            Task.output,
            Shift.start_at,
            Shift.end_at,
            Shift.break_minutes,
            Shift.entered_count,
        )
        .join(Location, Location.id == Shift.location_id)
        .join(Task, Task.id == Shift.task_id)
        .where(Shift.start_at < we, Shift.end_at > ws)
        .order_by(Shift.id)
    ).all()
    out = []
    for sid, wid, tid, lid, unit, output, s, e, brk, entered in rows:
        cs, ce = max(s, ws), min(e, we)
        out.append(
            Slice(
                sid, wid, tid, lid, unit, output, cs, ce, micros(e - s), micros(ce - cs), brk * 60_000_000,
                s.astimezone(tz).date(), s >= ws, entered,
            )
        )  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class Counts:
    """What the machines counted for the period's slices: output pieces and rejects shared to each
    (exact), and the slices with no machine data.  Pay depends on them, so the run's inputs hash
    covers them: a count back-filled after the draft changes the hash."""

    output: dict[int, Fraction]
    rejects: dict[int, Fraction]
    no_data: frozenset[int]

    def digest(self) -> str:
        """SHA-256 of the counts per slice (fractions print exactly, so equal counts hash equal)."""
        digest = hashlib.sha256()
        for sid in sorted(self.output.keys() | self.rejects.keys() | self.no_data):
            row = (sid, self.output.get(sid, 0), self.rejects.get(sid, 0), sid in self.no_data)
            digest.update(f"{row}\n".encode())
        return digest.hexdigest()


def count_output(
    store: TelemetryStore | None, site: str, slices: list[Slice], ws: dt.datetime, we: dt.datetime
) -> Counts:
    """Per slice: output pieces and rejects shared to it (exact); and slices with no machine data.
    The slow part of a payroll (it reads the store): keep it outside database locks."""
    output: dict[int, Fraction] = {}
    rejects: dict[int, Fraction] = {}
    no_data: set[int] = set()
    by_kind: dict[str, list[Slice]] = defaultdict(list)
    for sl in slices:
        if sl.output in OUTPUT_METRIC:
            by_kind[sl.output].append(sl)
    if store is None:
        return Counts(output, rejects, frozenset(sl.shift_id for group in by_kind.values() for sl in group))
    start_ms, end_ms = epoch_ms(ws), epoch_ms(we)
    # The lines' rejects once for all of them: graders (trays) and packers (cases) share the lines.
    line_units = sorted({sl.unit for kind, group in by_kind.items() if kind != "eggs" for sl in group})
    line_rejects = load_timelines(store, site, REJECTS_METRIC, line_units, start_ms, end_ms)
    for kind, group in by_kind.items():
        metric, divisor = OUTPUT_METRIC[kind]
        units = sorted({sl.unit for sl in group})
        timelines = load_timelines(store, site, metric, units, start_ms, end_ms)
        reject_lines = line_rejects if kind != "eggs" else {}
        for unit in units:
            here = [sl for sl in group if sl.unit == unit]
            presences = [
                Presence(sl.shift_id, epoch_ms(sl.start), epoch_ms(sl.end), sl.weight) for sl in here
            ]
            tl = timelines.get(unit, CounterTimeline.empty())
            for key, amount in share(tl, presences).items():
                output[key] = amount / divisor
            if unit in reject_lines:
                rejects.update(share(reject_lines[unit], presences))
            covered = tl.has_data_in(
                np.fromiter((p.start_ms for p in presences), np.int64, len(presences)),
                np.fromiter((p.end_ms for p in presences), np.int64, len(presences)),
            )
            no_data.update(p.key for p, has in zip(presences, covered.tolist(), strict=True) if not has)
    return Counts(output, rejects, frozenset(no_data))


def machine_counts(
    store: TelemetryStore | None, site: str, tz: ZoneInfo, start: dt.date, end: dt.date, slices: list[Slice]
) -> Counts:
    """:func:`count_output` for the period ``[start, end)``."""
    return count_output(store, site, slices, *local_window(start, end, tz))


def compute(
    session: Session,
    store: TelemetryStore | None,
    site: str,
    tz: ZoneInfo,
    start: dt.date,
    end: dt.date,
    min_monthly_fen: int,
    min_hourly_fen: int,
    tolerance_pct: Decimal,
) -> tuple[list[PayLine], Counts]:
    """Every worker's pay for ``[start, end)``, and the machine counts it used; nothing written."""
    slices = load_slices(session, start, end, tz)
    rules = RuleBook(rules_for(session, start, end))
    full_time = dict(session.execute(select(Worker.id, Worker.full_time)).all())
    counts = machine_counts(store, site, tz, start, end, slices)
    output, rejects, no_data = counts.output, counts.rejects, counts.no_data
    tol = Fraction(tolerance_pct) / 100

    pays: dict[int, WorkerPay] = {}
    for sl in slices:
        p = pays.get(sl.worker_id)
        if p is None:
            p = pays[sl.worker_id] = WorkerPay(sl.worker_id, full_time.get(sl.worker_id, True))
        p.micros += sl.paid_us
        if sl.starts_in_period:
            p.days.add(sl.started_on)
        rule = rules.find(sl.task_id, sl.location_id, sl.started_on)
        if rule is None:
            p.flags.add("no_rule")
        pieces: Exact = output.get(sl.shift_id, 0)
        if sl.output == "eggs":
            p.eggs += pieces
        elif sl.output == "cases":
            p.cases += pieces
        elif sl.output == "trays":
            p.trays += pieces
        if sl.shift_id in no_data:
            p.flags.add("no_machine_data")
        if sl.entered_count is not None and sl.output in OUTPUT_METRIC and sl.shift_id not in no_data:
            gap = Fraction(sl.entered_count * sl.fraction) - pieces
            if abs(gap) > tol * max(Fraction(pieces), Fraction(1)):
                p.flags.add("count_mismatch")
        if rule is None:
            continue
        p.base_rate_us += rule.base_per_hour_fen * sl.paid_us
        p.base_shifts += rule.base_per_shift_fen * sl.fraction
        if pieces:
            rate: dict[str, Exact] = {
                "eggs": Fraction(rule.per_1000_eggs_fen, 1000),
                "cases": rule.per_case_fen,
                "trays": rule.per_tray_fen,
            }
            p.piece += pieces * rate.get(sl.output, 0)
        rejected = rejects.get(sl.shift_id)
        if rejected:
            p.deductions += rejected * Fraction(rule.deduction_per_1000_rejects_fen, 1000)

    standard = Fraction(STANDARD_MONTH_HOURS)
    months = period_months(start, end)  # a two-month run owes two months' minimum, not one
    lines = []
    for wid in sorted(pays):
        p = pays[wid]
        hours = Fraction(p.micros) / US_PER_HOUR
        floor = min_monthly_fen * min(months, hours / standard) if p.full_time else min_hourly_fen * hours
        base = half_up(Fraction(p.base_rate_us) / US_PER_HOUR + p.base_shifts)
        piece = half_up(p.piece)
        floor_fen = half_up(floor)
        topup = max(0, floor_fen - base - piece)
        deductions = min(half_up(p.deductions), max(0, base + piece - floor_fen))
        lines.append(
            PayLine(
                wid, float(round(Decimal(hours.numerator) / hours.denominator, 2)), len(p.days),
                round(p.eggs), round(p.cases), round(p.trays),
                base, piece, topup, deductions, base + piece + topup - deductions, ",".join(sorted(p.flags)),
            )
        )  # fmt: skip
    return lines, counts


def write_lines(session: Session, run: PayrollRun, lines: list[PayLine]) -> None:
    """Replace the run's lines (draft only) in bulk."""
    session.execute(delete(PayrollLine).where(PayrollLine.run_id == run.id))
    if lines:
        session.execute(
            insert(PayrollLine),
            [
                {
                    "run_id": run.id,
                    "worker_id": ln.worker_id,
                    "hours": ln.hours,
                    "days": ln.days,
                    "eggs": ln.eggs,
                    "cases": ln.cases,
                    "trays": ln.trays,
                    "base_fen": ln.base_fen,
                    "piece_fen": ln.piece_fen,
                    "topup_fen": ln.topup_fen,
                    "deductions_fen": ln.deductions_fen,
                    "net_fen": ln.net_fen,
                    "flags": ln.flags,
                }
                for ln in lines
            ],
        )


def run_payroll(
    session: Session,
    run: PayrollRun,
    store: TelemetryStore | None,
    site: str,
    tz: ZoneInfo,
    config: ApiConfig,
) -> list[PayLine]:
    lines, counts = compute(
        session, store, site, tz, run.period_start, run.period_end,
        run.min_monthly_fen, run.min_hourly_fen, config.count_tolerance_pct,
    )  # fmt: skip
    write_lines(session, run, lines)
    run.inputs_hash = inputs_hash(session, run.period_start, run.period_end, tz, counts)
    return lines
