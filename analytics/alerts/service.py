"""The live analytics loop: every ``interval_s`` load the recent hourly history from the telemetry
store, run the detector, feed its findings to the lifecycle, escalate, and let the per-channel
workers deliver the outbox.

In-process (the demo)::

    svc = AlertService(settings, sessions, store, park, config=cfg)
    svc.start()          # loop thread + one delivery thread per channel
    ...
    svc.stop()

or one pass at a time: ``svc.run_pass(now)`` (then ``svc.dispatcher.deliver_due(name)``).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from analytics.alerts.channels import Channel
from analytics.alerts.config import AlertsConfig, load_alerts_config
from analytics.alerts.dispatch import Dispatcher, utcnow
from analytics.alerts.findings import Finding
from analytics.alerts.lifecycle import AlertBook, PassResult, Policy, routes_from_config
from analytics.alerts.models import Alert
from analytics.alerts.recovery import recovered
from analytics.alerts.routing import Roster, Router, default_roster
from eggwatch.park import Park
from eggwatch.settings import Settings
from eggwatch.store.base import TelemetryStore
from eggwatch.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

PASSES = Counter("eggwatch_alert_passes", "Live detection passes by result", ["result"])

LoadHourly = Callable[[TelemetryStore, Park, dt.datetime, dt.datetime], Any]
Detect = Callable[[Any], Sequence[Any]]


def build_channels(cfg: AlertsConfig, settings: Settings, tz: ZoneInfo | None = None) -> dict[str, Channel]:
    """The channels the config asks for (constructing them connects to nothing yet); message
    times in ``tz`` (default: the config's timezone, else UTC)."""
    tz = tz or ZoneInfo(cfg.timezone or "UTC")
    from analytics.alerts.channels.email import EmailChannel
    from analytics.alerts.channels.mqtt import MqttChannel
    from analytics.alerts.channels.webhook import WebhookChannel

    channels: dict[str, Channel] = {}
    if cfg.mqtt.enabled:
        channels["mqtt"] = MqttChannel(settings.broker, qos=cfg.mqtt.qos, timeout_s=cfg.mqtt.timeout_s)
    for w in cfg.webhooks:
        channels[w.name] = WebhookChannel(w, tz=tz)
    if cfg.smtp is not None:
        channels["email"] = EmailChannel(cfg.smtp, tz=tz)
    return channels


def _default_load(store: TelemetryStore, park: Park, start: dt.datetime, end: dt.datetime) -> Any:
    from analytics.production import load_hourly

    return load_hourly(store, park, start, end)


def live_detector(window_hours: float, config: Any = None) -> Detect:
    """The detector's live entry point: the events detected in the last ``window_hours`` (the
    lifecycle's own de-duplication makes overlapping windows harmless, and a long window means a
    pass skipped while the store or the database was away loses nothing); ``config``: the
    detector's settings (a :class:`~analytics.detector.DetectorConfig`, default its defaults)."""

    def detect(frame: Any) -> Sequence[Any]:
        from analytics.detector import detect_live

        return detect_live(frame, config, window_hours=max(1, round(window_hours)))

    return detect


@dataclass(slots=True)
class PassReport:
    at: dt.datetime
    data_end: dt.datetime
    ok: bool
    findings: int = 0
    result: PassResult = field(default_factory=PassResult)
    escalated: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        r = self.result
        return (
            f"pass ok={self.ok} findings={self.findings} opened={len(r.opened)} reopened={len(r.reopened)} "
            f"refreshed={len(r.refreshed)} resolved={len(r.resolved)} escalated={len(self.escalated)} "
            f"in {self.seconds:.2f}s"
        )


class AlertService:
    def __init__(
        self,
        settings: Settings,
        session_factory: Callable[[], Any],
        store: TelemetryStore,
        park: Park,
        channels: Mapping[str, Channel] | None = None,
        *,
        config: AlertsConfig | None = None,
        roster: Roster | None = None,
        load_hourly: LoadHourly | None = None,
        detect: Detect | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.config = config or load_alerts_config(None, settings)
        self.site = self.config.site or settings.site
        self.sessions = session_factory
        self.store = store
        self.park = park
        self.clock = clock
        self.policy = Policy.from_config(self.config)
        self.routes = routes_from_config(self.config)
        roster = roster if roster is not None else default_roster(session_factory)
        self.router = Router(roster, self.config.default_recipients, self.config.managers)
        tz = ZoneInfo(self.config.timezone or park.timezone)
        self.channels = dict(channels) if channels is not None else build_channels(self.config, settings, tz)
        missing = {r.channel for r in self.routes} - set(self.channels)
        if missing:
            raise ValueError(f"no channel object for configured channel(s): {', '.join(sorted(missing))}")
        self.dispatcher = Dispatcher(session_factory, self.channels, self.config.retry)  # wall clock
        if load_hourly is None:
            from analytics.incremental import IncrementalLoad

            # Each pass reloads only the newest hours of its window (analytics/incremental.py).
            load_hourly = IncrementalLoad(_default_load)
        self._load = load_hourly
        self._detect = detect or live_detector(self.config.open_within_hours, self.config.detector_config())
        self._stop = threading.Event()
        self._loop: threading.Thread | None = None

    def book(self, session: Any) -> AlertBook:
        return AlertBook(session, self.site, self.policy, self.routes, self.router)

    def run_pass(self, now: dt.datetime | None = None) -> PassReport:
        """One detection pass over the last ``history_days`` up to the last full hour before now."""
        t0 = time.perf_counter()
        now = now or self.clock()
        data_end = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
        report = PassReport(at=now, data_end=data_end, ok=False)
        findings: list[Finding] = []
        try:
            frame = self._load(
                self.store, self.park, data_end - dt.timedelta(days=self.config.history_days), data_end
            )
            findings = [Finding.from_detector(a) for a in self._detect(frame)]
            report.ok = True
        except StoreUnavailable as exc:  # the store down or unreachable: expected, one line
            log.error("detection pass failed: %s; open alerts are kept as they are", exc)
        except Exception:
            # No data is not "recovered": skip de-dup/auto-resolve this pass, still escalate.
            log.exception("detection pass failed; open alerts are kept as they are")
        report.findings = len(findings)
        for attempt in (1, 2):
            try:
                with self.sessions() as s:
                    book = self.book(s)
                    if report.ok:
                        report.result = book.apply_pass(
                            findings, data_end, now, self._recovery(frame, data_end), self._units()
                        )
                    report.escalated = [a.id for a in book.escalate_due(now)]
                    s.commit()
                break
            except (StaleDataError, IntegrityError):
                # Someone acknowledged/resolved an alert, or another instance opened the same
                # one, meanwhile: apply the pass again on fresh rows.
                if attempt == 2:
                    raise
                log.info("an alert changed during the pass; applying it again")
        self.dispatcher.wake()
        self.dispatcher.prune()
        PASSES.labels("ok" if report.ok else "failed").inc()
        report.seconds = time.perf_counter() - t0
        log.info("%s", report.summary())
        return report

    def _units(self) -> set[str] | None:
        """The park's houses and lines; ``None`` (judge none gone) for a park that names none."""
        units = {h.unit for h in self.park.houses} | {line.unit for line in self.park.lines}
        return units or None

    def _recovery(self, frame: Any, data_end: dt.datetime) -> Callable[[Alert], bool | None]:
        hours = self.config.recovery_hours

        def judge(a: Alert) -> bool | None:
            try:
                cause = (a.evidence or {}).get("cause")
                return recovered(frame, a.unit, a.kind, a.row, a.onset, a.detected_at, data_end, hours, cause)
            except Exception:  # a frame we do not understand must not stop the pass
                log.exception("recovery check failed for alert %s", a.id)
                return None

        return judge

    # -- running in the background ------------------------------------------------------------

    def start(self) -> None:
        """Start the delivery workers and the detection loop (daemon threads)."""
        self.dispatcher.start()
        self._stop.clear()
        self._loop = threading.Thread(target=self._run_loop, name="alerts-loop", daemon=True)
        self._loop.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._loop is not None:
            self._loop.join(timeout)
            self._loop = None
        self.dispatcher.stop(timeout)

    def _run_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pass()
            except Exception:  # the database may be briefly away: try again next interval
                PASSES.labels("error").inc()
                log.exception("alert pass failed")
            self._stop.wait(self.config.interval_s)
