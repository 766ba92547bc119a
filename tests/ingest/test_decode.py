"""The fast decoder returns exactly what the reference ``wire.decode`` returns, for any input."""

from __future__ import annotations

import math
import time

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from eggwatch import metrics
from eggwatch.store.lineprotocol import LineEncoder
from eggwatch.wire import decode
from ingest.decode import FastDecoder, row_reading

NOW = 1_764_316_800_000
names = sorted(metrics.REGISTRY)

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
value = st.one_of(
    st.sampled_from([0, 1, 2, 0.5, 1.0, -0.0]),  # valid for every metric
    st.integers(min_value=-10, max_value=2**40),
    st.floats(min_value=-100, max_value=1e6, allow_nan=False),
    st.sampled_from([0.5, 1.0, 3, -0.0, 1e16, 2.5]),
    scalar,
)
ts = st.one_of(
    st.integers(min_value=NOW - 1000, max_value=NOW),
    st.integers(min_value=NOW - 6 * 366 * 86400 * 1000, max_value=NOW + 7200 * 1000),
    st.sampled_from([NOW, -1, 0, 2**62]),
    scalar,
)
tags = st.one_of(
    st.none(),
    st.sampled_from([{}, {"row": "01"}, {"row": "02", "tier": "1"}, {"grade": "xl"}]),
    st.dictionaries(
        st.one_of(st.sampled_from(["row", "tier", "site", "Bad", "x" * 40]), st.text(max_size=4)),
        st.one_of(st.sampled_from(["01", "02", "", "a\tb", "x" * 70]), scalar),
        max_size=9,
    ),
    st.lists(st.integers(min_value=0, max_value=9), max_size=2),
)
plausible = st.fixed_dictionaries(
    {
        "ts": st.integers(min_value=NOW - 1000, max_value=NOW),
        "metric": st.sampled_from(names),
        "value": st.sampled_from([0, 1, 2, 1.0, -0.0, 0.5]),
    },
    optional={
        "tags": st.sampled_from([None, {}, {"row": "01"}, {"row": "02", "tier": "1"}, {"grade": "xl"}])
    },
)
reading = st.one_of(
    plausible,
    plausible,
    st.fixed_dictionaries(
        {"ts": ts, "metric": st.one_of(st.sampled_from(names), scalar), "value": value},
        optional={"tags": tags, "extra": scalar},
    ),
    scalar,
)
good_message = st.fixed_dictionaries(
    {"seq": st.integers(min_value=0, max_value=10), "readings": st.lists(reading, min_size=1, max_size=12)}
)
payload = st.one_of(
    good_message,
    good_message,
    good_message,
    st.fixed_dictionaries(
        {"seq": st.one_of(st.integers(min_value=-1, max_value=10), scalar)},
        optional={"readings": st.one_of(st.lists(reading, max_size=12), scalar)},
    ),
    st.lists(scalar, max_size=2),
    scalar,
)
topic = st.sampled_from(
    [
        "eggwatch/v1/s/house-01/ec-1",
        "eggwatch/v1/s/house-01/ec-1",
        "eggwatch/v1/s/house-01/ec-1",
        "eggwatch/v1/s/House/ec-1",
        "eggwatch/v1/s/h/alerts",
        "other/x",
        "eggwatch/v1/s/h",
    ]
)


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@settings(max_examples=600, deadline=None)
@given(topic=topic, doc=payload)
def test_fast_decoder_matches_reference(topic: str, doc: object) -> None:
    raw = orjson.dumps(doc)
    fast = FastDecoder()
    for _ in range(2):  # the second pass runs with the tag cache warm
        got, want = fast.decode(topic, raw, NOW), decode(topic, raw, NOW)
        assert (got.topic, got.seq) == (want.topic, want.seq)
        assert got.readings == want.readings
        assert [type(r.value) for r in got.readings] == [type(r.value) for r in want.readings]
        assert got.rejected == want.rejected
        assert_lines_match_reference(fast, topic, raw)


def assert_lines_match_reference(fast: FastDecoder, topic: str, raw: bytes, now: int = NOW) -> None:
    """The line-protocol path accepts the reference's readings and encodes them like LineEncoder."""
    got, want = fast.decode_lines(topic, raw, now), decode(topic, raw, now)
    assert (got.topic, got.seq, got.rejected) == (want.topic, want.seq, want.rejected)
    assert [row_reading(r) for r in got.rows] == want.readings
    assert not got.unencodable  # wire-valid readings are always encodable
    if want.topic is not None and want.readings:
        t = want.topic
        assert got.lines == LineEncoder().encode(t.site, t.unit, t.device, want.readings)
    else:
        assert got.lines == []


def test_not_json_and_repeated_tags() -> None:
    fast = FastDecoder()
    assert (
        fast.decode("eggwatch/v1/s/h/d", b"\xff", NOW).rejected
        == decode("eggwatch/v1/s/h/d", b"\xff", NOW).rejected
    )
    doc = {"seq": 1, "readings": [{"ts": NOW, "metric": "eggs_total", "value": 5, "tags": {"row": "01"}}] * 3}
    d = fast.decode("eggwatch/v1/s/h/d", orjson.dumps(doc), NOW)
    assert len(d.readings) == 3 and not d.rejected


def test_realistic_messages_match_reference() -> None:
    from tests.ingest.helpers import every_metric_message, readings_stream

    fast = FastDecoder()
    msgs = [*readings_stream("s", 30, 40), every_metric_message("s")[:2]]
    for _ in range(2):
        for topic_, raw in msgs:
            now = int(time.time() * 1000)
            got, want = fast.decode(topic_, raw, now), decode(topic_, raw, now)
            assert got.readings == want.readings and got.rejected == want.rejected and want.readings
            assert_lines_match_reference(fast, topic_, raw, now)
