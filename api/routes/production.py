"""Production per location and window, attributed to the shifts there (machine vs entered counts)."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from sqlalchemy import select

from api.deps import ConfigDep, SessionDep, StoreDep, check_unit, require_roles
from api.models import Location, Shift, Task, User
from api.schemas.common import Aware, Unit
from api.schemas.work import LocationProduction, ShiftOutput
from api.services.attribution import OUTPUT_METRIC, REJECTS_METRIC, Presence, load_timelines, share
from api.services.site import site_of
from eggwatch.store.base import epoch_ms

router = APIRouter(prefix="/production", tags=["production"])
Reader = Annotated[User, require_roles("manager", "supervisor", "payroll")]
MAX_DAYS = 62


@router.get("/{unit}", response_model=LocationProduction, responses={400: {}, 503: {}})
def location_production(
    unit: Unit,
    request: Request,
    session: SessionDep,
    store: StoreDep,
    config: ConfigDep,
    user: Reader,
    start: Annotated[Aware, Query()],
    end: Annotated[Aware, Query()],
) -> LocationProduction:
    if not 0 < (end - start).total_seconds() <= MAX_DAYS * 86400:
        raise HTTPException(400, f"the window must be positive and at most {MAX_DAYS} days")
    # Units first, then existence, with one text: another unit's location reads as missing.
    check_unit(session, user, unit, f"location {unit} not found")
    loc = session.scalar(select(Location).where(Location.unit == unit))
    if loc is None:
        raise HTTPException(404, f"location {unit} not found")
    site = site_of(request)
    a, b = epoch_ms(start), epoch_ms(end)
    totals = {}
    timelines = {}
    for kind, (metric, divisor) in {**OUTPUT_METRIC, "rejects": (REJECTS_METRIC, 1.0)}.items():
        tl = load_timelines(store, site, metric, [unit], a, b)[unit]
        timelines[kind] = (tl, divisor)
        totals[kind] = tl.amount(a, b) / divisor
    rows = session.execute(
        select(Shift, Task.output)
        .join(Task, Task.id == Shift.task_id)
        .where(Shift.location_id == loc.id, Shift.start_at < end, Shift.end_at > start)
        .order_by(Shift.start_at)
    ).all()
    shifts: list[ShiftOutput] = []
    for kind in OUTPUT_METRIC:
        group = [(s, out) for s, out in rows if out == kind]
        tl, divisor = timelines[kind]
        work = [
            Presence(
                s.id,
                epoch_ms(s.start_at),
                epoch_ms(s.end_at),
                1 - Fraction(s.break_minutes * 60) / Fraction((s.end_at - s.start_at).total_seconds()),
            )
            for s, _ in group
        ]
        shares = share(tl, work)
        tol = float(config.count_tolerance_pct) / 100
        for s, _ in group:
            got = float(shares.get(s.id, 0)) / divisor
            flagged = s.entered_count is not None and abs(s.entered_count - got) > tol * max(got, 1.0)
            shifts.append(
                ShiftOutput(
                    shift_id=s.id, worker_id=s.worker_id, unit=unit, start_at=s.start_at, end_at=s.end_at,
                    output=kind, machine_count=round(got, 1), entered_count=s.entered_count, flagged=flagged,
                )
            )  # fmt: skip
    return LocationProduction(
        unit=unit, start_at=start, end_at=end, eggs=totals["eggs"], cases=totals["cases"],
        trays=totals["trays"], rejects=totals["rejects"], shifts=shifts,
    )  # fmt: skip
