"""The dashboard JSON models: well formed, unique uids, provisioned datasources, bilingual titles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from dashboards.generator.__main__ import build_all
from dashboards.generator.panels import GRAFANA_IMAGE, SCHEMA_VERSION
from eggwatch.metrics import REGISTRY, Kind
from tests.dashboards.conftest import DASHBOARDS, JSON_DIR, ROOT, dashboard_files, load_dashboards, targets

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")
COUNTERS = {m.name for m in REGISTRY.values() if m.kind is Kind.COUNTER}


def test_at_least_five_dashboards_each_well_formed_json() -> None:
    files = dashboard_files()
    assert len(files) >= 5
    for f in files:
        model = json.loads(f.read_text(encoding="utf-8"))
        assert model["title"] and model["panels"], f
        assert f.name == f"{model['uid']}.json"


def test_committed_json_matches_the_generator() -> None:
    built = build_all()
    assert sorted(built) == [p.name for p in dashboard_files()]
    for name, text in built.items():
        assert (JSON_DIR / name).read_text(encoding="utf-8") == text, (
            f"{name}: run python -m dashboards.generator"
        )


def test_dashboard_and_panel_uids_and_ids_unique() -> None:
    models = load_dashboards()
    uids = [m["uid"] for m in models]
    assert len(set(uids)) == len(uids)
    for m in models:
        ids = [p["id"] for p in m["panels"]]
        assert len(set(ids)) == len(ids), m["uid"]
        titles = [p["title"] for p in m["panels"]]
        assert len(set(titles)) == len(titles), m["uid"]


def test_titles_are_in_chinese_and_english() -> None:
    for m in load_dashboards():
        for title in [m["title"], *(p["title"] for p in m["panels"])]:
            assert CJK.search(title) and LATIN.search(title), title


def test_every_panel_datasource_is_provisioned(provisioned_uids: dict[str, str]) -> None:
    assert set(provisioned_uids) == {"eggwatch-influxdb", "eggwatch-postgres"}
    builtin = {"__expr__", "-- Mixed --", "-- Grafana --"}
    for m in load_dashboards():
        for var in m["templating"]["list"]:
            assert var["datasource"]["uid"] in provisioned_uids
        for panel, target in targets(m):
            for ref in (panel["datasource"], target["datasource"]):
                uid = ref["uid"]
                assert uid in builtin or provisioned_uids.get(uid) == ref["type"], (
                    m["uid"],
                    panel["title"],
                    ref,
                )


def test_schema_version_matches_the_pinned_grafana_image() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["grafana"]["image"] == GRAFANA_IMAGE
    assert GRAFANA_IMAGE.startswith("grafana/grafana:12.1.")  # 12.0-12.1 write schemaVersion 41
    for m in load_dashboards():
        assert m["schemaVersion"] == SCHEMA_VERSION == 41


def test_influx_queries_use_time_filter_and_counters_only_as_increases() -> None:
    for m in load_dashboards():
        for panel, t in targets(m):
            if t["datasource"]["uid"] != "eggwatch-influxdb":
                continue
            query = t["query"]
            assert "$timeFilter" in query, (panel["title"], query)
            for measurement in re.findall(r'FROM "([a-z_]+)"', query):
                if measurement in COUNTERS:
                    assert re.search(r"non_negative_(difference|derivative)\(last\(\"value\"\)", query), query


def test_panels_have_units_and_sane_grid_positions() -> None:
    for m in load_dashboards():
        for p in m["panels"]:
            assert p["fieldConfig"]["defaults"]["unit"], p["title"]
            pos = p["gridPos"]
            assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24 and pos["h"] > 0


def test_math_expressions_reference_queries_of_the_same_panel() -> None:
    for m in load_dashboards():
        for p in m["panels"]:
            refs = {t["refId"] for t in p["targets"]}
            for t in p["targets"]:
                if t["datasource"]["uid"] == "__expr__":
                    used = set(re.findall(r"\$([A-Z])\b", t["expression"]))
                    assert used and used <= refs - {t["refId"]}, (p["title"], t["expression"])


def test_file_provider_points_at_the_mounted_dashboards() -> None:
    provider = yaml.safe_load((DASHBOARDS / "provisioning" / "dashboards" / "eggwatch.yaml").read_text())
    path = provider["providers"][0]["options"]["path"]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert any(v.startswith("./dashboards/json:") and v.split(":")[1] == path for v in mounts), mounts
    assert Path(ROOT / "dashboards" / "json").is_dir()


# Unit ids of Grafana 12.1 (packages/grafana-data/src/valueFormats/categories.ts) that eggwatch's
# panels may use; anything else must be a custom unit. An unknown id is not refused by Grafana: it
# is printed as text after the number ("226501 currencyCNY"), so only a test catches it.
GRAFANA_UNITS = {
    "none", "short", "percent", "percentunit", "humidity", "ppm", "celsius", "litre", "mlitre",
    "massg", "masskg", "pressurepa", "lux", "s", "m", "h", "d", "currencyUSD", "currencyEUR",
}  # fmt: skip
CUSTOM_UNIT = re.compile(r"^(prefix|suffix|si|count|currency|time):.+")


def _units(panel: dict[str, object]) -> list[tuple[str, object]]:
    field_config = panel["fieldConfig"]
    assert isinstance(field_config, dict)
    out = [("defaults", field_config["defaults"].get("unit"))]
    for o in field_config["overrides"]:
        out += [(o["matcher"]["options"], p["value"]) for p in o["properties"] if p["id"] == "unit"]
    return out


def test_every_unit_is_one_grafana_knows() -> None:
    for m in load_dashboards():
        for p in m["panels"]:
            for field, unit in _units(p):
                assert unit in GRAFANA_UNITS or CUSTOM_UNIT.match(str(unit)), (p["title"], field, unit)


def test_money_is_shown_in_yuan_to_the_fen() -> None:
    """Every wage figure: ¥ and two decimals (a table column by its own override)."""
    employment = next(m for m in load_dashboards() if m["uid"] == "eggwatch-employment")
    money = 0
    for p in employment["panels"]:
        defaults = p["fieldConfig"]["defaults"]
        if "Wages" in p["title"]:
            assert (defaults["unit"], defaults.get("decimals")) == ("prefix:¥", 2), p["title"]
            money += 1
        for o in p["fieldConfig"]["overrides"]:
            if "wages" in o["matcher"]["options"]:
                props = {x["id"]: x["value"] for x in o["properties"]}
                assert props == {"unit": "prefix:¥", "decimals": 2}, p["title"]
                money += 1
    assert money == 3


def test_dashboards_keep_the_parks_clock() -> None:
    """The dashboards' "today" and time axes in the zone of their daily buckets (tz(), date_trunc):
    with "browser", a viewer whose browser is in UTC had "today" begin at 08:00 in the park, after
    most of the morning's laying."""
    found = 0
    for m in load_dashboards():
        assert m["timezone"] == "Asia/Shanghai", m["uid"]
        for _panel, t in targets(m):
            text = t.get("query") or t.get("rawSql") or ""
            zones = re.findall(r"tz\('([^']+)'\)", text) + re.findall(
                r"date_trunc\('\w+', [\w.]+(?: AT TIME ZONE 'UTC')?, '([^']+)'\)", text
            )
            assert all(z == m["timezone"] for z in zones), (m["uid"], zones)
            found += len(zones)
    assert found >= 10


def test_egg_grades_and_reject_reasons_are_named_not_coded() -> None:
    """The packing line's pie and rejects bars were legended by the tag codes (s, m, l, xl,
    cracked, dirty); each code now shows in zh-CN and English (eggwatch.metrics.TAG_VALUE_NAMES)."""
    from eggwatch.metrics import TAG_VALUE_NAMES

    line = next(d for d in load_dashboards() if d["uid"] == "eggwatch-packing-line")
    panels = {p["title"]: p for p in line["panels"]}
    for title, tag, codes in (("等级分布 Grade distribution", "grade", ("s", "m", "l", "xl")),
                              ("剔除原因 Rejects by reason", "reason", ("cracked", "dirty"))):  # fmt: skip
        shown = {
            o["matcher"]["options"]: o["properties"][0]["value"]
            for o in panels[title]["fieldConfig"]["overrides"]
            if o["matcher"]["id"] == "byName" and o["properties"][0]["id"] == "displayName"
        }
        assert set(codes) <= set(shown), (title, shown)
        for code in codes:
            zh, en = TAG_VALUE_NAMES[tag][code]
            assert shown[code] == f"{zh} {en}" and CJK.search(zh), shown
