"""Every SQL panel query (Grafana's macros expanded) runs against a real PostgreSQL, created with the
project's Alembic migrations and seeded with workforce and alert history, and returns rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

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
    """Managers read 产蛋率下降 laying-rate drop and 未确认 open, not the codes."""
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
    assert {"未确认 open", "已确认 acknowledged"} <= shown, shown
    assert not shown & {"laying_drop", "sensor_fault", "open", "acknowledged"}, shown


def _one_alert_and_one_shift(url: str, at: dt.datetime) -> None:
    from analytics.alerts.models import Alert
    from api.models import Household, Location, Shift, Task, Worker
    from eggwatch.sql import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        household = Household(code="H1", village="白杨村", township="金集镇", members=4, registered_poor=True)
        house = Location(unit="house-01", kind="house", name="House 1", name_zh="一号鸡舍")
        task = Task(code="collect", name="Egg collection", name_zh="集蛋", output="eggs")
        s.add_all([household, house, task])
        s.flush()
        worker = Worker(name="工人", household_id=household.id, national_id_enc="enc", national_id_hash="h",
                        national_id_masked="620525********2316")  # fmt: skip
        s.add(worker)
        s.flush()
        start = at - dt.timedelta(hours=5, minutes=30)  # 02:00 on the 1st in the park
        s.add(Shift(worker_id=worker.id, location_id=house.id, task_id=task.id, start_at=start,
                    end_at=start + dt.timedelta(hours=8)))  # fmt: skip
        s.add(Alert(site="jinji", unit="house-01", kind="laying_drop", dedupe_key="k", status="resolved",
                    detected_at=at, onset=at, magnitude_pct=6.5, message="m", message_zh="m", evidence={},
                    opened_at=at, last_seen_at=at, acknowledged_at=at + dt.timedelta(minutes=10),
                    acknowledged_by="sup", recipients=[]))  # fmt: skip
        s.commit()
    engine.dispose()


def _utc(t: object) -> dt.datetime:
    """A time column as Grafana reads it: epoch seconds, a timestamptz, or a naive UTC timestamp."""
    if isinstance(t, dt.datetime):
        return t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(float(t), dt.UTC)  # type: ignore[arg-type]


def test_days_and_months_are_the_parks_local_ones(pg_url: str) -> None:
    """An alert at 07:30 in the park (23:30 UTC the day before) counts for its local day, and a
    night shift from 02:00 on the 1st for its local month: Grafana's $__timeGroup buckets by UTC
    epoch, and date_trunc by the session's zone, which put both a day or a month early."""
    migrate(pg_url)
    at = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)  # 2026-12-01 07:30 in Asia/Shanghai
    local_first = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # 2026-12-01 00:00 there
    _one_alert_and_one_shift(pg_url, at)
    now = at + dt.timedelta(days=2)
    engine = sa.create_engine(pg_url)
    buckets = {}
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SET TIME ZONE 'UTC'"))  # Grafana's sessions run in UTC
            for d, panel, target in sql_cases():
                if target["format"] == "time_series" and "payroll" not in target["rawSql"]:
                    query = fill_sql(target["rawSql"], panel_range(d, panel, now, TZ))
                    times = {r[0] for r in conn.execute(sa.text(query))}
                    buckets[panel["title"]] = {_utc(t) for t in times}
    finally:
        engine.dispose()
    assert buckets.pop("每日告警（按类型） Alerts per day by kind") == {local_first}
    assert buckets.pop("确认用时 Time to acknowledge") == {local_first}
    assert buckets.pop("每月工时 Hours worked per month") == {local_first}  # December's, not November's
    assert not buckets, buckets


def test_alert_sizes_sit_in_their_own_units_column(pg_url: str) -> None:
    """A laying drop's hen-day points and a water drop's percent were one "magnitude %" column."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    migrate(pg_url)
    seed(pg_url, now)
    alerts = next(d for d in load_dashboards() if d["uid"] == "eggwatch-alerts")
    panel = next(p for p in alerts["panels"] if p["title"] == "未关闭告警 Active alerts")
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            query = fill_sql(panel["targets"][0]["rawSql"], panel_range(alerts, panel, now, TZ))
            rows = {r["类型 kind"]: r for r in conn.execute(sa.text(query)).mappings()}
    finally:
        engine.dispose()
    laying, water = rows["产蛋率下降 laying-rate drop"], rows["饮水量下降 water intake drop"]
    assert (laying["幅度（百分点） drop (points)"], laying["幅度 drop %"]) == (6.5, None)
    assert (water["幅度（百分点） drop (points)"], water["幅度 drop %"]) == (None, 6.5)
