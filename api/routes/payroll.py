"""Payroll runs: compute a draft, approve (immutable from then on), pay; adjustments afterwards."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from sqlalchemy import func, select

from api.deps import ConfigDep, Role, SessionDep, open_store, require_roles
from api.models import PayrollAdjustment, PayrollLine, PayrollRun, User, Worker, utcnow
from api.routes._common import (
    MAX_ID,
    IdFilter,
    Limit,
    Offset,
    audit,
    columns,
    get_or_404,
    json_response,
    page,
    page_rows,
)
from api.schemas.common import Page, to_fen, to_yuan
from api.schemas.pay import AdjustmentIn, AdjustmentOut, LineOut, RunIn, RunOut
from api.services.locks import CLOSING, RUNS, lock
from api.services.payroll import (
    Counts,
    inputs_hash,
    load_slices,
    machine_counts,
    run_payroll,
    snapshot_households,
)
from api.services.site import site_of, tz_of
from eggwatch.store.base import TelemetryStore

router = APIRouter(prefix="/payroll", tags=["payroll"])
PAYROLL_READERS: tuple[Role, ...] = ("manager", "payroll")  # and admin
Reader = Annotated[User, require_roles(*PAYROLL_READERS)]
Payroll = Annotated[User, require_roles("payroll")]


# What a line of ``GET /runs/{id}/lines`` reads from ``payroll_lines``.
LINE_COLUMNS = (
    "worker_id", "hours", "days", "eggs", "cases", "trays", "base_fen", "piece_fen", "topup_fen",
    "deductions_fen", "net_fen", "flags",
)  # fmt: skip


def _out(session: SessionDep, run: PayrollRun) -> RunOut:
    n, net = session.execute(
        select(func.count(PayrollLine.id), func.coalesce(func.sum(PayrollLine.net_fen), 0)).where(
            PayrollLine.run_id == run.id
        )
    ).one()
    adj = session.scalar(
        select(func.coalesce(func.sum(PayrollAdjustment.amount_fen), 0)).where(
            PayrollAdjustment.run_id == run.id
        )
    )
    return RunOut(
        id=run.id,
        period_start=run.period_start,
        period_end=run.period_end,
        status=run.status,
        min_monthly=to_yuan(run.min_monthly_fen),
        min_hourly=to_yuan(run.min_hourly_fen),
        created_at=run.created_at,
        approved_at=run.approved_at,
        paid_at=run.paid_at,
        workers=int(n),
        net_total=to_yuan(int(net) + int(adj or 0)),
    )


def _telemetry(request: Request) -> TelemetryStore:
    # Paying piece rates without machine counts would underpay silently: 503 instead.  Not StoreDep:
    # a missing or closed run must still answer 404 or 409 first.
    return open_store(request, "telemetry store unavailable: cannot count output")


def _conflict(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail)


@router.get("/runs", response_model=Page[RunOut])
def list_runs(
    session: SessionDep,
    _: Reader,
    status_filter: Annotated[Literal["draft", "approved", "paid"] | None, Query(alias="status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[RunOut]:
    stmt = select(PayrollRun).order_by(PayrollRun.period_start.desc(), PayrollRun.id.desc())
    if status_filter:
        stmt = stmt.where(PayrollRun.status == status_filter)
    rows, total = page(session, stmt, limit, offset)
    return Page(items=[_out(session, r) for r in rows], total=total, limit=limit, offset=offset)


@router.post(
    "/runs", response_model=RunOut, status_code=status.HTTP_201_CREATED, responses={409: {}, 503: {}}
)
def create_run(
    body: RunIn, request: Request, session: SessionDep, config: ConfigDep, user: Payroll
) -> RunOut:
    lock(session, RUNS)  # until commit: a concurrent create waits, then sees this run
    clash = session.scalar(
        select(PayrollRun.id).where(
            PayrollRun.period_start < body.period_end, PayrollRun.period_end > body.period_start
        )
    )
    if clash is not None:
        raise _conflict(f"payroll run {clash} already covers part of this period")
    run = PayrollRun(
        period_start=body.period_start,
        period_end=body.period_end,
        status="draft",
        min_monthly_fen=to_fen(config.monthly_minimum),
        min_hourly_fen=to_fen(config.hourly_minimum),
        created_by=user.id,
    )
    session.add(run)
    session.flush()
    run_payroll(session, run, _telemetry(request), site_of(request), tz_of(request), config)
    session.commit()
    return _out(session, run)


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(run_id: int, session: SessionDep, _: Reader) -> RunOut:
    return _out(session, get_or_404(session, PayrollRun, run_id))


@router.post("/runs/{run_id}/recompute", response_model=RunOut, responses={409: {}, 503: {}})
def recompute_run(
    run_id: int, request: Request, session: SessionDep, config: ConfigDep, _: Payroll
) -> RunOut:
    lock(session, RUNS)  # not approved meanwhile
    run = get_or_404(session, PayrollRun, run_id)
    if run.status != "draft":
        raise _conflict(f"run {run.id} is {run.status}: it is immutable, add adjustments instead")
    run_payroll(session, run, _telemetry(request), site_of(request), tz_of(request), config)
    session.commit()
    return _out(session, run)


def _recount(request: Request, session: SessionDep, run: PayrollRun) -> Counts:
    """The machine counts of ``run``'s shifts, re-read from the store for approval's inputs check.

    The store read is slow (a month of counters), so it runs outside any lock and transaction: the
    shifts are read, the read transaction ended, then the store is read.  A shift written meanwhile
    changes the database part of the hash, which approval re-reads under its locks."""
    store = open_store(
        request, "telemetry store unavailable: cannot re-read the machine counts to check the run"
    )
    tz = tz_of(request)
    slices = load_slices(session, run.period_start, run.period_end, tz)
    session.rollback()  # nothing written yet: end the transaction (and expire ``run``) before the store
    return machine_counts(store, site_of(request), tz, run.period_start, run.period_end, slices)


@router.post("/runs/{run_id}/approve", response_model=RunOut, responses={409: {}, 503: {}})
def approve_run(run_id: int, request: Request, session: SessionDep, user: Payroll) -> RunOut:
    """Approve a draft whose inputs (shifts, rules, workers' terms and the machine counts, re-read
    from the telemetry store: 503 without one) are those it was computed from (else 409)."""
    run = get_or_404(session, PayrollRun, run_id)
    if run.status != "draft":
        raise _conflict(f"run {run.id} is already {run.status}")
    counts = _recount(request, session, run)
    lock(session, RUNS)  # one approval at a time, none while a run is created or recomputed
    lock(session, CLOSING)  # and no shift written meanwhile
    run = get_or_404(session, PayrollRun, run_id)
    # As it is now, under the locks: the identity map's copy was loaded before them (``_recount``
    # reads the period after its rollback), so a concurrent approval or payment would go unseen.
    session.refresh(run)
    if run.status != "draft":
        raise _conflict(f"run {run.id} is already {run.status}")
    clash = session.scalar(
        select(PayrollRun.id).where(
            PayrollRun.id != run.id,
            PayrollRun.status.in_(("approved", "paid")),
            PayrollRun.period_start < run.period_end,
            PayrollRun.period_end > run.period_start,
        )
    )
    if clash is not None:
        raise _conflict(f"payroll run {clash} is approved and covers part of this period")
    if run.inputs_hash != inputs_hash(session, run.period_start, run.period_end, tz_of(request), counts):
        raise _conflict(
            f"run {run.id}: shifts, rules, workers' terms or machine counts of the period changed since it "
            "was computed; recompute first"
        )
    snapshot_households(session, run)
    run.status, run.approved_by, run.approved_at = "approved", user.id, utcnow()
    audit(session, user, "approve", "payroll_run", run.id, f"{run.period_start}..{run.period_end}")
    session.commit()
    return _out(session, run)


@router.post("/runs/{run_id}/pay", response_model=RunOut, responses={409: {}})
def mark_paid(run_id: int, session: SessionDep, user: Payroll) -> RunOut:
    lock(session, RUNS)
    run = get_or_404(session, PayrollRun, run_id)
    if run.status != "approved":
        raise _conflict(f"run {run.id} is {run.status}; only an approved run can be paid")
    run.status, run.paid_at = "paid", utcnow()
    audit(session, user, "pay", "payroll_run", run.id)
    session.commit()
    return _out(session, run)


@router.delete("/runs/{run_id}", status_code=status.HTTP_204_NO_CONTENT, responses={409: {}})
def delete_run(run_id: int, session: SessionDep, _: Payroll) -> None:
    lock(session, RUNS)
    run = get_or_404(session, PayrollRun, run_id)
    if run.status != "draft":
        raise _conflict(f"run {run.id} is {run.status}; only drafts can be deleted")
    session.delete(run)
    session.commit()


@router.get("/runs/{run_id}/lines", response_model=Page[LineOut])
def list_lines(
    run_id: int,
    session: SessionDep,
    _: Reader,
    worker_id: IdFilter = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    if not 0 < run_id <= MAX_ID:  # names no run; PostgreSQL would refuse it in the query (500)
        get_or_404(session, PayrollRun, run_id)
    # One query for the page: the name and the adjustment sum come along with each line.
    adjusted = (
        select(func.coalesce(func.sum(PayrollAdjustment.amount_fen), 0))
        .where(PayrollAdjustment.run_id == run_id, PayrollAdjustment.worker_id == PayrollLine.worker_id)
        .scalar_subquery()
    )
    stmt = (
        select(
            *columns(PayrollLine, *LINE_COLUMNS),
            func.coalesce(Worker.name, "").label("worker_name"),
            adjusted.label("adjustments_fen"),
        )
        .outerjoin(Worker, Worker.id == PayrollLine.worker_id)
        .where(PayrollLine.run_id == run_id)
        .order_by(PayrollLine.worker_id)
    )
    if worker_id is not None:
        stmt = stmt.where(PayrollLine.worker_id == worker_id)
    rows, total = page_rows(session, stmt, limit, offset)
    if not rows:  # lines imply their run exists; without lines, tell "no such run" from "empty page"
        get_or_404(session, PayrollRun, run_id)
    items = [
        LineOut(
            worker_id=r.worker_id,
            worker_name=r.worker_name,
            hours=r.hours,
            days=r.days,
            eggs=r.eggs,
            cases=r.cases,
            trays=r.trays,
            base_pay=to_yuan(r.base_fen),
            piece_earnings=to_yuan(r.piece_fen),
            topup=to_yuan(r.topup_fen),
            deductions=to_yuan(r.deductions_fen),
            adjustments=to_yuan(int(r.adjustments_fen)),
            net=to_yuan(r.net_fen + int(r.adjustments_fen)),
            flags=[f for f in r.flags.split(",") if f],
        )
        for r in rows
    ]
    return json_response(Page[LineOut](items=items, total=total, limit=limit, offset=offset))


@router.post(
    "/runs/{run_id}/adjustments",
    response_model=AdjustmentOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {}},
)
def add_adjustment(run_id: int, body: AdjustmentIn, session: SessionDep, user: Payroll) -> AdjustmentOut:
    """A correction of one worker's pay in an approved or paid run.  The worker must have a line in
    the run, and their net pay (line net + all adjustments) must stay at or above 0."""
    lock(session, RUNS)  # adjustments of a run are checked one after the other
    run = get_or_404(session, PayrollRun, run_id)
    if run.status == "draft":
        raise _conflict(f"run {run.id} is a draft: fix the shifts or rules and recompute instead")
    get_or_404(session, Worker, body.worker_id)
    net = session.scalar(
        select(PayrollLine.net_fen).where(
            PayrollLine.run_id == run.id, PayrollLine.worker_id == body.worker_id
        )
    )
    if net is None:
        raise _conflict(
            f"worker {body.worker_id} has no line in run {run.id} (no shifts in the period): "
            "an adjustment corrects a line; pay other work in the run of its period"
        )
    adjusted = int(
        session.scalar(
            select(func.coalesce(func.sum(PayrollAdjustment.amount_fen), 0)).where(
                PayrollAdjustment.run_id == run.id, PayrollAdjustment.worker_id == body.worker_id
            )
        )
        or 0
    )
    amount = to_fen(body.amount)
    if net + adjusted + amount < 0:
        raise _conflict(
            f"worker {body.worker_id}'s net pay in run {run.id} would become {to_yuan(net + adjusted + amount):.2f}: "
            f"it is {to_yuan(net + adjusted):.2f}, so at most {to_yuan(net + adjusted):.2f} can be deducted"
        )
    adj = PayrollAdjustment(
        run_id=run.id,
        worker_id=body.worker_id,
        amount_fen=amount,
        reason=body.reason,
        created_by=user.id,
    )
    session.add(adj)
    session.flush()
    audit(
        session,
        user,
        "adjust",
        "payroll_run",
        run.id,
        f"worker {body.worker_id}: {body.amount} ({body.reason})",
    )
    session.commit()
    return AdjustmentOut(
        id=adj.id, run_id=run.id, worker_id=adj.worker_id, amount=to_yuan(adj.amount_fen), reason=adj.reason,
        created_at=adj.created_at,
    )  # fmt: skip
