"""Workers: CRUD with filters; ID numbers masked, unmasked only by payroll with an audit record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select

from api import national_id
from api.deps import KeysDep, SessionDep, only_roles, require_roles
from api.models import Household, User, Worker
from api.routes._common import (
    IdFilter,
    Limit,
    Offset,
    audit,
    bad_request,
    columns,
    get_or_404,
    json_response,
    no_store,
    page_rows,
)
from api.schemas.common import Page, Printable
from api.schemas.people import UnmaskIn, WorkerIn, WorkerLookup, WorkerOut, WorkerPatch, WorkerSecrets
from api.services.workers import (
    WORKER_OUT_COLUMNS,
    NewWorker,
    add_workers,
    open_field,
    seal_field,
    worker_out,
)

router = APIRouter(prefix="/workers", tags=["workers"])
Reader = Annotated[User, require_roles("manager", "supervisor", "payroll")]
Writer = Annotated[User, require_roles("manager")]


@router.get("", response_model=Page[WorkerOut], responses={400: {}})
def list_workers(
    session: SessionDep,
    keys: KeysDep,
    _: Reader,
    household_id: IdFilter = None,
    name: Annotated[str | None, Query(max_length=80), Printable] = None,
    national_id_number: Annotated[
        str | None,
        Query(
            alias="national_id",
            max_length=18,
            description="prefer POST /workers/lookup: a URL is logged (the API's own access log "
            "redacts this value, proxies may not)",
        ),
    ] = None,
    active: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    stmt = select(*columns(Worker, *WORKER_OUT_COLUMNS)).order_by(Worker.id)
    if household_id is not None:
        stmt = stmt.where(Worker.household_id == household_id)
    if name:
        stmt = stmt.where(Worker.name == name)
    if active is not None:
        stmt = stmt.where(Worker.active.is_(active))
    if national_id_number:
        # Exact lookup through the keyed hash: the plain number is never stored or compared.
        try:
            stmt = stmt.where(
                Worker.national_id_hash == keys.lookup_hash(national_id.normalize(national_id_number))
            )
        except ValueError as exc:
            raise bad_request(str(exc)) from None
    rows, total = page_rows(session, stmt, limit, offset)
    return json_response(
        Page[WorkerOut](items=[worker_out(keys, w) for w in rows], total=total, limit=limit, offset=offset)
    )


@router.post("/lookup", response_model=Page[WorkerOut])
def lookup_worker(body: WorkerLookup, session: SessionDep, keys: KeysDep, _: Reader) -> Response:
    """The worker with this ID number (0 or 1 items), the number sent in the body, not the URL."""
    stmt = (
        select(*columns(Worker, *WORKER_OUT_COLUMNS))
        .where(Worker.national_id_hash == keys.lookup_hash(body.national_id))
        .order_by(Worker.id)
    )
    rows = session.connection().execute(stmt).all()  # the hash is unique: at most one row
    return json_response(
        Page[WorkerOut](items=[worker_out(keys, w) for w in rows], total=len(rows), limit=1, offset=0)
    )


@router.post("", response_model=WorkerOut, status_code=status.HTTP_201_CREATED, responses={409: {}})
def create_worker(body: WorkerIn, session: SessionDep, keys: KeysDep, _: Writer) -> WorkerOut:
    get_or_404(session, Household, body.household_id)
    new = NewWorker(
        name=body.name,
        national_id=body.national_id,
        household_id=body.household_id,
        phone=body.phone,
        bank_account=body.bank_account,
        full_time=body.full_time,
        hired_on=body.hired_on,
    )
    (w,) = add_workers(session, keys, [new])
    session.commit()
    return worker_out(keys, w)


@router.get("/{worker_id}", response_model=WorkerOut)
def get_worker(worker_id: int, session: SessionDep, keys: KeysDep, _: Reader) -> WorkerOut:
    return worker_out(keys, get_or_404(session, Worker, worker_id))


@router.patch("/{worker_id}", response_model=WorkerOut)
def update_worker(
    worker_id: int, body: WorkerPatch, session: SessionDep, keys: KeysDep, _: Writer
) -> WorkerOut:
    w = get_or_404(session, Worker, worker_id)
    data = body.model_dump(exclude_unset=True)
    if data.get("household_id") is not None:
        get_or_404(session, Household, data["household_id"])
    for key in ("name", "household_id", "full_time", "active", "hired_on"):
        if data.get(key) is not None:
            setattr(w, key, data[key])
    for field in ("phone", "bank_account"):
        if field in data:
            seal_field(keys, w, f"{field}_enc", data[field])
    session.commit()
    return worker_out(keys, w)


@router.post("/{worker_id}/unmask", response_model=WorkerSecrets)
def unmask_worker(
    worker_id: int,
    body: UnmaskIn,
    response: Response,
    session: SessionDep,
    keys: KeysDep,
    user: Annotated[User, only_roles("payroll")],
) -> WorkerSecrets:
    """The plain ID number, phone and bank account, for paying wages.  Payroll only; audited."""
    no_store(response)  # plain secrets: no cache keeps a copy
    w = get_or_404(session, Worker, worker_id)
    audit(session, user, "unmask", "worker", w.id, body.reason)
    session.commit()
    return WorkerSecrets(
        id=w.id,
        national_id=keys.unseal(w.national_id_enc, w.id, "national_id_enc"),
        phone=open_field(keys, w, "phone_enc"),
        bank_account=open_field(keys, w, "bank_account_enc"),
    )
