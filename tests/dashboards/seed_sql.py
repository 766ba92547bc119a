"""Seed a migrated eggwatch database with a little workforce and alert history for the SQL panels."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from eggwatch.sql import make_engine


def migrate(url: str) -> None:
    """Create the schema with the project's Alembic history (what ``eggwatch db upgrade`` runs)."""
    from eggwatch.migrations import upgrade

    upgrade(url)


def seed(url: str, now: dt.datetime) -> None:
    from analytics.alerts.models import Alert
    from api.models import Household, Location, PayrollLine, PayrollRun, Shift, Task, Worker

    engine = make_engine(url)
    with Session(engine) as s:
        villages = [("白杨村", "金集镇", True), ("红柳村", "金集镇", False), ("沙河村", "西湖乡", True)]
        households = [
            Household(code=f"H{i:03d}", village=v, township=t, members=4, registered_poor=poor)
            for i, (v, t, poor) in enumerate(villages * 2)
        ]
        s.add_all(households)
        s.flush()
        workers = [
            Worker(
                name=f"工人{i}",
                household_id=h.id,
                national_id_enc="enc",
                national_id_hash=f"hash{i}",
                national_id_masked="620525********2316",
            )
            for i, h in enumerate(households)
        ]
        s.add_all(workers)
        house = Location(unit="house-01", kind="house", name="House 1", name_zh="一号鸡舍")
        task = Task(code="collect", name="Egg collection", name_zh="集蛋", output="eggs")
        s.add_all([house, task])
        s.flush()
        for d in range(1, 40):
            start = now - dt.timedelta(days=d, hours=4)
            s.add_all(
                Shift(
                    worker_id=w.id,
                    location_id=house.id,
                    task_id=task.id,
                    start_at=start,
                    end_at=start + dt.timedelta(hours=8),
                )
                for w in workers
            )
        for months_back in (1, 2):
            first = (now.date().replace(day=1) - dt.timedelta(days=28 * months_back)).replace(day=1)
            run = PayrollRun(
                period_start=first,
                period_end=(first + dt.timedelta(days=32)).replace(day=1),
                status="paid",
                min_monthly_fen=201_000,
                min_hourly_fen=2_100,
            )
            s.add(run)
            s.flush()
            s.add_all(
                PayrollLine(
                    run_id=run.id,
                    worker_id=w.id,
                    hours=160,
                    days=20,
                    eggs=0,
                    cases=0,
                    trays=0,
                    base_fen=300_000,
                    piece_fen=50_000,
                    topup_fen=0,
                    deductions_fen=0,
                    net_fen=350_000,
                )
                for w in workers
            )
        for i, (status, kind) in enumerate(
            [
                ("open", "laying_drop"),
                ("acknowledged", "water_drop"),
                ("resolved", "sensor_fault"),
                ("resolved", "laying_drop"),
            ]
        ):
            opened = now - dt.timedelta(days=i + 1)
            acked = opened + dt.timedelta(minutes=20 + 10 * i) if status != "open" else None
            s.add(
                Alert(
                    site="jinji",
                    unit=f"house-0{i % 2 + 1}",
                    kind=kind,
                    row="03" if kind == "sensor_fault" else None,
                    dedupe_key=f"jinji/house-0{i % 2 + 1}/{kind}/{i}",
                    status=status,
                    detected_at=opened,
                    onset=opened,
                    magnitude_pct=6.5,
                    message="Laying dropped",
                    message_zh="产蛋下降",
                    evidence={},
                    opened_at=opened,
                    last_seen_at=opened,
                    acknowledged_at=acked,
                    acknowledged_by="sup" if acked else None,
                    recipients=[],
                )
            )
        s.commit()
    engine.dispose()
