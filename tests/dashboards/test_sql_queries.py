"""Every SQL panel query (Grafana's macros expanded) runs against a real PostgreSQL, created with the
project's Alembic migrations and seeded with workforce and alert history, and returns rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from tests.dashboards.conftest import load_dashboards, targets
from tests.dashboards.grafana_macros import fill_sql, panel_range
from tests.dashboards.seed_sql import migrate, seed

pytestmark = pytest.mark.integration
TZ = dt.UTC


def sql_cases() -> list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    return [
        (d, p, t)
        for d in load_dashboards()
        for p, t in targets(d)
        if t["datasource"]["uid"] == "eggwatch-postgres"
    ]


def test_every_sql_panel_query_returns_rows(pg_url: str) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    migrate(pg_url)
    seed(pg_url, now)
    cases = sql_cases()
    assert len(cases) >= 10
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            for d, panel, target in cases:
                query = fill_sql(target["rawSql"], panel_range(d, panel, now, TZ))
                rows = conn.execute(sa.text(query)).all()
                assert rows, f"{d['uid']} / {panel['title']}: no rows for {query}"
                if target["format"] == "time_series":
                    assert all(r[0] is not None for r in rows)
                assert any(v is not None for r in rows for v in r), f"{panel['title']}: only NULLs"
    finally:
        engine.dispose()


def test_alert_panels_name_kinds_and_states_in_both_languages(pg_url: str) -> None:
    """Managers read 产蛋率下降 laying-rate drop and 未处理 open, not the codes."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    migrate(pg_url)
    seed(pg_url, now)
    alerts = next(d for d in load_dashboards() if d["uid"] == "eggwatch-alerts")
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            shown = set()
            for panel, target in targets(alerts):
                if "类型 kind" in target.get("rawSql", ""):
                    query = fill_sql(target["rawSql"], panel_range(alerts, panel, now, TZ))
                    result = conn.execute(sa.text(query)).mappings().all()
                    shown |= {r["类型 kind"] for r in result} | {r.get("状态 status") for r in result}
    finally:
        engine.dispose()
    assert {"产蛋率下降 laying-rate drop", "传感器/计数器故障 sensor/counter fault"} <= shown, shown
    assert {"未处理 open", "已确认 acknowledged"} <= shown, shown
    assert not shown & {"laying_drop", "sensor_fault", "open", "acknowledged"}, shown
