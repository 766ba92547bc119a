"""Shifts: CRUD with filters.  Supervisors see and edit only the shifts of their own units."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import select

from api.deps import SessionDep, check_unit, require_roles, units_of
from api.models import Location, Shift, Task, User, Worker
from api.routes._common import IdFilter, Limit, Offset, columns, get_or_404, json_response, page_rows
from api.schemas.common import Aware, Page, Unit
from api.schemas.work import ShiftIn, ShiftOut
from api.services.locks import CLOSING, WORKER_SHIFTS, lock
from api.services.shifts import locked_run, overlapping
from api.services.site import tz_of

router = APIRouter(prefix="/shifts", tags=["shifts"])
Reader = Annotated[User, require_roles("manager", "supervisor", "payroll")]
Writer = Annotated[User, require_roles("manager", "supervisor")]


def _check_refs(session: SessionDep, user: User, body: ShiftIn) -> Location:
    get_or_404(session, Worker, body.worker_id)
    get_or_404(session, Task, body.task_id)
    loc = get_or_404(session, Location, body.location_id)
    check_unit(session, user, loc.unit, f"location {body.location_id} not found")
    return loc


def _own_shift(session: SessionDep, user: User, shift_id: int) -> Shift:
    shift = get_or_404(session, Shift, shift_id)
    unit = get_or_404(session, Location, shift.location_id).unit
    check_unit(session, user, unit, f"shift {shift_id} not found")  # as for a missing shift
    return shift


def _reject_closed(request: Request, session: SessionDep, start: dt.datetime, end: dt.datetime) -> None:
    run = locked_run(session, start, end, tz_of(request))
    if run is not None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"payroll run {run.id} ({run.period_start}..{run.period_end}) is {run.status}: "
            "its shifts are closed; correct pay with an adjustment",
        )


def _lock(session: SessionDep, worker_id: int | None = None) -> None:
    """Hold the locks the checks need until commit: approvals wait for this write (and it for them),
    and two writes for one worker are checked one after the other (:mod:`api.services.locks`)."""
    lock(session, CLOSING, shared=True)
    if worker_id is not None:
        lock(session, WORKER_SHIFTS, worker_id)


def _reject_overlap(session: SessionDep, user: User, body: ShiftIn, exclude_id: int | None = None) -> None:
    clash = overlapping(session, body.worker_id, body.start_at, body.end_at, exclude_id)
    if clash is None:
        return
    if units_of(session, user) is not None:
        # A supervisor may not see the other shift (it may be in another unit): only that it exists.
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"worker {body.worker_id} already has a shift in that time"
        )
    raise HTTPException(
        status.HTTP_409_CONFLICT,
        f"worker {body.worker_id} already has shift {clash.id} "
        f"from {clash.start_at.isoformat()} to {clash.end_at.isoformat()}",
    )


@router.get("", response_model=Page[ShiftOut])
def list_shifts(
    session: SessionDep,
    user: Reader,
    worker_id: IdFilter = None,
    unit: Unit | None = None,
    start: Annotated[Aware | None, Query(description="shifts ending after this")] = None,
    end: Annotated[Aware | None, Query(description="shifts starting before this")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    stmt = select(*columns(Shift, *ShiftOut.model_fields)).order_by(Shift.start_at.desc(), Shift.id.desc())
    allowed = units_of(session, user)
    if unit is not None or allowed is not None:
        stmt = stmt.join(Location, Location.id == Shift.location_id)
        if unit is not None:
            stmt = stmt.where(Location.unit == unit)
        if allowed is not None:
            stmt = stmt.where(Location.unit.in_(sorted(allowed)))
    if worker_id is not None:
        stmt = stmt.where(Shift.worker_id == worker_id)
    if start is not None:
        # A shift lasts at most 24 h: the start_at bound lets the index do the work.
        stmt = stmt.where(Shift.end_at > start, Shift.start_at > start - dt.timedelta(hours=24))
    if end is not None:
        stmt = stmt.where(Shift.start_at < end)
    rows, total = page_rows(session, stmt, limit, offset)
    return json_response(
        Page[ShiftOut](
            items=[ShiftOut.model_validate(s) for s in rows], total=total, limit=limit, offset=offset
        )
    )


@router.post("", response_model=ShiftOut, status_code=status.HTTP_201_CREATED, responses={409: {}})
def create_shift(body: ShiftIn, request: Request, session: SessionDep, user: Writer) -> ShiftOut:
    _check_refs(session, user, body)
    _lock(session, body.worker_id)
    _reject_closed(request, session, body.start_at, body.end_at)
    _reject_overlap(session, user, body)
    shift = Shift(**body.model_dump())
    session.add(shift)
    session.commit()
    return ShiftOut.model_validate(shift)


@router.get("/{shift_id}", response_model=ShiftOut)
def get_shift(shift_id: int, session: SessionDep, user: Reader) -> ShiftOut:
    return ShiftOut.model_validate(_own_shift(session, user, shift_id))


@router.put("/{shift_id}", response_model=ShiftOut, responses={409: {}})
def replace_shift(
    shift_id: int, body: ShiftIn, request: Request, session: SessionDep, user: Writer
) -> ShiftOut:
    shift = _own_shift(session, user, shift_id)
    _check_refs(session, user, body)
    _lock(session, body.worker_id)
    session.refresh(shift)  # as it is now that the locks are held
    _reject_closed(request, session, shift.start_at, shift.end_at)
    _reject_closed(request, session, body.start_at, body.end_at)
    _reject_overlap(session, user, body, exclude_id=shift.id)
    for key, value in body.model_dump().items():
        setattr(shift, key, value)
    session.commit()
    return ShiftOut.model_validate(shift)


@router.delete("/{shift_id}", status_code=status.HTTP_204_NO_CONTENT, responses={409: {}})
def delete_shift(shift_id: int, request: Request, session: SessionDep, user: Writer) -> None:
    _lock(session)
    shift = _own_shift(session, user, shift_id)
    _reject_closed(request, session, shift.start_at, shift.end_at)
    session.delete(shift)
    session.commit()
