"""The live loop end to end: a frame from the store → detector findings → lifecycle → outbox →
channels (a real HTTP receiver and the real Mosquitto), recovery and escalation included."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from analytics.alert import DetectorAlert
from analytics.alerts.channels.mqtt import MqttChannel
from analytics.alerts.channels.webhook import WebhookChannel
from analytics.alerts.config import AlertsConfig, Person, Webhook
from analytics.alerts.models import Alert, OutboxMessage
from analytics.alerts.routing import NoRoster
from analytics.alerts.service import AlertService
from eggwatch.mqtt import make_client
from eggwatch.park import House, Park
from eggwatch.settings import BrokerAddress, load_settings
from tests.analytics.alerts.receivers import HttpReceiver, wait_for
from tests.analytics.alerts.test_alerts_recovery import DETECTED, ONSET, RECOVERY, frame


def drop_alert() -> DetectorAlert:
    return DetectorAlert(
        house="house-07",
        kind="laying_drop",
        detected_at=DETECTED,
        onset=ONSET,
        magnitude_pct=9.1,
        row=None,
        message="House 07 laying fell 9.1 points",
        message_zh="7号鸡舍产蛋率下降9.1个百分点",
        evidence={"expected_pct": 92.0, "observed_pct": 82.9},
    )


class Detector:
    """Stands in for the detector: reports the drop once the data reaches its detection hour."""

    def __call__(self, f: Any) -> list[DetectorAlert]:
        end = f.hour_end(f.n_hours - 1)
        return [drop_alert()] if end >= DETECTED else []


def service(
    sessions: Any, channels: dict[str, Any], cfg: AlertsConfig, data_dir: Any, park: Park | None = None
) -> AlertService:
    full = frame()

    def load(_store: Any, _park: Park, start: dt.datetime, end: dt.datetime) -> Any:
        return full.head(full.index_of(end))  # what the store holds up to `end`

    return AlertService(
        load_settings(),
        sessions,
        store=None,  # type: ignore[arg-type]  # the frames come from `load` below, not from a store
        park=park or Park(),
        channels=channels,  # type: ignore[arg-type]
        config=cfg,
        roster=NoRoster(),
        load_hourly=load,
        detect=Detector(),
    )


def test_pass_by_pass(sqlite_sessions: Any, data_dir: Any) -> None:
    hook = HttpReceiver()
    cfg = AlertsConfig(
        mqtt={"enabled": False},
        webhooks=[Webhook(name="ops", url=hook.url)],
        escalation_minutes=30,
        default_recipients=[Person(name="duty", phone="13800138000")],
        managers=[Person(name="boss")],
    )
    svc = service(sqlite_sessions, {"ops": WebhookChannel(cfg.webhooks[0])}, cfg, data_dir)
    try:
        before = svc.run_pass(DETECTED - dt.timedelta(hours=1))
        assert before.ok and before.findings == 0
        r = svc.run_pass(DETECTED + dt.timedelta(minutes=5))
        assert len(r.result.opened) == 1 and r.findings == 1
        svc.dispatcher.deliver_due("ops")
        (opened,) = hook.received
        assert opened.body["event"] == "opened" and opened.body["alert"]["magnitude_pct"] == 9.1
        assert opened.body["recipients"] == [{"name": "duty", "phone": "13800138000"}]
        # Not acknowledged within 30 min: escalated to the manager, once.
        r = svc.run_pass(DETECTED + dt.timedelta(minutes=40))
        assert r.escalated and not r.result.opened
        assert not svc.run_pass(DETECTED + dt.timedelta(minutes=50)).escalated
        # Still low a day later: stays open.  Back to normal: resolved as recovered.
        assert not svc.run_pass(DETECTED + dt.timedelta(hours=20)).result.resolved
        r = svc.run_pass(RECOVERY + dt.timedelta(hours=13))
        assert len(r.result.resolved) == 1
        svc.dispatcher.deliver_due("ops")
        assert [x.body["event"] for x in hook.received] == ["opened", "escalated", "resolved"]
        with sqlite_sessions() as s:
            (a,) = s.scalars(select(Alert)).all()
            assert (a.status, a.resolution) == ("resolved", "recovered")
            assert [e.action for e in a.events] == ["opened", "escalated", "resolved"]
    finally:
        hook.stop()


def test_an_alert_of_a_house_taken_out_of_the_park_is_resolved(sqlite_sessions: Any, data_dir: Any) -> None:
    """Nothing judges a house no longer in park.yaml again: its open alerts stayed open for ever
    (the live audit: 3 alerts after a house was removed and the service restarted)."""
    placed = dt.date(2025, 1, 1)
    cfg = AlertsConfig(mqtt={"enabled": False})
    both = Park(
        houses=tuple(House(unit=u, placed=placed, hens_placed=50_000) for u in ("house-07", "house-01"))
    )
    svc = service(sqlite_sessions, {}, cfg, data_dir, both)
    assert len(svc.run_pass(DETECTED + dt.timedelta(minutes=5)).result.opened) == 1
    assert not svc.run_pass(DETECTED + dt.timedelta(hours=2)).result.resolved  # still in the park
    svc = service(sqlite_sessions, {}, cfg, data_dir, Park(houses=both.houses[1:]))  # restarted without it
    r = svc.run_pass(DETECTED + dt.timedelta(hours=3))
    assert len(r.result.resolved) == 1 and not r.result.opened
    with sqlite_sessions() as s:
        (a,) = s.scalars(select(Alert)).all()
        assert (a.unit, a.status, a.resolution) == ("house-07", "resolved", "unit_removed")


def test_a_failed_detection_pass_changes_nothing(sqlite_sessions: Any, data_dir: Any) -> None:
    cfg = AlertsConfig(mqtt={"enabled": False})
    svc = service(sqlite_sessions, {}, cfg, data_dir)
    svc.run_pass(DETECTED + dt.timedelta(minutes=5))

    def broken(*_a: Any) -> Any:
        raise ConnectionError("store down")

    svc._load = broken
    r = svc.run_pass(RECOVERY + dt.timedelta(hours=13))
    assert not r.ok and not r.result.resolved
    with sqlite_sessions() as s:
        assert s.scalars(select(Alert.status)).all() == ["open"]


@pytest.mark.integration
def test_background_service_publishes_retained_alert(
    sqlite_sessions: Any, data_dir: Any, mqtt_url: str, site: str
) -> None:
    broker = BrokerAddress.parse(mqtt_url)
    cfg = AlertsConfig(site=site, interval_s=3600)
    clock = [DETECTED + dt.timedelta(minutes=5)]
    svc = service(sqlite_sessions, {"mqtt": MqttChannel(broker, timeout_s=5)}, cfg, data_dir)
    svc.clock = lambda: clock[0]
    got: list[dict[str, Any]] = []
    seen = threading.Event()
    sub = make_client(broker, f"t-svc-{uuid.uuid4().hex[:8]}", persistent=False)

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        if msg.payload:
            got.append(orjson.loads(msg.payload))
            seen.set()

    sub.on_message = on_message
    sub.on_connect = lambda c, *_a: c.subscribe(f"eggwatch/v1/{site}/+/alerts", qos=1)
    sub.connect(broker.host, broker.port)
    sub.loop_start()
    svc.start()
    try:
        assert seen.wait(10), "no alert on the MQTT topic"
        assert got[0]["site"] == site and got[0]["house"] == "house-07" and got[0]["status"] == "open"
        assert got[0]["message_zh"] and got[0]["evidence"]["expected_pct"] == 92.0
        wait_for(lambda: svc.dispatcher.pending() == 0, what="the outbox to drain")
        with sqlite_sessions() as s:
            assert s.scalars(select(OutboxMessage.status)).all() == ["sent"]
    finally:
        svc.stop()
        sub.publish(f"eggwatch/v1/{site}/house-07/alerts", b"", retain=True).wait_for_publish(5)
        sub.loop_stop()
        sub.disconnect()


def _real_detector_service(sqlite_sessions: Any, detector: dict[str, float]) -> AlertService:
    """The default detector path (``analytics.detector.detect_live``) over a 25 % drop that recovers,
    with ``detector`` settings from the alerts configuration."""
    import numpy as np

    full = frame(drop=0.25)
    full.age_weeks[0] = 40 + np.arange(full.n_hours) / 168

    def load(_store: Any, _park: Park, start: dt.datetime, end: dt.datetime) -> Any:
        return full.head(full.index_of(end))

    return AlertService(
        load_settings(), sqlite_sessions, store=None, park=Park(), channels={},  # type: ignore[arg-type]
        config=AlertsConfig(mqtt={"enabled": False}, detector=detector), roster=NoRoster(), load_hourly=load,
    )  # fmt: skip


def _opened_through_the_day_after_onset(svc: AlertService) -> list[Any]:
    opened = []
    for hours in range(0, 30, 3):  # a pass every 3 h through the day after the onset
        opened += svc.run_pass(ONSET + dt.timedelta(hours=hours, minutes=5)).result.opened
    return opened


def test_with_the_real_detector(sqlite_sessions: Any, data_dir: Any) -> None:
    svc = _real_detector_service(sqlite_sessions, {})
    opened = _opened_through_the_day_after_onset(svc)
    assert [(a.unit, a.kind) for a in opened] == [("house-07", "laying_drop")]
    assert opened[0].magnitude_pct and opened[0].magnitude_pct > 10
    assert svc.run_pass(RECOVERY + dt.timedelta(hours=13)).result.resolved


def test_detector_settings_from_the_alerts_config_reach_the_live_detector(
    sqlite_sessions: Any, data_dir: Any
) -> None:
    deaf = {"daily_min_pts": 1000.0, "trend_z": 1000.0, "fast_min_pts": 1000.0}  # no laying channel can fire
    assert _opened_through_the_day_after_onset(_real_detector_service(sqlite_sessions, deaf)) == []


def test_from_the_embedded_store_to_a_webhook(sqlite_sessions: Any, data_dir: Any, tmp_path: Any) -> None:
    """Everything real: counters in the embedded telemetry store → analytics.production.load_hourly →
    the detector → lifecycle → outbox → an HTTP receiver; then the counters recover → resolved."""
    import numpy as np

    from eggwatch.park import House
    from eggwatch.store.base import Point
    from eggwatch.store.embedded import EmbeddedStore
    from eggwatch.wire import Reading
    from tests.analytics.alerts.test_alerts_recovery import START

    full = frame(drop=0.25)
    park = Park(site="jinji", houses=(House(unit="house-07", placed=START.date(), age_weeks_at_placement=40,
                                            hens_placed=50_000, rows=8),))  # fmt: skip
    store = EmbeddedStore(tmp_path / "telemetry.db")
    store.ensure_ready()
    t0_ms = int(START.timestamp() * 1000)
    points = []
    for r, row in enumerate(full.rows):
        totals = np.cumsum(np.nan_to_num(full.eggs[0, r])).astype(int)
        for i, v in enumerate(totals):  # the counter as read at the end of each hour
            reading = Reading(t0_ms + (i + 1) * 3_600_000 - 1000, "eggs_total", int(v), {"row": row})
            points.append(Point("jinji", "house-07", "eggcounter-1", reading))
    store.write(points)
    hook = HttpReceiver()
    cfg = AlertsConfig.model_validate(
        {"mqtt": {"enabled": False}, "webhooks": [{"name": "ops", "url": hook.url}]}
    )
    svc = AlertService(load_settings(), sqlite_sessions, store, park, config=cfg, roster=NoRoster())
    try:
        for hours in range(0, 30, 3):
            svc.run_pass(ONSET + dt.timedelta(hours=hours, minutes=5))
        svc.dispatcher.deliver_due("ops")
        got = [(r.body["event"], r.body["alert"]["kind"]) for r in hook.received]
        assert got == [("opened", "laying_drop"), ("escalated", "laying_drop")]  # nobody acknowledged
        svc.run_pass(RECOVERY + dt.timedelta(hours=13))
        svc.dispatcher.deliver_due("ops")
        assert [r.body["event"] for r in hook.received] == ["opened", "escalated", "resolved"]
    finally:
        hook.stop()
        store.close()


def test_a_pass_racing_an_acknowledgement_is_reapplied(
    sqlite_sessions: Any, data_dir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import analytics.alerts.service as service_module
    from analytics.alerts.lifecycle import AlertBook, Policy

    svc = service(sqlite_sessions, {}, AlertsConfig.model_validate({"mqtt": {"enabled": False}}), data_dir)
    svc.run_pass(DETECTED + dt.timedelta(minutes=5))
    calls: list[int] = []

    def recovered_while_someone_acknowledges(*_a: Any) -> bool:
        if not calls:  # the supervisor presses "acknowledge" in the middle of the pass
            with sqlite_sessions() as s:
                alert = s.scalars(select(Alert)).one()
                AlertBook(s, alert.site, Policy(), []).acknowledge(
                    alert, "li", DETECTED + dt.timedelta(minutes=6)
                )
                s.commit()
        calls.append(1)
        return True

    monkeypatch.setattr(service_module, "recovered", recovered_while_someone_acknowledges)
    r = svc.run_pass(RECOVERY + dt.timedelta(hours=13))
    assert len(calls) == 2 and len(r.result.resolved) == 1
    with sqlite_sessions() as s:
        a = s.scalars(select(Alert)).one()
        assert [(e.action, e.actor) for e in a.events] == [
            ("opened", None),
            ("acknowledged", "li"),
            ("resolved", None),
        ]
