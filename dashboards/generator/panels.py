"""Small builders for Grafana dashboard JSON (schema as written by the pinned Grafana image).

Only what eggwatch's dashboards use: raw InfluxQL and SQL targets, server-side math expressions,
and a handful of panel types with units and thresholds.  Every builder returns plain dicts.
"""

from __future__ import annotations

from typing import Any

# Grafana 12.1 writes schemaVersion 41 (migration v41 landed in 12.0; v42 after 12.1).
GRAFANA_IMAGE = "grafana/grafana:12.1.1"
SCHEMA_VERSION = 41

INFLUX_UID = "eggwatch-influxdb"
POSTGRES_UID = "eggwatch-postgres"
INFLUX = {"type": "influxdb", "uid": INFLUX_UID}
POSTGRES = {"type": "grafana-postgresql-datasource", "uid": POSTGRES_UID}
EXPR = {"type": "__expr__", "uid": "__expr__"}
# The park's zone: the dashboards' clock ("today", axes) is the same as their daily buckets', whatever
# the viewer's browser says (with "browser", a browser in UTC began "today" at 08:00 in the park).
PARK_ZONE = "Asia/Shanghai"

GREEN, YELLOW, ORANGE, RED, BLUE = "green", "yellow", "orange", "red", "blue"

# Money in yuan, exact to the fen.  Grafana has no "currencyCNY" unit (an unknown id is printed
# after the number as text, "226501 currencyCNY"); "prefix:" is its custom-unit syntax.
CNY = "prefix:¥"
CNY_DECIMALS = 2

Json = dict[str, Any]


def steps(base: str, *limits: tuple[float, str]) -> Json:
    """Absolute thresholds: ``base`` colour below the first limit, then each ``(value, colour)``."""
    out: list[Json] = [{"color": base, "value": None}]
    out += [{"color": colour, "value": value} for value, colour in limits]
    return {"mode": "absolute", "steps": out}


def influx(ref: str, query: str, alias: str = "", fmt: str = "time_series") -> Json:
    return {
        "refId": ref,
        "datasource": INFLUX,
        "query": " ".join(query.split()),
        "rawQuery": True,
        "resultFormat": fmt,
        "alias": alias,
    }


def sql(ref: str, query: str, fmt: str = "table") -> Json:
    return {
        "refId": ref,
        "datasource": POSTGRES,
        "rawSql": " ".join(query.split()),
        "rawQuery": True,
        "editorMode": "code",
        "format": fmt,
    }


def math(ref: str, expression: str) -> Json:
    """A server-side expression (Grafana SSE); series are matched by their labels (e.g. ``unit``)."""
    return {"refId": ref, "datasource": EXPR, "type": "math", "expression": expression, "hide": False}


def named_by_label(ref: str, label: str = "unit") -> Json:
    """An override naming query ``ref``'s series by their ``label``: Grafana names a server-side
    expression's result after its refId, so a legend or stat would read "C {unit=house-01}"."""
    return {
        "matcher": {"id": "byFrameRefID", "options": ref},
        "properties": [{"id": "displayName", "value": f"${{__field.labels.{label}}}"}],
    }


def value_names(names: dict[str, tuple[str, str]]) -> list[Json]:
    """Overrides showing series named by a tag code (``$tag_grade`` → "s") as "小 small"."""
    return [
        {
            "matcher": {"id": "byName", "options": code},
            "properties": [{"id": "displayName", "value": f"{zh} {en}"}],
        }
        for code, (zh, en) in names.items()
    ]


def column_unit(column: str, unit: str, decimals: int) -> Json:
    """A field override: the table column ``column`` in ``unit`` (the panel's unit stays for the rest)."""
    return {
        "matcher": {"id": "byName", "options": column},
        "properties": [{"id": "unit", "value": unit}, {"id": "decimals", "value": decimals}],
    }


def hidden(target: Json) -> Json:
    return {**target, "hide": True}


class Layout:
    """Places panels left to right on Grafana's 24-column grid, wrapping to a new row."""

    def __init__(self) -> None:
        self.x = self.y = self.row_h = 0
        self.next_id = 1

    def place(self, w: int, h: int) -> tuple[int, Json]:
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_h = max(self.row_h, h)
        pid, self.next_id = self.next_id, self.next_id + 1
        return pid, pos


def panel(
    layout: Layout,
    kind: str,
    title: str,
    targets: list[Json],
    *,
    unit: str = "short",
    w: int = 12,
    h: int = 8,
    description: str = "",
    thresholds: Json | None = None,
    decimals: int | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    options: Json | None = None,
    custom: Json | None = None,
    mappings: list[Json] | None = None,
    overrides: list[Json] | None = None,
    time_from: str | None = None,
    time_shift: str | None = None,
    interval: str | None = None,
    transformations: list[Json] | None = None,
) -> Json:
    pid, pos = layout.place(w, h)
    sources = {t["datasource"]["uid"] for t in targets if t["datasource"]["uid"] != "__expr__"}
    datasource = (
        targets[0]["datasource"] if len(sources) <= 1 else {"type": "datasource", "uid": "-- Mixed --"}
    )
    if sources and datasource["uid"] == "__expr__":
        uid = next(iter(sources))
        datasource = INFLUX if uid == INFLUX_UID else POSTGRES
    defaults: Json = {
        "unit": unit,
        "color": {"mode": "thresholds" if thresholds and kind != "timeseries" else "palette-classic"},
        "thresholds": thresholds or steps(GREEN),
        "mappings": mappings or [],
    }
    if decimals is not None:
        defaults["decimals"] = decimals
    if min_value is not None:
        defaults["min"] = min_value
    if max_value is not None:
        defaults["max"] = max_value
    if custom:
        defaults["custom"] = custom
    out: Json = {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": datasource,
        "gridPos": pos,
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
    }
    if time_from:
        out["timeFrom"] = time_from
    if time_shift:
        out["timeShift"] = time_shift
    if interval:
        out["interval"] = interval
    if transformations:
        out["transformations"] = transformations
    return out


def timeseries(layout: Layout, title: str, targets: list[Json], **kw: Any) -> Json:
    draw = kw.pop("draw", "line")
    custom = {
        "drawStyle": draw,
        "lineWidth": 2,
        "fillOpacity": 20 if draw == "bars" else 10,
        "spanNulls": 3_600_000,
        "showPoints": "never",
        "thresholdsStyle": {"mode": "line" if kw.get("thresholds") else "off"},
        "stacking": {"mode": kw.pop("stacking", "none"), "group": "A"},
    }
    options = {
        "legend": {
            "displayMode": "table",
            "placement": "bottom",
            "showLegend": True,
            "calcs": kw.pop("calcs", ["lastNotNull"]),
        },
        "tooltip": {"mode": "multi", "sort": "desc"},
    }
    return panel(layout, "timeseries", title, targets, custom=custom, options=options, **kw)


def reduce_options(calc: str, values: bool = False) -> Json:
    """How a stat-like panel boils each series (or, with ``values``, each table row) down to one value."""
    return {"calcs": [calc], "fields": "", "values": values}


def stat(layout: Layout, title: str, targets: list[Json], calc: str = "lastNotNull", **kw: Any) -> Json:
    options = {
        "reduceOptions": reduce_options(calc),
        "colorMode": "background",
        "graphMode": kw.pop("graph", "none"),
        "textMode": "value_and_name",
        "justifyMode": "auto",
        "orientation": "auto",
    }
    return panel(layout, "stat", title, targets, options=options, **kw)


def bargauge(
    layout: Layout,
    title: str,
    targets: list[Json],
    calc: str = "lastNotNull",
    values: bool = False,
    **kw: Any,
) -> Json:
    """``values=True`` shows one bar per table row (SQL) instead of one per series."""
    options = {
        "reduceOptions": reduce_options(calc, values),
        "orientation": "horizontal",
        "displayMode": "gradient",
        "showUnfilled": True,
    }
    return panel(layout, "bargauge", title, targets, options=options, **kw)


def piechart(
    layout: Layout, title: str, targets: list[Json], calc: str = "sum", values: bool = False, **kw: Any
) -> Json:
    options = {
        "reduceOptions": reduce_options(calc, values),
        "pieType": "donut",
        "legend": {
            "displayMode": "table",
            "placement": "right",
            "showLegend": True,
            "values": ["value", "percent"],
        },
        "tooltip": {"mode": "single", "sort": "none"},
    }
    return panel(layout, "piechart", title, targets, options=options, **kw)


def table(layout: Layout, title: str, targets: list[Json], **kw: Any) -> Json:
    options = {
        "showHeader": True,
        "cellHeight": "sm",
        "footer": {"show": False, "reducer": ["sum"], "fields": ""},
    }
    return panel(layout, "table", title, targets, options=options, **kw)


def state_timeline(layout: Layout, title: str, targets: list[Json], **kw: Any) -> Json:
    options = {
        "showValue": "auto",
        "mergeValues": True,
        "alignValue": "left",
        "rowHeight": 0.9,
        "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
    }
    return panel(layout, "state-timeline", title, targets, options=options, **kw)


def influx_variable(name: str, label: str, query: str, *, multi: bool = False) -> Json:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": INFLUX,
        "query": query,
        "definition": query,
        "refresh": 1,  # on dashboard load: new houses appear without editing the dashboard
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        "current": {},
        "options": [],
        "hide": 0,
        "regex": "",
    }


def dashboard(
    uid: str,
    title: str,
    panels: list[Json],
    *,
    variables: list[Json],
    time_from: str,
    refresh: str,
    tags: list[str],
    description: str,
) -> Json:
    return {
        "id": None,
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["eggwatch", *tags],
        "timezone": PARK_ZONE,
        "editable": True,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "weekStart": "monday",
        "liveNow": False,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "refresh": refresh,
        "templating": {"list": variables},
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "links": [
            {
                "title": "eggwatch 仪表盘 dashboards",
                "type": "dashboards",
                "tags": ["eggwatch"],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
                "icon": "external link",
                "targetBlank": False,
            }
        ],
        "panels": panels,
    }
