"""The translator on vendor values and timestamps that overflow: dead-letter reasons, never a raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggwatch.settings import ConfigError
from gateway.mqtt_config import load_mqtt_config
from gateway.mqtt_mapping import Translator

EXAMPLES = Path(__file__).resolve().parents[2] / "gateway" / "examples"
NOW = 1_764_315_600_000

HUGE = """
mappings:
  - name: counter
    topic: "v/{h}/eggs"
    unit: "house-{h}"
    device: counter-1
    fields:
      - {path: n, metric: eggs_total, scale: 1.0e300}
      - {path: w, metric: water_l_total, from_unit: m3, required: false}
"""


@pytest.fixture
def flat() -> Translator:
    return Translator(load_mqtt_config(EXAMPLES / "mqtt-flat-json.yaml").mappings)


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("farm/h07/env-ts", b'{"t": 21, "rh": 50, "nh3": 5, "ts": 1e308}'),  # inf once in ms
        ("farm/h07/env-ts", b'{"t": 21, "rh": 50, "nh3": 5, "ts": "1e308"}'),
    ],
)
def test_an_overflowing_timestamp_is_a_bad_timestamp(flat: Translator, topic: str, payload: bytes) -> None:
    out = flat.translate(topic, payload, now_ms=NOW)
    assert out.readings == [] and [p.reason for p in out.problems] == ["bad_timestamp"]


def test_a_value_that_overflows_its_scale_or_unit_is_a_bad_value(tmp_path: Path) -> None:
    cfg = tmp_path / "huge.yaml"
    cfg.write_text(HUGE)
    tr = Translator(load_mqtt_config(cfg).mappings)
    out = tr.translate("v/07/eggs", b'{"n": 1e10, "w": 1e306}', now_ms=NOW)  # round(inf) raised here
    assert out.readings == []
    assert [p.reason for p in out.problems] == ["bad_value", "bad_value"]
    assert all("not finite" in p.detail for p in out.problems)


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("farm/h07/env-ts", b'{"t": 21, "rh": 50, "nh3": 5, "ts": 1e20}'),  # 1e23 ms: beyond 64 bits
        ("farm/h07/env-ts", b'{"t": 21, "rh": 50, "nh3": 5, "ts": 1}'),  # 1970: a clock never set
        ("farm/h07/env-ts", b'{"t": 21, "rh": 50, "nh3": 5, "ts": 1764319201}'),  # 1 h 1 s ahead
        ("farm/h07/water", b'{"meter": {"total_m3": 1}, "ts": "9999-12-31T23:59:59-14:00"}'),
        ("farm/h07/water", b'{"meter": {"total_m3": 1}, "ts": "2015-01-01T00:00:00Z"}'),  # > 5 years
    ],
)
def test_a_timestamp_outside_ingests_window_is_refused_at_the_gateway(
    flat: Translator, topic: str, payload: bytes
) -> None:
    out = flat.translate(topic, payload, now_ms=NOW)
    assert out.readings == [] and [p.reason for p in out.problems] == ["bad_timestamp"]
    assert "absurdly far from now" in out.problems[0].detail


def test_a_timestamp_inside_the_window_is_kept(flat: Translator) -> None:
    out = flat.translate("farm/h07/env-ts", b'{"t": 21, "rh": 50, "nh3": 5, "ts": 1764315000}', now_ms=NOW)
    assert not out.problems and {r.ts for r in out.readings} == {1_764_315_000_000}


COUNTER = """
mappings:
  - {name: c, topic: "v/{h}/eggs", unit: "house-{h}", device: c-1, fields: [{path: n, metric: eggs_total}]}
"""


def test_a_fractional_count_is_a_bad_value_never_rounded(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(COUNTER)
    tr = Translator(load_mqtt_config(cfg).mappings)
    out = tr.translate("v/07/eggs", b'{"n": 12.5}', now_ms=NOW)
    assert out.readings == [] and [(p.reason, "whole numbers" in p.detail) for p in out.problems] == [
        ("bad_value", True)
    ]
    assert [r.value for r in tr.translate("v/07/eggs", b'{"n": 12.0}', now_ms=NOW).readings] == [12]
    cfg.write_text(COUNTER.replace("metric: eggs_total}", "metric: eggs_total, scale: 0.1}"))
    with pytest.raises(ConfigError, match="eggs_total takes whole numbers"):
        load_mqtt_config(cfg)


def test_a_missing_timestamp_is_named_missing_in_the_dead_letter(flat: Translator) -> None:
    # Before: the detail showed the lookup's sentinel, "ts=<object object at 0x7f..> is no epoch_s".
    out = flat.translate("farm/h07/env-ts", b'{"t": 21, "rh": 50, "nh3": 5}', now_ms=NOW)
    assert out.readings == []
    assert [(p.reason, p.detail) for p in out.problems] == [
        ("bad_timestamp", "flat-env-timestamped: no value at 'ts' for the epoch_s timestamp")
    ]


def test_arrival_stamped_messages_of_a_device_never_share_a_millisecond(flat: Translator) -> None:
    # A persistent vendor session hands over what it kept while the gateway was down all at once:
    # before, 20 node messages measured over 2 s went out with 3 distinct ts, and InfluxDB keeps
    # one reading per (series, ts), so 17 of them overwrote each other.
    env = b'{"t": 21, "rh": 50, "nh3": 5}'
    stamps = [flat.translate("farm/h07/env", env, now_ms=NOW).readings[0].ts for _ in range(3)]
    assert stamps == [NOW, NOW + 1, NOW + 2]
    assert flat.translate("farm/h08/env", env, now_ms=NOW).readings[0].ts == NOW  # another device
    later = NOW + 60_000
    assert flat.translate("farm/h07/env", env, now_ms=later).readings[0].ts == later  # the clock again
    timed = b'{"t": 21, "rh": 50, "nh3": 5, "ts": %d}' % (NOW // 1000)
    for _ in range(2):  # a device's own time is never changed
        assert flat.translate("farm/h07/env-ts", timed, now_ms=later).readings[0].ts == NOW
