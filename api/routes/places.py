"""Work locations (houses, lines) and tasks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlalchemy import select

from api.deps import SessionDep, require_roles
from api.models import Location, Task, User
from api.routes._common import Limit, Offset, get_or_404, page
from api.schemas.common import Page
from api.schemas.work import Kind, LocationIn, LocationOut, TaskIn, TaskOut

router = APIRouter(tags=["locations and tasks"])
Reader = Annotated[User, require_roles("manager", "supervisor", "payroll")]
Writer = Annotated[User, require_roles("manager")]


@router.get("/locations", response_model=Page[LocationOut])
def list_locations(
    session: SessionDep, _: Reader, kind: Kind | None = None, limit: Limit = 50, offset: Offset = 0
) -> Page[LocationOut]:
    stmt = select(Location).order_by(Location.unit)
    if kind:
        stmt = stmt.where(Location.kind == kind)
    rows, total = page(session, stmt, limit, offset)
    return Page(items=[LocationOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/locations", response_model=LocationOut, status_code=status.HTTP_201_CREATED, responses={409: {}}
)
def create_location(body: LocationIn, session: SessionDep, _: Writer) -> LocationOut:
    loc = Location(**body.model_dump())
    session.add(loc)
    session.commit()
    return LocationOut.model_validate(loc)


@router.get("/locations/{location_id}", response_model=LocationOut)
def get_location(location_id: int, session: SessionDep, _: Reader) -> LocationOut:
    return LocationOut.model_validate(get_or_404(session, Location, location_id))


@router.get("/tasks", response_model=Page[TaskOut])
def list_tasks(
    session: SessionDep,
    _: Reader,
    output: Annotated[str | None, Query(pattern="^(eggs|cases|trays|none)$")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[TaskOut]:
    stmt = select(Task).order_by(Task.code)
    if output:
        stmt = stmt.where(Task.output == output)
    rows, total = page(session, stmt, limit, offset)
    return Page(items=[TaskOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.post("/tasks", response_model=TaskOut, status_code=status.HTTP_201_CREATED, responses={409: {}})
def create_task(body: TaskIn, session: SessionDep, _: Writer) -> TaskOut:
    task = Task(**body.model_dump())
    session.add(task)
    session.commit()
    return TaskOut.model_validate(task)


@router.get("/tasks/{task_id}", response_model=TaskOut)
def get_task(task_id: int, session: SessionDep, _: Reader) -> TaskOut:
    return TaskOut.model_validate(get_or_404(session, Task, task_id))
