"""The migrations keep the data in place: up and down through every revision with rows in the
tables, on SQLite (where batch mode rebuilds tables) and on the real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from eggwatch.migrations import current, downgrade, head, upgrade
from eggwatch.sql import make_engine

T = "'2026-01-01 00:00:00'"
ROWS = [
    f"INSERT INTO households (id, code, village, township, members, registered_poor, created_at) "
    f"VALUES (1, 'H1', 'v', 't', 3, true, {T})",
    # An empty sealed value: 0004 has nothing to re-seal, so no secret key is needed.
    f"INSERT INTO workers (id, name, household_id, national_id_enc, national_id_hash, national_id_masked, "
    f"full_time, active, created_at) VALUES (1, 'w', 1, '', 'h', 'm', true, true, {T})",
    f"INSERT INTO payroll_runs (id, period_start, period_end, status, min_monthly_fen, min_hourly_fen, "
    f"created_at) VALUES (1, '2026-01-01', '2026-02-01', 'approved', 1, 1, {T})",
    "INSERT INTO payroll_lines (run_id, worker_id, hours, days, eggs, cases, trays, base_fen, piece_fen, "
    "topup_fen, deductions_fen, net_fen, flags) VALUES (1, 1, 8, 1, 0, 0, 0, 1, 1, 1, 1, 1, '')",
    f"INSERT INTO payroll_adjustments (run_id, worker_id, amount_fen, reason, created_at) "
    f"VALUES (1, 1, 5, 'r', {T})",
    f'INSERT INTO alert (id, site, unit, kind, "row", dedupe_key, status, detected_at, message, '
    f"message_zh, evidence, opened_at, last_seen_at, recipients, version) VALUES (1, 's', 'house-01', "
    f"'laying_drop', '03', 'k', 'open', {T}, 'm', 'm', '{{}}', {T}, {T}, '[]', 1)",
    f"INSERT INTO alert_event (alert_id, at, action, detail) VALUES (1, {T}, 'opened', '{{}}')",
    f"INSERT INTO alert_outbox (channel, alert_id, event, payload, created_at, status, attempts, "
    f"next_attempt_at) VALUES ('log', 1, 'opened', '{{}}', {T}, 'pending', 0, {T})",
]
COUNTS = {
    "payroll lines": "SELECT count(*) FROM payroll_lines",
    "adjustments": "SELECT count(*) FROM payroll_adjustments",
    "alert events": "SELECT count(*) FROM alert_event",
    "outbox messages of an alert": "SELECT count(alert_id) FROM alert_outbox",
}


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(sa.text(q)).scalar_one() for name, q in COUNTS.items()}
    finally:
        engine.dispose()


def test_rows_referencing_a_rebuilt_table_survive_up_and_down(blank_db_url: str) -> None:
    # On SQLite, 0006 rebuilds ``alert`` (DROP + rename) with foreign keys on: the DROP cascaded
    # and deleted every alert event (1 -> 0) and unlinked the outbox; 0003's downgrade deleted
    # every payroll line the same way.
    url = blank_db_url
    upgrade(url, "0005_login_attempts")
    engine = make_engine(url)
    with engine.begin() as conn:
        for row in ROWS:
            conn.execute(sa.text(row))
    engine.dispose()
    before = counts(url)
    assert set(before.values()) == {1}
    upgrade(url)
    assert counts(url) == before
    downgrade(url, "0002_alerts")
    assert counts(url) == before
    upgrade(url)
    assert counts(url) == before


UPGRADE_ON_GO = """
import pathlib, sys, time
from eggwatch.migrations import upgrade
go = pathlib.Path(sys.argv[2])
pathlib.Path(sys.argv[3]).touch()  # imported: ready
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
upgrade(sys.argv[1])
"""


def test_two_upgrades_at_the_same_moment_both_succeed(blank_db_url: str, tmp_path: Path) -> None:
    # Both read "no revision" and ran 0001: the later one failed with "table households already
    # exists" (SQLite) or a duplicate key in pg_type (PostgreSQL).
    go, ready = tmp_path / "go", [tmp_path / f"ready-{i}" for i in range(3)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", UPGRADE_ON_GO, blank_db_url, str(go), str(r)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 60
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # all three are imported and waiting: start them at once
    results = [(p.wait(120), p.stderr.read() if p.stderr else "") for p in procs]
    assert [rc for rc, _ in results] == [0, 0, 0], [err.splitlines()[-1:] for _, err in results]
    assert current(blank_db_url) == head()
