"""The outbox: retries with backoff until a failing receiver recovers, survives a restart, keeps
the order per channel, and a dead or hanging channel never holds up the others."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update

from analytics.alerts.channels.email import EmailChannel
from analytics.alerts.channels.mqtt import MqttChannel
from analytics.alerts.channels.webhook import WebhookChannel
from analytics.alerts.config import Person, Retry, Smtp, Webhook
from analytics.alerts.dispatch import BATCH, Dispatcher, backoff, utcnow
from analytics.alerts.lifecycle import AlertBook, Policy, Route
from analytics.alerts.models import Alert, OutboxMessage
from analytics.alerts.routing import NoRoster, Router
from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from tests.analytics.alerts.conftest import T0, finding
from tests.analytics.alerts.receivers import HttpReceiver, SmtpReceiver, wait_for

EVENTS = frozenset({"opened", "acknowledged", "resolved", "escalated", "reopened"})
FAST = Retry(initial_s=0.05, max_s=0.2, give_up_hours=1)


def raise_alerts(sessions: Any, routes: list[Route], n: int = 1, now: dt.datetime = T0) -> None:
    with sessions() as s:
        AlertBook(s, "jinji", Policy(), routes).apply_pass(
            [finding(unit=f"house-{i:02d}") for i in range(1, n + 1)], T0, now
        )
        s.commit()


def statuses(sessions: Any, channel: str) -> list[str]:
    with sessions() as s:
        q = select(OutboxMessage.status).where(OutboxMessage.channel == channel).order_by(OutboxMessage.id)
        return list(s.scalars(q))


def test_backoff_doubles_and_caps() -> None:
    r = Retry(initial_s=5, max_s=60)
    secs = [backoff(r, n).total_seconds() for n in (1, 2, 3, 10)]
    assert 4 <= secs[0] <= 6 and 8 <= secs[1] <= 12 and 16 <= secs[2] <= 24 and 48 <= secs[3] <= 72


def test_backoff_after_a_thousand_attempts(sqlite_sessions: Any) -> None:
    """With max_s 60 a channel reaches 1,025 attempts in ~17 h (give_up_hours 72): 2**1024 used to
    overflow, the error escaped the worker (a traceback per poll), the attempt was rolled back and
    the message was sent again every 2 s poll instead of backing off."""
    r = Retry(initial_s=5, max_s=60)
    assert 48 <= backoff(r, 1025).total_seconds() <= 72
    hook = HttpReceiver(fail_next=1)
    try:
        raise_alerts(sqlite_sessions, [Route("ops", EVENTS)])
        with sqlite_sessions() as s:
            s.execute(update(OutboxMessage).values(attempts=1500))
            s.commit()
        d = Dispatcher(sqlite_sessions, {"ops": WebhookChannel(Webhook(name="ops", url=hook.url))}, r)
        now = utcnow()
        assert d.deliver_due("ops", now) == 0
        with sqlite_sessions() as s:
            row = s.scalars(select(OutboxMessage)).one()
            assert row.attempts == 1501 and row.status == "pending"
            assert 48 <= (row.next_attempt_at - now).total_seconds() <= 72
    finally:
        hook.stop()


def test_retry_until_receiver_recovers_and_survives_restart(sqlite_sessions: Any) -> None:
    hook = HttpReceiver(fail_next=3)
    try:
        raise_alerts(sqlite_sessions, [Route("ops", EVENTS)], n=2)
        ch = {"ops": WebhookChannel(Webhook(name="ops", url=hook.url))}
        now = utcnow()
        d = Dispatcher(sqlite_sessions, ch, FAST)
        assert d.deliver_due("ops", now) == 0  # attempt 1 fails, backs off
        assert d.deliver_due("ops", now) == 0  # still backing off: not even tried
        assert hook.attempts == 1
        # "Restart": a new dispatcher on the same database picks the pending messages up.
        d2 = Dispatcher(sqlite_sessions, ch, FAST)
        for _ in range(3):
            now += dt.timedelta(seconds=1)
            d2.deliver_due("ops", now)
        assert [r.body["alert"]["unit"] for r in hook.received] == ["house-01", "house-02"]  # in order
        assert statuses(sqlite_sessions, "ops") == ["sent", "sent"]
        with sqlite_sessions() as s:
            first = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
            assert first is not None and first.attempts == 4 and first.last_error is None
        assert d2.prune(now + dt.timedelta(days=29)) == 0
        assert d2.prune(now + dt.timedelta(days=31)) == 2
    finally:
        hook.stop()


def test_give_up_after_the_configured_time(sqlite_sessions: Any) -> None:
    hook = HttpReceiver(fail_next=1000)
    try:
        raise_alerts(sqlite_sessions, [Route("ops", EVENTS)])
        d = Dispatcher(sqlite_sessions, {"ops": WebhookChannel(Webhook(name="ops", url=hook.url))}, FAST)
        d.deliver_due("ops", utcnow())
        d.deliver_due("ops", utcnow() + dt.timedelta(hours=2))
        assert statuses(sqlite_sessions, "ops") == ["dead"]
        # Kept as evidence for keep_dead_days (180) after it was raised, then pruned.
        assert d.prune(utcnow() + dt.timedelta(days=179)) == 0
        assert d.prune(utcnow() + dt.timedelta(days=181)) == 1
        assert statuses(sqlite_sessions, "ops") == []
    finally:
        hook.stop()


def test_a_dead_or_hanging_channel_does_not_block_the_others(sqlite_sessions: Any) -> None:
    good, hanging, dead = HttpReceiver(), HttpReceiver(hang_s=4.0), HttpReceiver()
    dead.stop()  # connection refused
    routes = [Route(n, EVENTS) for n in ("good", "hanging", "dead")]
    raise_alerts(sqlite_sessions, routes, n=3)
    channels = {
        "good": WebhookChannel(Webhook(name="good", url=good.url)),
        "hanging": WebhookChannel(Webhook(name="hanging", url=hanging.url, timeout_s=10)),
        "dead": WebhookChannel(Webhook(name="dead", url=dead.url, timeout_s=2)),
    }
    d = Dispatcher(sqlite_sessions, channels, FAST, poll_s=0.05)
    d.start()
    try:
        wait_for(lambda: len(good.received) == 3, timeout=3.5, what="the healthy channel")
        # All three went out while the hanging receiver still sat on its first request.
        assert hanging.received == []
        assert statuses(sqlite_sessions, "dead") == ["pending"] * 3
    finally:
        d.stop(timeout=5)
        good.stop()
        hanging.stop()


class Picky:
    """A channel that cannot handle one payload (a bug) but delivers the rest."""

    name = "picky"

    def __init__(self) -> None:
        self.got: list[str] = []

    def deliver(self, payload: dict[str, Any]) -> None:
        unit = payload["alert"]["unit"]
        if unit == "house-01":
            raise KeyError("no template for this")
        self.got.append(unit)

    def close(self) -> None:
        pass


def test_a_poison_message_is_set_aside_not_retried_forever(sqlite_sessions: Any) -> None:
    raise_alerts(sqlite_sessions, [Route("picky", EVENTS)], n=2)
    picky = Picky()
    d = Dispatcher(sqlite_sessions, {"picky": picky}, FAST)
    assert d.deliver_due("picky") == 1
    assert picky.got == ["house-02"]
    assert statuses(sqlite_sessions, "picky") == ["dead", "sent"]


@pytest.mark.integration
def test_two_instances_never_send_twice_on_postgresql(pg_url: str) -> None:
    """Two dispatchers (two service instances) on one PostgreSQL database, one channel."""
    import threading

    from eggwatch.sql import Base, make_engine, make_sessionmaker

    engine = make_engine(pg_url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    hook = HttpReceiver(hang_s=0.5)
    try:
        raise_alerts(sessions, [Route("ops", EVENTS)], n=3)
        ch = {"ops": WebhookChannel(Webhook(name="ops", url=hook.url))}
        a, b = Dispatcher(sessions, ch, FAST), Dispatcher(sessions, ch, FAST)
        first = threading.Thread(target=a.deliver_due, args=("ops",))
        first.start()
        wait_for(lambda: hook.attempts == 1, what="instance A to start sending")
        assert b.deliver_due("ops") == 0  # A holds the channel: B backs off instead of doubling up
        first.join(10)
        b.deliver_due("ops")
        assert [r.body["alert"]["unit"] for r in hook.received] == ["house-01", "house-02", "house-03"]
    finally:
        hook.stop()
        engine.dispose()


@pytest.mark.integration
def test_retained_topic_is_not_left_on_a_resolved_alert(
    sqlite_sessions: Any, mqtt_url: str, site: str
) -> None:
    """A house with two alerts: resolving one must not leave its topic saying "resolved" to a
    dashboard that connects afterwards while the other is still open (real Mosquitto)."""
    broker = BrokerAddress.parse(mqtt_url)
    routes = [Route("mqtt", EVENTS)]
    with sqlite_sessions() as s:
        book = AlertBook(s, site, Policy(), routes)
        book.apply_pass([finding(), finding(kind="water_drop")], T0, T0)
        water = s.scalars(select(Alert).where(Alert.kind == "water_drop")).one()
        book.resolve(water, "li", T0 + dt.timedelta(minutes=5))
        s.commit()
    d = Dispatcher(sqlite_sessions, {"mqtt": MqttChannel(broker, timeout_s=5)}, FAST)
    try:
        assert d.deliver_due("mqtt") == 4  # 2 opened, resolved, the open one again
    finally:
        d.stop()
    got = retained(broker, f"eggwatch/v1/{site}/house-07/alerts")
    assert [(o["kind"], o["status"]) for o in got] == [("laying_drop", "open")]


def retained(broker: BrokerAddress, topic: str) -> list[dict[str, Any]]:
    """What a subscriber connecting now is given on ``topic`` (then the topic is cleared)."""
    got: list[dict[str, Any]] = []
    done = threading.Event()
    sub = make_client(broker, f"t-alerts-{uuid.uuid4().hex[:8]}", persistent=False)

    def on_message(_c: Any, _u: Any, msg: Any) -> None:
        if msg.payload and msg.retain:
            got.append(orjson.loads(msg.payload))
            done.set()

    sub.on_message = on_message
    sub.on_connect = lambda c, *_a: c.subscribe(topic, qos=1)
    sub.connect(broker.host, broker.port)
    sub.loop_start()
    try:
        assert done.wait(10), "no retained alert"
        return got
    finally:
        sub.publish(topic, b"", retain=True).wait_for_publish(5)
        sub.loop_stop()
        sub.disconnect()


@pytest.mark.integration
def test_retained_topic_ends_on_an_alert_opened_during_an_acknowledgement(
    pg_url: str, mqtt_url: str, site: str
) -> None:
    """A detector pass opens house-07's water drop while, in the API, someone acknowledges its
    laying drop.  The acknowledgement cannot see the uncommitted new alert, and the pass's message
    comes first in the outbox: the topic used to end on "acknowledged" with an open alert in the
    house.  The delivery checks again against what is committed (real PostgreSQL and Mosquitto)."""
    from eggwatch.sql import Base, make_engine, make_sessionmaker

    engine = make_engine(pg_url)
    Base.metadata.create_all(engine)
    sessions = make_sessionmaker(engine)
    routes = [Route("mqtt", EVENTS)]
    broker = BrokerAddress.parse(mqtt_url)
    try:
        with sessions() as s:
            (lay,) = AlertBook(s, site, Policy(), routes).apply_pass([finding()], T0, T0).opened
            s.commit()
            lay_id = lay.id
        with sessions() as detector, sessions() as api:
            hour = T0 + dt.timedelta(hours=1)
            opened = AlertBook(detector, site, Policy(), routes).apply_pass(
                [finding(kind="water_drop", hours=1)], hour, hour
            )
            detector.flush()  # its outbox message has its id now, before the acknowledgement's
            mine = api.get(Alert, lay_id)
            assert mine is not None
            AlertBook(api, site, Policy(), routes).acknowledge(mine, "li", hour)
            api.commit()
            detector.commit()
            water_id = opened.opened[0].id
        with sessions() as s:
            events = s.scalars(select(OutboxMessage.event).order_by(OutboxMessage.id)).all()
        assert events == ["opened", "opened", "acknowledged"]  # no republish could be queued
        d = Dispatcher(sessions, {"mqtt": MqttChannel(broker, timeout_s=5)}, FAST)
        try:
            assert d.deliver_due("mqtt") == 3
        finally:
            d.stop()
        got = retained(broker, f"eggwatch/v1/{site}/house-07/alerts")
        assert [(o["id"], o["kind"], o["status"]) for o in got] == [(water_id, "water_drop", "open")]
    finally:
        engine.dispose()


def test_drain_delivers_every_due_message_and_stops_at_a_failure(sqlite_sessions: Any) -> None:
    """``analytics run --once`` drains: one ``deliver_due`` stops after BATCH messages, which left
    the rest of a busy pass (60 houses) for the next run."""
    hook = HttpReceiver(fail_next=1)
    try:
        raise_alerts(sqlite_sessions, [Route("ops", EVENTS)], n=BATCH + 10)
        d = Dispatcher(sqlite_sessions, {"ops": WebhookChannel(Webhook(name="ops", url=hook.url))}, FAST)
        assert d.drain("ops") == 0  # the receiver's failure ends it, no loop
        assert hook.attempts == 1
        with sqlite_sessions() as s:  # due again now
            s.execute(update(OutboxMessage).values(next_attempt_at=T0))
            s.commit()
        assert d.drain("ops") == BATCH + 10
        assert len(hook.received) == BATCH + 10 and statuses(sqlite_sessions, "ops") == ["sent"] * (
            BATCH + 10
        )
    finally:
        hook.stop()


def test_a_message_the_receiver_refuses_does_not_hold_the_channel(sqlite_sessions: Any) -> None:
    """HTTP 400/413/422 refuse that body: it is set aside at once (it used to stay pending and
    hold every later alert of the channel for give_up_hours); a 500 or 404 is still retried."""
    hook = HttpReceiver(refuse=lambda b: {"house-01": 413, "house-02": 404}.get(b["alert"]["unit"]))
    try:
        raise_alerts(sqlite_sessions, [Route("ops", EVENTS)], n=3)
        d = Dispatcher(sqlite_sessions, {"ops": WebhookChannel(Webhook(name="ops", url=hook.url))}, FAST)
        assert d.deliver_due("ops") == 0
        assert statuses(sqlite_sessions, "ops") == ["dead", "pending", "pending"]  # 404: retried, in order
        hook.refuse = lambda _b: None
        assert d.deliver_due("ops", utcnow() + dt.timedelta(minutes=1)) == 2
        assert [r.body["alert"]["unit"] for r in hook.received] == ["house-02", "house-03"]
        with sqlite_sessions() as s:
            dead = s.scalars(select(OutboxMessage).where(OutboxMessage.status == "dead")).one()
            assert dead.attempts == 1 and "HTTP 413" in (dead.last_error or "")
    finally:
        hook.stop()


class TypoRoster(NoRoster):
    """house-01's supervisor has a misspelt address."""

    def on_shift(self, unit: str, at: dt.datetime) -> list[Person]:
        return [Person(name="王", email="wnag@example.com" if unit == "house-01" else "wang@example.com")]


def test_an_address_the_mail_server_does_not_know_does_not_hold_the_others(sqlite_sessions: Any) -> None:
    """550 for every recipient of one message: set aside at once (it used to stay pending and
    hold every later e-mail alert for give_up_hours); the other houses' mails go out."""
    smtp = SmtpReceiver()
    smtp.handler.unknown = {"wnag@example.com"}
    try:
        with sqlite_sessions() as s:
            book = AlertBook(s, "jinji", Policy(), [Route("email", EVENTS)], Router(TypoRoster(), [], []))
            book.apply_pass([finding(f"house-0{i}") for i in (1, 2, 3)], T0, T0)
            s.commit()
        cfg = Smtp(host="127.0.0.1", port=smtp.port, sender="eggwatch@example.com", security="none")
        d = Dispatcher(sqlite_sessions, {"email": EmailChannel(cfg)}, FAST)
        assert d.deliver_due("email") == 2
        assert statuses(sqlite_sessions, "email") == ["dead", "sent", "sent"]
        assert [to for to, _msg in smtp.messages] == [["wang@example.com"]] * 2
    finally:
        smtp.stop()


def test_a_message_sent_again_carries_the_same_delivery_id(sqlite_sessions: Any) -> None:
    """Delivery is at least once: a crash between a receiver's 200 and the outbox recording it
    sends the message again.  Every copy carries the message's delivery id (webhook header
    ``X-Eggwatch-Delivery``, e-mail ``Message-ID``), so a receiver can drop the second one."""
    from analytics.alerts.channels.email import build_message
    from analytics.alerts.channels.webhook import DELIVERY_HEADER

    hook = HttpReceiver()
    try:
        raise_alerts(sqlite_sessions, [Route("ops", EVENTS)], n=2)
        with sqlite_sessions() as s:
            payloads = [m.payload for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        ch = WebhookChannel(Webhook(name="ops", url=hook.url))
        for payload in payloads:
            ch.deliver(payload)
            ch.deliver(payload)  # the copy after a crash
        ids = [r.headers[DELIVERY_HEADER] for r in hook.received]
        assert len(ids) == 4 and ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
        mails = [
            build_message(p, "alerts@park.example", ["li@park.example"]) for p in payloads for _ in (1, 2)
        ]
        msg_ids = [m["Message-ID"] for m in mails]
        assert msg_ids[0] == msg_ids[1] == f"<{ids[0]}@park.example>" and msg_ids[2] != msg_ids[0]
    finally:
        hook.stop()


def test_the_worker_delivers_a_burst_without_pausing_between_batches(sqlite_sessions: Any) -> None:
    """The channel's worker waited ``poll_s`` after every batch of ``BATCH``, due messages or not:
    600 alerts took 24.5 s to reach a webhook at the default 2 s, for no reason."""
    hook = HttpReceiver()
    raise_alerts(sqlite_sessions, [Route("ops", EVENTS)], n=2 * BATCH + 5)
    d = Dispatcher(
        sqlite_sessions, {"ops": WebhookChannel(Webhook(name="ops", url=hook.url))}, FAST, poll_s=60
    )
    d.start()
    try:  # with a pause of poll_s between batches this would take two minutes
        wait_for(lambda: len(hook.received) == 2 * BATCH + 5, timeout=30, what="the whole burst")
    finally:
        d.stop(timeout=5)
        hook.stop()
