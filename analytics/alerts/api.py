"""The alert API: ``/api/v1/alerts`` list (filters + pagination), get one with its history,
acknowledge, resolve.

Roles (CONTRACTS §7), enforced here on the server:
- ``admin``, ``manager``: every alert;
- ``supervisor``: only alerts of the units linked to them (others answer 404, like the shifts);
- ``payroll``, ``poverty_office``: no access (403) — alerts are operations, not wages or reports.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from analytics.alerts.config import AlertsConfig, load_alerts_config
from analytics.alerts.dispatch import utcnow
from analytics.alerts.lifecycle import AlertBook, LifecycleError, Policy, routes_from_config
from analytics.alerts.models import Alert
from analytics.alerts.payload import alert_object
from analytics.alerts.schemas import ActionIn, AlertDetail, AlertOut, AlertPage, EventOut, Since, Status
from api.deps import Role, SessionDep, require_roles, units_of
from api.models import User
from eggwatch.settings import ConfigError

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
ALERT_ROLES: tuple[Role, ...] = ("manager", "supervisor")  # and admin, as every route
Operator = Annotated[User, require_roles(*ALERT_ROLES)]
UnitParam = Annotated[str | None, Query(pattern=r"^[a-z0-9_-]{1,64}$")]
KindParam = Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,32}$")]


def _config(request: Request) -> AlertsConfig:
    """The alerts config (which channels get which events), loaded once per app."""
    cfg = getattr(request.app.state, "alerts_config", None)
    if cfg is None:
        try:
            cfg = load_alerts_config(None, request.app.state.settings)
        except ConfigError as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"alerts configuration: {exc}") from None
        request.app.state.alerts_config = cfg
    return cfg  # type: ignore[no-any-return]


def _visible(session: Session, user: User, alert_id: int, lock: bool = False) -> Alert:
    alert = session.get(Alert, alert_id, with_for_update=lock) if 0 < alert_id < 2**31 else None
    units = units_of(session, user)
    if alert is None or (units is not None and alert.unit not in units):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id} not found")
    return alert


def _detail(alert: Alert) -> AlertDetail:
    events = [EventOut(at=e.at, action=e.action, actor=e.actor, detail=e.detail or {}) for e in alert.events]
    return AlertDetail(**alert_object(alert), events=events)


@router.get("", response_model=AlertPage)
def list_alerts(
    session: SessionDep,
    user: Operator,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    unit: UnitParam = None,
    kind: KindParam = None,
    since: Annotated[Since | None, Query(description="opened at or after (ISO 8601 with offset)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AlertPage:
    stmt = select(Alert)
    if status_:
        stmt = stmt.where(Alert.status == status_)
    if unit:
        stmt = stmt.where(Alert.unit == unit)
    if kind:
        stmt = stmt.where(Alert.kind == kind)
    if since is not None:  # aware and within 2000-2100 (``Since``)
        stmt = stmt.where(Alert.opened_at >= since)
    units = units_of(session, user)
    if units is not None:
        stmt = stmt.where(Alert.unit.in_(sorted(units)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Alert.opened_at.desc(), Alert.id.desc()).limit(limit).offset(offset))
    return AlertPage(
        items=[AlertOut(**alert_object(a)) for a in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{alert_id}", response_model=AlertDetail)
def get_alert(alert_id: int, session: SessionDep, user: Operator) -> AlertDetail:
    return _detail(_visible(session, user, alert_id))


def _act(
    request: Request, session: Session, user: User, alert_id: int, action: str, note: str | None
) -> AlertDetail:
    cfg = _config(request)
    alert = _visible(session, user, alert_id, lock=True)
    book = AlertBook(session, alert.site, Policy.from_config(cfg), routes_from_config(cfg))
    try:
        if action == "acknowledge":
            book.acknowledge(alert, user.username, utcnow(), note)
        else:
            book.resolve(alert, user.username, utcnow(), note)
        session.commit()
    except LifecycleError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    except StaleDataError:
        session.rollback()
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"alert {alert_id} changed meanwhile; reload and retry"
        ) from None
    session.refresh(alert)
    return _detail(alert)


@router.post("/{alert_id}/acknowledge", response_model=AlertDetail, responses={404: {}, 409: {}})
def acknowledge_alert(
    alert_id: int,
    request: Request,
    session: SessionDep,
    user: Operator,
    body: Annotated[ActionIn | None, Body()] = None,
) -> AlertDetail:
    return _act(request, session, user, alert_id, "acknowledge", body.note if body else None)


@router.post("/{alert_id}/resolve", response_model=AlertDetail, responses={404: {}, 409: {}})
def resolve_alert(
    alert_id: int,
    request: Request,
    session: SessionDep,
    user: Operator,
    body: Annotated[ActionIn | None, Body()] = None,
) -> AlertDetail:
    return _act(request, session, user, alert_id, "resolve", body.note if body else None)
