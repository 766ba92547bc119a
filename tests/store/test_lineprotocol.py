"""Line protocol: unit checks, and property tests against InfluxDB's own parser (write, read back)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eggwatch import metrics
from eggwatch.store.base import Point
from eggwatch.store.influxql import quote_ident, quote_str
from eggwatch.store.lineprotocol import (
    LineEncoder,
    LineProtocolError,
    encode_point,
    escape_key,
    escape_measurement,
    series_key,
)
from eggwatch.wire import Reading
from tests.support.servers import Influxd

T0 = 1_764_316_800_000


def test_escaping_per_spec() -> None:
    assert escape_measurement("a b,c=d") == "a\\ b\\,c=d"
    assert escape_key("a b,c=d") == "a\\ b\\,c\\=d"
    assert escape_key('quo"te') == 'quo"te'
    for bad in ("", "a\nb", "ends\\", "x\\,y"):
        with pytest.raises(LineProtocolError):
            escape_key(bad)


def test_fixed_field_types_and_sorted_tags() -> None:
    enc = LineEncoder()
    r1 = Reading(T0, "eggs_total", 18234.0, {"tier": "2", "row": "03"})
    r2 = Reading(T0 + 1, "temp_c", 21)
    assert enc.encode("jinji", "house-07", "ec-1", [r1, r2]) == [
        f"eggs_total,device=ec-1,row=03,site=jinji,tier=2,unit=house-07 value=18234i {T0}",
        f"temp_c,device=ec-1,site=jinji,unit=house-07 value=21.0 {T0 + 1}",
    ]
    assert (
        encode_point(Point("jinji", "house-07", "ec-1", r1))
        == enc.encode("jinji", "house-07", "ec-1", [r1])[0]
    )
    assert series_key("m", "s", "u", "d", {"a": "x y"}) == "m,a=x\\ y,device=d,site=s,unit=u"


# -- property tests against the real parser ---------------------------------------------------------

_counter = itertools.count()

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"))
    | st.sampled_from([",", "=", " ", '"', "'", "\\"]),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip() == s)
tag_key = text.filter(
    lambda k: k not in ("time", "value", "site", "unit", "device") and not k.startswith("_")
)


def encodable(s: str) -> bool:
    try:
        escape_key(s)
        return True
    except LineProtocolError:
        return False


@pytest.fixture(scope="module")
def lp_db(influxd: Influxd) -> Iterator[str]:
    name = f"lp_{uuid.uuid4().hex[:8]}"
    httpx.post(f"{influxd.url}/query", data={"q": f"CREATE DATABASE {name}"})
    yield name
    httpx.post(f"{influxd.url}/query", data={"q": f"DROP DATABASE {name}"})


def read_back(influxd: Influxd, db: str, measurement: str) -> list[dict[str, object]]:
    r = httpx.post(
        f"{influxd.url}/query",
        data={"q": f"SELECT * FROM {quote_ident(measurement)}", "db": db, "epoch": "ms"},
    )
    doc = r.json()["results"][0]
    assert "error" not in doc, doc
    rows = []
    for s in doc.get("series", []):
        for values in s["values"]:
            rows.append({k: v for k, v in zip(s["columns"], values, strict=True) if v is not None})
    return rows


@pytest.mark.integration
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    measurement=text.filter(encodable),
    unit=text.filter(encodable),
    tags=st.dictionaries(tag_key.filter(encodable), text.filter(encodable), max_size=4),
    value=st.one_of(
        st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
)
def test_arbitrary_text_survives_influx_parser(
    influxd: Influxd, lp_db: str, measurement: str, unit: str, tags: dict[str, str], value: int | float
) -> None:
    name = f"m{next(_counter)}{measurement}"  # a fresh measurement: int and float never meet
    field = f"{value}i" if isinstance(value, int) else repr(value)
    line = f"{series_key(name, 'site-a', unit, 'dev', tags)} value={field} {T0}"
    r = httpx.post(f"{influxd.url}/write", params={"db": lp_db, "precision": "ms"}, content=line.encode())
    assert r.status_code == 204, (line, r.text)
    [row] = read_back(influxd, lp_db, name)
    if isinstance(value, float):  # JSON may print a large float without a fraction: compare as float
        row["value"] = float(row["value"])  # type: ignore[arg-type]
    assert row == {"time": T0, "value": value, "site": "site-a", "unit": unit, "device": "dev", **tags}


@pytest.mark.integration
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_wire_readings_survive_influx_parser(influxd: Influxd, lp_db: str, data: st.DataObject) -> None:
    metric = data.draw(st.sampled_from(sorted(metrics.REGISTRY)))
    m = metrics.REGISTRY[metric]
    if m.integer:
        value: int | float = data.draw(st.integers(min_value=int(m.min), max_value=min(int(m.max), 2**53)))
    else:
        value = data.draw(st.floats(min_value=m.min, max_value=m.max))
    tag_value = st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=64
    ).filter(lambda v: v.isprintable() and "\\" not in v)  # wire refuses backslashes in tags
    tags = data.draw(
        st.dictionaries(
            st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), tag_value.filter(encodable), max_size=3
        )
    )
    tags = {
        k: v for k, v in tags.items() if k not in ("site", "unit", "device", "metric", "time", "value", "seq")
    }
    site = f"s{next(_counter)}"
    reading = Reading(T0, metric, value, tags)
    [line] = LineEncoder().encode(site, "house-01", "dev-1", [reading])
    r = httpx.post(f"{influxd.url}/write", params={"db": lp_db, "precision": "ms"}, content=line.encode())
    assert r.status_code == 204, (line, r.text)
    q = f"SELECT * FROM {quote_ident(metric)} WHERE site = {quote_str(site)}"
    doc = httpx.post(f"{influxd.url}/query", data={"q": q, "db": lp_db, "epoch": "ms"}).json()
    [s] = doc["results"][0]["series"]
    [values] = s["values"]
    row = {k: v for k, v in zip(s["columns"], values, strict=True) if v is not None}
    if not m.integer:
        row["value"] = float(row["value"])
    assert row == {"time": T0, "value": value, "site": site, "unit": "house-01", "device": "dev-1", **tags}
    assert isinstance(row["value"], int) == m.integer or float(value).is_integer()
