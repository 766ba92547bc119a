"""The alert lifecycle: open → acknowledged → resolved, de-duplication, cooldown, auto-resolve
and escalation.  Every state change records an ``alert_event`` and enqueues its notifications in
``alert_outbox`` inside the caller's transaction (nothing is sent from here).

Rules (``now`` is wall-clock time, ``data_end`` the end of the detector's data):
- the detector reports one finding per event and keeps reporting it on every pass over the
  window; a finding not newer (``detected_at``) than the key's last alert is that alert's event
  and changes nothing; a new finding older than ``open_within`` is history and is ignored;
- one active (open/acknowledged) alert per (site, unit, kind, row or meter): a new event of that key while
  one is active refreshes it (magnitude, evidence, messages);
- a new event less than ``cooldown`` after the key's last alert was resolved: if a person resolved
  it, it stays resolved (they decided; after the cooldown a still-fresh event opens a new alert);
  if it had recovered by itself, the same alert is reopened (a relapse: visible on MQTT and in the
  API, no new message to people; its acknowledgement and escalation stand);
- an active alert auto-resolves (resolution ``recovered``) when the recovery signal says so
  (``recovery.py``: the figure back to its pre-onset level over the trailing window);
- an alert still ``open`` ``escalation`` after it opened (or relapsed) is escalated, once, to the
  managers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.alerts.config import AlertsConfig, Event, Person
from analytics.alerts.dispatch import utcnow
from analytics.alerts.findings import Finding, latest_per_key
from analytics.alerts.headline import more_urgent
from analytics.alerts.models import ACTIVE, Alert, AlertEvent, OutboxMessage, stored_row
from analytics.alerts.payload import alert_object
from analytics.alerts.routing import Router


class LifecycleError(Exception):
    """A transition that is not allowed from the alert's current status (HTTP 409)."""


@dataclass(frozen=True, slots=True)
class Policy:
    cooldown: dt.timedelta = dt.timedelta(hours=6)
    escalation: dt.timedelta = dt.timedelta(minutes=30)
    open_within: dt.timedelta = dt.timedelta(hours=24)

    @classmethod
    def from_config(cls, cfg: AlertsConfig) -> Policy:
        return cls(
            cooldown=dt.timedelta(minutes=cfg.cooldown_minutes),
            escalation=dt.timedelta(minutes=cfg.escalation_minutes),
            open_within=dt.timedelta(hours=cfg.open_within_hours),
        )


@dataclass(frozen=True, slots=True)
class Route:
    """A channel name and the lifecycle events it is told about."""

    channel: str
    events: frozenset[str]


ALL_EVENTS = frozenset({"opened", "reopened", "acknowledged", "escalated", "resolved"})


def routes_from_config(cfg: AlertsConfig) -> list[Route]:
    routes = []
    if cfg.mqtt.enabled:
        routes.append(Route("mqtt", ALL_EVENTS))  # the retained topic mirrors every state
    routes += [Route(w.name, frozenset(w.events)) for w in cfg.webhooks]
    if cfg.smtp is not None:
        routes.append(Route("email", frozenset(cfg.smtp.events)))
    return routes


@dataclass(slots=True)
class PassResult:
    opened: list[Alert] = field(default_factory=list)
    reopened: list[Alert] = field(default_factory=list)
    refreshed: list[Alert] = field(default_factory=list)
    resolved: list[Alert] = field(default_factory=list)
    absorbed: list[str] = field(default_factory=list)  # keys kept quiet by the cooldown


class AlertBook:
    """Lifecycle operations on one session; the caller commits."""

    def __init__(
        self,
        session: Session,
        site: str,
        policy: Policy,
        routes: Sequence[Route],
        router: Router | None = None,
    ) -> None:
        self.s = session
        self.site = site
        self.policy = policy
        self.routes = list(routes)
        self.router = router

    # -- the detector pass ----------------------------------------------------------------------

    def apply_pass(
        self,
        findings: Iterable[Finding],
        data_end: dt.datetime,
        now: dt.datetime,
        recovered: Callable[[Alert], bool | None] | None = None,
        units: Collection[str] | None = None,
    ) -> PassResult:
        """Feed one detector pass; ``recovered(alert)`` is the recovery signal (None: can't tell).
        ``units``: the park's houses now; an open alert of a house no longer in it is resolved
        (``unit_removed``): nothing would ever judge it again, and it stayed open for ever."""
        result = PassResult()
        latest = latest_per_key(findings, self.site)
        last_alerts = self._latest(list(latest))
        for key, f in latest.items():
            last = last_alerts.get(key)
            if last is not None and f.detected_at <= last.detected_at:
                continue  # that alert's own event, reported again by this pass
            if f.detected_at < data_end - self.policy.open_within:
                continue  # an old event from before anyone was watching
            if last is not None and last.status in ACTIVE:
                self._refresh(last, f, data_end)
                self._event(last, now, "updated", None, {"magnitude_pct": f.magnitude_pct})
                result.refreshed.append(last)
            else:
                self._open_or_reopen(key, f, last, data_end, now, result)
        for alert in self._active():
            if units is not None and alert.unit not in units:
                self._close(alert, now, None, "unit_removed", {"data_end": data_end.isoformat()})
                result.resolved.append(alert)
            elif recovered is not None and recovered(alert) is True:
                self._close(alert, now, None, "recovered", {"data_end": data_end.isoformat()})
                result.resolved.append(alert)
        self.s.flush()
        return result

    def escalate_due(self, now: dt.datetime) -> list[Alert]:
        due = self.s.scalars(
            select(Alert).where(
                Alert.site == self.site,
                Alert.status == "open",
                Alert.escalated_at.is_(None),
                Alert.opened_at <= now - self.policy.escalation,
            )
        ).all()
        people = self.router.escalation() if self.router else []
        for alert in due:
            alert.escalated_at = now
            self._event(alert, now, "escalated", None, {"to": [p.name for p in people]})
            self._notify(alert, "escalated", now, people)
        self.s.flush()
        return list(due)

    # -- people acting --------------------------------------------------------------------------

    def acknowledge(self, alert: Alert, actor: str, now: dt.datetime, note: str | None = None) -> Alert:
        if alert.status != "open":
            raise LifecycleError(
                f"alert {alert.id} is {alert.status}, only an open alert can be acknowledged"
            )
        alert.status = "acknowledged"
        alert.acknowledged_at = now
        alert.acknowledged_by = actor
        self._event(alert, now, "acknowledged", actor, {"note": note} if note else {})
        self._notify(alert, "acknowledged", now, [])
        self.s.flush()
        return alert

    def resolve(self, alert: Alert, actor: str, now: dt.datetime, note: str | None = None) -> Alert:
        if alert.status not in ACTIVE:
            raise LifecycleError(f"alert {alert.id} is already {alert.status}")
        self._close(alert, now, actor, "manual", {"note": note} if note else {})
        self.s.flush()
        return alert

    # -- internals ------------------------------------------------------------------------------

    def _active(self) -> Sequence[Alert]:
        return self.s.scalars(select(Alert).where(Alert.site == self.site, Alert.status.in_(ACTIVE))).all()

    def _latest(self, keys: list[str]) -> dict[str, Alert]:
        """The most recent alert of each key (one query per 500 keys, not one per key)."""
        out: dict[str, Alert] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            for a in self.s.scalars(select(Alert).where(Alert.dedupe_key.in_(chunk)).order_by(Alert.id)):
                out[a.dedupe_key] = a  # ascending ids: the last one wins
        return out

    def _open_or_reopen(
        self,
        key: str,
        f: Finding,
        last: Alert | None,
        data_end: dt.datetime,
        now: dt.datetime,
        result: PassResult,
    ) -> None:
        if (
            last is not None
            and last.resolved_at is not None
            and now - last.resolved_at < self.policy.cooldown
        ):
            if last.resolution == "manual":
                result.absorbed.append(key)
                return
            # A relapse continues the episode: people are not told of it, so an acknowledgement
            # and an escalation already made stand (no "not acknowledged" escalation about an
            # alert someone took on, no second escalation of one alert).
            if last.acknowledged_at is not None:
                last.status = "acknowledged"
            else:
                last.status, last.opened_at = "open", now  # escalation counts from the relapse
            last.resolved_at = last.resolved_by = last.resolution = None
            self._refresh(last, f, data_end)
            self._event(last, now, "reopened", None, {"within_cooldown": True})
            self._notify(last, "reopened", now, [])
            result.reopened.append(last)
            return
        people = self.router.for_unit(f.unit, now) if self.router else []
        alert = Alert(
            site=self.site,
            unit=f.unit,
            kind=f.kind,
            row=stored_row(f.row),
            dedupe_key=key,
            status="open",
            opened_at=now,
            recipients=[p.name for p in people],
        )
        self._refresh(alert, f, data_end)
        self.s.add(alert)
        self.s.flush()  # assigns the id the published object carries
        self._event(alert, now, "opened", None, {"to": alert.recipients})
        self._notify(alert, "opened", now, people)
        result.opened.append(alert)

    @staticmethod
    def _refresh(alert: Alert, f: Finding, data_end: dt.datetime) -> None:
        alert.detected_at = f.detected_at
        alert.onset = f.onset
        alert.magnitude_pct = f.magnitude_pct
        alert.message = f.message
        alert.message_zh = f.message_zh
        alert.evidence = f.evidence
        alert.last_seen_at = data_end

    def _close(
        self, alert: Alert, now: dt.datetime, actor: str | None, resolution: str, detail: dict
    ) -> None:  # type: ignore[type-arg]
        alert.status = "resolved"
        alert.resolved_at = now
        alert.resolved_by = actor
        alert.resolution = resolution
        self._event(alert, now, "resolved", actor, {"resolution": resolution, **detail})
        self._notify(alert, "resolved", now, [])

    def _event(self, alert: Alert, now: dt.datetime, action: str, actor: str | None, detail: dict) -> None:  # type: ignore[type-arg]
        self.s.add(AlertEvent(alert_id=alert.id, at=now, action=action, actor=actor, detail=detail))

    def _notify(self, alert: Alert, event: Event | str, now: dt.datetime, people: Sequence[Person]) -> None:
        payload = {
            "event": event,
            "alert": alert_object(alert),
            "recipients": [p.model_dump(exclude_none=True) for p in people],
        }
        for route in self.routes:
            if event in route.events:
                self._enqueue(route.channel, alert, event, payload)
        if any(r.channel == "mqtt" for r in self.routes):
            self._keep_retained_on_headline(alert)

    def _keep_retained_on_headline(self, changed: Alert) -> None:
        """Publish the unit's more urgent alert again after ``changed`` (``headline``).  The
        delivery re-checks this against what is committed then (``Dispatcher``): an alert opened
        by a transaction this one cannot see yet is caught there."""
        if changed.status == "open":
            return
        self.s.flush()
        head = more_urgent(self.s, self.site, changed.unit, changed.status, changed.id)
        if head is not None:
            self._enqueue("mqtt", head, "republished", {"event": "republished", "alert": alert_object(head)})

    def _enqueue(self, channel: str, alert: Alert, event: str, payload: dict) -> None:  # type: ignore[type-arg]
        sent_from = utcnow()
        self.s.add(
            OutboxMessage(
                channel=channel,
                alert_id=alert.id,
                event=event,
                # delivery_id: the same on every retry of this message, so a receiver can drop a
                # copy sent again after a crash between sending and recording it (at-least-once).
                payload={"recipients": [], "delivery_id": uuid.uuid4().hex, **payload},
                # Delivery runs on the wall clock even when the lifecycle replays
                # simulated time (the demo's backfill): retries and give-up stay real.
                created_at=sent_from,
                next_attempt_at=sent_from,
                status="pending",
                attempts=0,
            )
        )
