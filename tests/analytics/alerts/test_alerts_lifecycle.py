"""The lifecycle rules, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, text

from analytics.alerts.config import Person
from analytics.alerts.lifecycle import AlertBook, LifecycleError, Policy, Route
from analytics.alerts.models import ROW_LEN, Alert, AlertEvent, OutboxMessage
from analytics.alerts.routing import Router
from eggwatch.migrations import upgrade
from eggwatch.sql import make_engine, make_sessionmaker
from tests.analytics.alerts.conftest import T0, finding

H = dt.timedelta(hours=1)
ROUTES = [
    Route("mqtt", frozenset({"opened", "reopened", "acknowledged", "escalated", "resolved"})),
    Route("wecom", frozenset({"opened", "escalated", "resolved"})),
    Route("email", frozenset({"opened", "escalated"})),
]
POLICY = Policy(cooldown=6 * H, escalation=dt.timedelta(minutes=30), open_within=24 * H)


class FakeRoster:
    def __init__(self) -> None:
        self.on_duty: dict[str, list[Person]] = {}

    def on_shift(self, unit: str, at: dt.datetime) -> list[Person]:
        return self.on_duty.get(unit, [])

    def managers(self) -> list[Person]:
        return [Person(name="场长 Zhang", email="zhang@example.com")]


def book(s: Any, roster: FakeRoster | None = None) -> AlertBook:
    router = Router(roster or FakeRoster(), [Person(name="duty", email="duty@example.com")], [])
    return AlertBook(s, "jinji", POLICY, ROUTES, router)


def outbox(s: Any) -> list[tuple[str, str]]:
    return [(m.channel, m.event) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_open_then_dedupe_and_refresh(sessions: Any) -> None:
    with sessions() as s:
        b = book(s)
        r = b.apply_pass([finding()], T0, T0)
        assert len(r.opened) == 1
        a = r.opened[0]
        assert (a.status, a.unit, a.kind, a.row, a.recipients) == (
            "open",
            "house-07",
            "laying_drop",
            None,
            ["duty"],
        )
        assert outbox(s) == [("mqtt", "opened"), ("wecom", "opened"), ("email", "opened")]
        s.commit()
        # The same event on the next passes changes nothing.
        for k in range(1, 4):
            r = b.apply_pass([finding()], T0 + k * H, T0 + k * H)
            assert not (r.opened or r.refreshed or r.reopened)
        # A newer event of the same key while open: one alert, refreshed, no new message.
        r = b.apply_pass([finding(), finding(hours=5, magnitude_pct=9.0)], T0 + 5 * H, T0 + 5 * H)
        assert [x.id for x in r.refreshed] == [a.id] and not r.opened
        s.commit()
        rows = s.scalars(select(Alert)).all()
        assert len(rows) == 1 and rows[0].magnitude_pct == 9.0
        assert len(outbox(s)) == 3
        # A different key (another kind, or a row) is another alert.
        r = b.apply_pass([finding(kind="sensor_fault", row="03", hours=6)], T0 + 6 * H, T0 + 6 * H)
        assert len(r.opened) == 1 and r.opened[0].row == "03"
        s.commit()


def test_meter_and_probe_faults_and_a_stopped_house_are_separate_alerts(sessions: Any) -> None:
    # None of the three has a row: the meter stands in its place in the key.
    faults = [
        finding(kind="sensor_fault", evidence={"cause": cause}, hours=k)
        for k, cause in enumerate(
            ["counting_stopped", "water_meter_stuck", "feed_meter_stuck", "temp_probe_stuck"]
        )
    ]
    with sessions() as s:
        r = book(s).apply_pass(faults, T0 + 4 * H, T0 + 4 * H)
        s.commit()
        assert len(r.opened) == 4
        assert sorted(a.dedupe_key for a in r.opened) == [
            "jinji/house-07/sensor_fault/-",
            "jinji/house-07/sensor_fault/feed_meter",
            "jinji/house-07/sensor_fault/temp_probe",
            "jinji/house-07/sensor_fault/water_meter",
        ]
        assert {a.row for a in r.opened} == {None}


def test_old_events_are_history(sessions: Any) -> None:
    with sessions() as s:
        r = book(s).apply_pass([finding(hours=-30)], T0, T0)
        assert not r.opened
        r = book(s).apply_pass([finding(hours=-23)], T0, T0)
        assert len(r.opened) == 1


def test_routing_to_supervisor_on_shift(sessions: Any) -> None:
    roster = FakeRoster()
    roster.on_duty["house-07"] = [Person(name="李主管", email="li@example.com", phone="138 0013 8000")]
    with sessions() as s:
        r = book(s, roster).apply_pass([finding(), finding(unit="house-08")], T0, T0)
        s.commit()
        by_unit = {a.unit: a.recipients for a in r.opened}
        assert by_unit == {"house-07": ["李主管"], "house-08": ["duty"]}
        msg = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
        people = {m.payload["alert"]["unit"]: m.payload["recipients"] for m in msg}
        assert people["house-07"] == [{"name": "李主管", "email": "li@example.com", "phone": "13800138000"}]


def test_auto_resolve_and_reopen_within_cooldown(sessions: Any) -> None:
    with sessions() as s:
        b = book(s)
        (a,) = b.apply_pass([finding()], T0, T0).opened
        s.commit()
        # Recovery signal "can't tell" or "not yet": stays open.
        assert not b.apply_pass([finding()], T0 + H, T0 + H, lambda _a: None).resolved
        assert not b.apply_pass([finding()], T0 + 2 * H, T0 + 2 * H, lambda _a: False).resolved
        r = b.apply_pass([finding()], T0 + 20 * H, T0 + 20 * H, lambda _a: True)
        assert [x.id for x in r.resolved] == [a.id]
        s.commit()
        assert (a.status, a.resolution, a.resolved_by) == ("resolved", "recovered", None)
        # A relapse 2 h later (inside the 6 h cooldown): the same alert reopens, people not re-told.
        before = len(outbox(s))
        r = b.apply_pass([finding(hours=22)], T0 + 22 * H, T0 + 22 * H, lambda _a: False)
        assert [x.id for x in r.reopened] == [a.id] and not r.opened
        s.commit()
        assert a.status == "open" and a.resolved_at is None
        assert outbox(s)[before:] == [("mqtt", "reopened")]
        # Resolved again, then a new event after the cooldown: a new alert.
        b.apply_pass([], T0 + 40 * H, T0 + 40 * H, lambda _a: True)
        r = b.apply_pass([finding(hours=50)], T0 + 50 * H, T0 + 50 * H)
        assert len(r.opened) == 1 and r.opened[0].id != a.id
        s.commit()
        actions = [
            e.action
            for e in s.scalars(select(AlertEvent).where(AlertEvent.alert_id == a.id).order_by(AlertEvent.id))
        ]
        assert actions == ["opened", "resolved", "reopened", "resolved"]


def test_manual_resolve_is_respected_during_cooldown(sessions: Any) -> None:
    with sessions() as s:
        b = book(s)
        (a,) = b.apply_pass([finding()], T0, T0).opened
        b.resolve(a, "li", T0 + H, "vaccination day")
        s.commit()
        r = b.apply_pass([finding(), finding(hours=2)], T0 + 2 * H, T0 + 2 * H)
        assert r.absorbed == [a.dedupe_key] and not r.opened and not r.reopened
        # After the cooldown a still-fresh event opens a new alert.
        r = b.apply_pass([finding(hours=2)], T0 + 8 * H, T0 + 8 * H)
        assert len(r.opened) == 1
        s.commit()


def test_acknowledge_and_resolve_transitions(sessions: Any) -> None:
    with sessions() as s:
        b = book(s)
        (a,) = b.apply_pass([finding()], T0, T0).opened
        b.acknowledge(a, "li", T0 + H, "checking the feeders")
        assert (a.status, a.acknowledged_by, a.acknowledged_at) == ("acknowledged", "li", T0 + H)
        with pytest.raises(LifecycleError):
            b.acknowledge(a, "wang", T0 + 2 * H)
        b.resolve(a, "li", T0 + 3 * H)
        with pytest.raises(LifecycleError):
            b.resolve(a, "li", T0 + 4 * H)
        with pytest.raises(LifecycleError):
            b.acknowledge(a, "li", T0 + 4 * H)
        s.commit()
        events = [(e.action, e.actor) for e in a.events]
        assert events == [("opened", None), ("acknowledged", "li"), ("resolved", "li")]
        assert a.events[1].detail == {"note": "checking the feeders"}
        assert ("mqtt", "acknowledged") in outbox(s)


def test_only_one_active_alert_per_key_in_the_database(sessions: Any) -> None:
    from sqlalchemy.exc import IntegrityError

    with sessions() as s:
        (a,) = book(s).apply_pass([finding()], T0, T0).opened
        s.commit()
        dup = Alert(
            site=a.site,
            unit=a.unit,
            kind=a.kind,
            row=None,
            dedupe_key=a.dedupe_key,
            status="open",
            detected_at=T0,
            opened_at=T0,
            last_seen_at=T0,
            message="",
            message_zh="",
            evidence={},
            recipients=[],
        )
        s.add(dup)
        with pytest.raises(IntegrityError):
            s.commit()


def test_escalation_once_to_managers(sessions: Any) -> None:
    with sessions() as s:
        b = book(s)
        a1, a2 = b.apply_pass([finding(), finding(unit="house-08")], T0, T0).opened
        b.acknowledge(a2, "li", T0 + dt.timedelta(minutes=10))
        assert b.escalate_due(T0 + dt.timedelta(minutes=29)) == []
        assert [x.id for x in b.escalate_due(T0 + dt.timedelta(minutes=31))] == [a1.id]
        assert b.escalate_due(T0 + dt.timedelta(minutes=90)) == []  # once
        s.commit()
        assert a1.escalated_at == T0 + dt.timedelta(minutes=31)
        msg = s.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "email", OutboxMessage.event == "escalated")
        ).one()
        assert msg.payload["recipients"] == [{"name": "场长 Zhang", "email": "zhang@example.com"}]
        assert msg.payload["alert"]["escalated_at"] == "2026-05-01T08:31:00Z"


def test_escalation_loses_no_manager_who_shares_a_name() -> None:
    """Managers are de-duplicated by their whole contact, not by name: two logins both shown as
    王经理 are two people, and a login without an address named like a configured manager must not
    replace that manager's configured e-mail."""

    class Managers(FakeRoster):
        def managers(self) -> list[Person]:
            return [
                Person(name="王经理", email="wang.a@example.com"),
                Person(name="王经理", email="wang.b@example.com"),
                Person(name="场长 Zhang"),
                Person(name="场长 Zhang", email="zhang@example.com"),  # also configured: told once
            ]

    configured = [Person(name="场长 Zhang", email="zhang@example.com")]
    people = Router(Managers(), [Person(name="duty")], configured).escalation()
    assert people == [
        Person(name="场长 Zhang", email="zhang@example.com"),
        Person(name="王经理", email="wang.a@example.com"),
        Person(name="王经理", email="wang.b@example.com"),
        Person(name="场长 Zhang"),
    ]


def test_concurrent_changes_do_not_overwrite_each_other(sessions: Any) -> None:
    """The API acknowledges while the loop (another session) auto-resolves the same alert."""
    from sqlalchemy.orm.exc import StaleDataError

    with sessions() as s:
        (a,) = book(s).apply_pass([finding()], T0, T0).opened
        s.commit()
        alert_id = a.id
    with sessions() as api, sessions() as loop:
        mine = api.get(Alert, alert_id)
        theirs = loop.get(Alert, alert_id)
        assert mine is not None and theirs is not None
        book(api).acknowledge(mine, "li", T0 + H)
        api.commit()
        with pytest.raises(StaleDataError):
            book(loop).apply_pass([], T0 + 20 * H, T0 + 20 * H, lambda _a: True)
            loop.commit()
    with sessions() as s:
        assert s.get(Alert, alert_id).status == "acknowledged"  # type: ignore[union-attr]


def test_retained_topic_ends_on_the_units_most_urgent_alert(sessions: Any) -> None:
    """One retained object per unit: resolving or acknowledging one of a house's alerts while
    another is more urgent publishes that one again after it (other houses are not touched)."""
    with sessions() as s:
        b = book(s)
        lay, water, other = b.apply_pass(
            [finding(), finding(kind="water_drop"), finding(unit="house-08")], T0, T0
        ).opened
        s.commit()
        first = s.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))

        def mqtt_since(start: int) -> list[tuple[str, int, str]]:
            q = select(OutboxMessage).where(OutboxMessage.channel == "mqtt", OutboxMessage.id > start)
            rows = s.scalars(q.order_by(OutboxMessage.id))
            return [(m.event, m.payload["alert"]["id"], m.payload["alert"]["status"]) for m in rows]

        b.acknowledge(water, "li", T0 + dt.timedelta(minutes=5))
        b.resolve(water, "li", T0 + dt.timedelta(minutes=6))
        b.resolve(other, "li", T0 + dt.timedelta(minutes=7))  # house-08's only alert: nothing to add
        s.commit()
        assert mqtt_since(first) == [
            ("acknowledged", water.id, "acknowledged"),
            ("republished", lay.id, "open"),
            ("resolved", water.id, "resolved"),
            ("republished", lay.id, "open"),
            ("resolved", other.id, "resolved"),
        ]
        assert [e for e, *_ in mqtt_since(first)].count("republished") == 2
        # only the retained topic hears about it: people are not messaged again
        assert not s.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "republished", OutboxMessage.channel != "mqtt")
        ).all()


def test_a_relapse_keeps_its_acknowledgement_and_escalation(sessions: Any) -> None:
    """People are not told of a relapse, so it must not turn into a "not acknowledged"
    escalation of an alert someone had acknowledged, nor escalate one alert a second time."""
    m = dt.timedelta(minutes=1)
    with sessions() as s:
        b = book(s)
        acked, ignored = b.apply_pass([finding(), finding(unit="house-08")], T0, T0).opened
        b.acknowledge(acked, "li", T0 + 5 * m)
        assert b.escalate_due(T0 + 31 * m) == [ignored]
        b.apply_pass([], T0 + 3 * H, T0 + 3 * H, lambda _a: True)  # both recover
        relapse = [finding(hours=4), finding(unit="house-08", hours=4)]
        assert len(b.apply_pass(relapse, T0 + 4 * H, T0 + 4 * H, lambda _a: None).reopened) == 2
        s.commit()
        assert (acked.status, acked.acknowledged_by, acked.opened_at) == ("acknowledged", "li", T0)
        assert (ignored.status, ignored.escalated_at) == ("open", T0 + 31 * m)
        assert b.escalate_due(T0 + 6 * H) == []
        s.commit()
        escalations = s.scalars(
            select(AlertEvent.alert_id).where(AlertEvent.action == "escalated").order_by(AlertEvent.id)
        ).all()
        assert escalations == [ignored.id]


def test_a_relapse_nobody_saw_escalates_from_the_relapse(sessions: Any) -> None:
    m = dt.timedelta(minutes=1)
    with sessions() as s:
        b = book(s)
        (a,) = b.apply_pass([finding()], T0, T0).opened
        b.apply_pass([], T0 + 10 * m, T0 + 10 * m, lambda _a: True)  # recovered before escalation
        b.apply_pass([finding(hours=1)], T0 + H, T0 + H, lambda _a: None)
        assert (a.status, a.opened_at, a.escalated_at) == ("open", T0 + H, None)
        assert b.escalate_due(T0 + H + 29 * m) == []
        assert b.escalate_due(T0 + H + 31 * m) == [a]


def test_a_long_row_name_does_not_break_the_pass(sessions: Any) -> None:
    """A counter without a row tag is named by its device id; 18 characters made PostgreSQL refuse
    the whole pass when ``alert.row`` held 16.  It holds 64 now (a row tag's limit): a row name is
    stored whole, and only a device id beyond 64 is clipped, still not breaking the pass."""
    with sessions() as s:
        b = book(s)
        long_row = finding("house-07", "sensor_fault", row="eggcounter-h07-r03")
        longest = finding("house-07", "sensor_fault", row="r" * 64)
        beyond = finding("house-07", "sensor_fault", row="eggcounter-" + "x" * 70)
        r = b.apply_pass([finding("house-02"), long_row, longest, beyond], T0, T0)
        s.commit()
        assert sorted((a.unit, a.row) for a in r.opened) == [
            ("house-02", None),
            ("house-07", "eggcounter-h07-r03"),
            ("house-07", "eggcounter-" + "x" * 52 + "…"),
            ("house-07", "r" * 64),
        ]
        # the key keeps the full name: the next pass de-duplicates, another long row is its own alert
        other = finding("house-07", "sensor_fault", row="eggcounter-h07-r04")
        r = b.apply_pass([finding("house-02"), long_row, longest, beyond, other], T0, T0)
        s.commit()
        assert [a.row for a in r.opened] == ["eggcounter-h07-r04"] and not r.refreshed


def test_device_ids_longer_than_the_key_column_still_dedupe(sessions: Any) -> None:
    """A row named by its device id (an unbounded topic level) can make the de-duplication key
    longer than its 200-character column; PostgreSQL refused such a key and with it the whole pass.
    Over-long keys end in a digest, so they fit and two ids with the same first 200 characters
    stay apart."""
    first = "eggcounter-" + "x" * 300 + "-r01"
    second = "eggcounter-" + "x" * 300 + "-r02"
    with sessions() as s:
        b = book(s)
        r = b.apply_pass([finding("house-07", "sensor_fault", row=r) for r in (first, second)], T0, T0)
        s.commit()
        keys = [a.dedupe_key for a in r.opened]
        assert len(keys) == 2 and keys[0] != keys[1] and all(len(k) == 200 for k in keys)
        later = [finding("house-07", "sensor_fault", hours=1, row=r) for r in (first, second)]
        again = b.apply_pass(later, T0 + H, T0 + H)
        s.commit()
        assert not again.opened and len(again.refreshed) == 2


@pytest.mark.integration
def test_migrated_postgresql_stores_a_64_character_row_whole(pg_url: str) -> None:
    """On the schema the migrations build (not ``create_all``): ``alert.row`` is varchar(64)."""
    upgrade(pg_url)
    engine = make_engine(pg_url)
    try:
        with make_sessionmaker(engine)() as s:
            row = "eggcounter-" + "7" * 53  # 64 characters
            (a,) = book(s).apply_pass([finding("house-07", "sensor_fault", row=row)], T0, T0).opened
            s.commit()
            assert s.scalar(text('SELECT "row" FROM alert WHERE id = :id'), {"id": a.id}) == row
            length = s.scalar(
                text("SELECT character_maximum_length FROM information_schema.columns "
                     "WHERE table_name = 'alert' AND column_name = 'row'")
            )  # fmt: skip
            assert length == ROW_LEN == 64
    finally:
        engine.dispose()


def test_non_finite_numbers_do_not_break_the_pass(sessions: Any) -> None:
    """NaN or inf in a finding's magnitude or evidence is not JSON: PostgreSQL refused the whole
    pass (house-02's drop was not opened either).  They are kept as null."""
    with sessions() as s:
        b = book(s)
        odd = finding(
            "house-07",
            "water_drop",
            magnitude_pct=float("nan"),
            evidence={"ratio": float("inf"), "h": [1.0, float("nan")]},
        )
        r = b.apply_pass([finding("house-02"), odd], T0, T0)
        s.commit()
        assert sorted(a.unit for a in r.opened) == ["house-02", "house-07"]
        water = next(a for a in r.opened if a.unit == "house-07")
        s.expire_all()
        assert (water.magnitude_pct, water.evidence) == (None, {"ratio": None, "h": [1.0, None]})
