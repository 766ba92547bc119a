"""Per-event scoring and the control-chart baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from analytics.alert import DetectorAlert
from analytics.control_chart import control_chart
from analytics.scoring import score
from simulator.scenarios import Label
from tests.analytics.synth import Flock, day_hour

T = datetime(2026, 3, 10, tzinfo=UTC)


def alert(house: str, kind: str, hours: float, row: str | None = None) -> DetectorAlert:
    at = T + timedelta(hours=hours)
    return DetectorAlert(house, kind, at, at - timedelta(hours=1), 5.0, row, "m", "m")


def test_per_event_metrics() -> None:
    labels = [
        Label("h1", "disease", T, T + timedelta(days=5), None, True, 15.0, sudden=True),
        Label("h2", "mild_dip", T, T + timedelta(days=5), None, True, 4.0),
        Label("h3", "dead_counter", T, T + timedelta(days=2), "04", False, None),
        Label("h4", "dead_counter", T, T + timedelta(days=2), "01", False, None),
    ]
    alerts = [
        alert("h1", "water_drop", 6),
        alert("h1", "laying_drop", 10),  # a second alert on the same event: still true
        alert("h2", "laying_drop", 80),  # too late for recall, but true
        alert("h3", "sensor_fault", 8, "04"),
        alert("h4", "laying_drop", 9),  # a dead counter taken for a drop: false alarm, not recognised
        alert("h5", "laying_drop", 9),
    ]
    s = score(alerts, labels, house_months=10)
    assert (s.production_events, s.detected, s.mild_events, s.mild_detected) == (2, 1, 1, 0)
    assert s.laying_detected == 1  # h1's laying_drop came within 72 h too
    assert s.sudden_delays_h == [6.0]
    assert (s.drop_alerts, s.true_alerts, s.false_alarms) == (5, 3, 2)
    assert s.false_per_house_month == 0.2
    assert (s.dead_counters, s.counters_recognised) == (2, 1)


def test_control_chart_alarms_on_a_drop_but_not_on_a_clean_flock() -> None:
    assert control_chart(Flock(day_noise=0.005).build()) == []
    frame = Flock(day_noise=0.005, drop_from={0: (day_hour(20, 10), 0.9)}).build()
    alerts = control_chart(frame)
    assert [a.house for a in alerts] == ["H01"]
    assert alerts[0].detected_at > frame.hour_start(day_hour(20, 10))
