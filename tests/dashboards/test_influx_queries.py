"""Every InfluxQL query of the dashboards, with Grafana's macros and variables filled in, runs against
a real InfluxDB holding a demo park and returns series (and template variables return values)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.dashboards.conftest import load_dashboards, targets
from tests.dashboards.demo_data import HOUSES, LINE, TZ, DemoPark, load, reference_time
from tests.dashboards.grafana_macros import fill_influxql, panel_range
from tests.dashboards.sim_data import load_simulated
from tests.support.servers import Influxd

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=["generated", "simulated"])
def demo_db(request: pytest.FixtureRequest, influxd: Influxd) -> Iterator[tuple[str, str, DemoPark]]:
    """The hand-made park (every metric, deterministic) and the flock simulator's park."""
    park = DemoPark(site=f"t{request.param}", end=reference_time())
    db = f"t_dashboards_{request.param}"
    if request.param == "generated":
        assert load(influxd.url, db, park) > 10_000
    else:
        sim_park = load_simulated(influxd.url, db, park.site, park.end)
        assert [h.unit for h in sim_park.houses] == list(HOUSES) and [x.unit for x in sim_park.lines] == [
            LINE
        ]
    yield influxd.url, db, park
    httpx.post(f"{influxd.url}/query", data={"q": f'DROP DATABASE "{db}"'}, timeout=10)


def run(url: str, db: str, query: str) -> list[dict[str, Any]]:
    r = httpx.post(f"{url}/query", params={"db": db, "epoch": "ms"}, data={"q": query}, timeout=30)
    assert r.status_code == 200, r.text
    result = r.json()["results"][0]
    assert "error" not in result, f"{result['error']}: {query}"
    return result.get("series", [])


def variables_for(dashboard: dict[str, Any], park: DemoPark) -> dict[str, str]:
    names = {v["name"]: v for v in dashboard["templating"]["list"]}
    values = {"site": park.site}
    if "house" in names:
        values["house"] = "(" + "|".join(HOUSES) + ")" if names["house"]["multi"] else HOUSES[0]
    if "line" in names:
        values["line"] = f"({LINE})" if names["line"]["multi"] else LINE
    return values


def influx_cases() -> list[Any]:
    cases = []
    for d in load_dashboards():
        for panel, t in targets(d):
            if t["datasource"]["uid"] == "eggwatch-influxdb":
                cases.append(pytest.param(d, panel, t, id=f"{d['uid']}:{panel['id']}{t['refId']}"))
    return cases


@pytest.mark.parametrize(("dashboard", "panel", "target"), influx_cases())
def test_panel_query_returns_series(
    demo_db: tuple[str, str, DemoPark],
    dashboard: dict[str, Any],
    panel: dict[str, Any],
    target: dict[str, Any],
) -> None:
    url, db, park = demo_db
    rng = panel_range(dashboard, panel, park.end, TZ)
    query = fill_influxql(target["query"], rng, variables_for(dashboard, park), panel.get("interval"))
    series = run(url, db, query)
    assert series, f"{panel['title']}: no series for {query}"
    values = [v for s in series for row in s["values"] for v in row[1:] if v is not None]
    assert values, f"{panel['title']}: only nulls for {query}"
    if "non_negative" in query or "* -1" in query:
        assert all(v >= 0 for v in values), query


@pytest.mark.parametrize("dashboard", [pytest.param(d, id=d["uid"]) for d in load_dashboards()])
def test_template_variables_return_values(
    demo_db: tuple[str, str, DemoPark], dashboard: dict[str, Any]
) -> None:
    url, db, park = demo_db
    for var in dashboard["templating"]["list"]:
        query = var["query"].replace("$site", park.site)
        values = sorted(v[1] for s in run(url, db, query) for v in s["values"])
        expected = {"site": [park.site], "house": list(HOUSES), "line": [LINE]}[var["name"]]
        assert values == expected, (var["name"], query)


def test_math_expression_inputs_share_labels(demo_db: tuple[str, str, DemoPark]) -> None:
    """Grafana joins the series of a math expression by their labels: its inputs must match."""
    url, db, park = demo_db
    for d in load_dashboards():
        for panel in d["panels"]:
            exprs = [t for t in panel["targets"] if t["datasource"]["uid"] == "__expr__"]
            for expr in exprs:
                label_sets = []
                for ref in sorted(set(re.findall(r"\$([A-Z])\b", expr["expression"]))):
                    t = next(t for t in panel["targets"] if t["refId"] == ref)
                    rng = panel_range(d, panel, park.end, TZ)
                    q = fill_influxql(t["query"], rng, variables_for(d, park), panel.get("interval"))
                    label_sets.append(
                        sorted(tuple(sorted((s.get("tags") or {}).items())) for s in run(url, db, q))
                    )
                assert all(ls == label_sets[0] for ls in label_sets), (panel["title"], label_sets)
                # Grafana names an expression's result after its refId ("C {unit=house-01}"): one
                # whose series carry labels is named by one of them.
                keys = {k for tags in label_sets[0] for k, _ in tags}
                names = [
                    prop["value"]
                    for o in panel["fieldConfig"]["overrides"]
                    if o["matcher"] == {"id": "byFrameRefID", "options": expr["refId"]}
                    for prop in o["properties"]
                    if prop["id"] == "displayName"
                ]
                labels = [
                    m.group(1) for n in names if (m := re.fullmatch(r"\$\{__field\.labels\.(\w+)\}", n))
                ]
                assert not keys or (labels and set(labels) <= keys), (panel["title"], keys, names)


def test_hen_day_per_house_is_plausible(demo_db: tuple[str, str, DemoPark]) -> None:
    """The park overview's hen-day expression, computed from its inputs, is near the demo's 90 %."""
    url, db, park = demo_db
    d = next(d for d in load_dashboards() if d["uid"] == "eggwatch-park-overview")
    panel = next(p for p in d["panels"] if p["title"].startswith("产蛋率"))
    rng = panel_range(d, panel, park.end, TZ)
    by_ref = {
        t["refId"]: run(url, db, fill_influxql(t["query"], rng, variables_for(d, park)))
        for t in panel["targets"]
        if t["refId"] in ("A", "B")
    }
    for eggs, hens in zip(by_ref["A"], by_ref["B"], strict=True):
        assert eggs["tags"] == hens["tags"]
        days = [(e[1], h[1]) for e, h in zip(eggs["values"], hens["values"], strict=True) if e[1] and h[1]]
        assert len(days) >= 3
        for e, h in days[1:-1]:  # the first and last day are partial
            assert 80 < 100 * e / h < 100, (eggs["tags"], e, h)
