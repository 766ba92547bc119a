"""Page totals: a short page answers without a count query, a full one counts (capped), and the
column-only list queries return the same fields as the objects did."""

from __future__ import annotations

import pytest

from api.routes import _common
from tests.api.conftest import Api
from tests.api.test_resources import household


def totals(api: Api, limit: int, offset: int) -> tuple[int, int]:
    page = api.get("manager", "/api/v1/households", params={"limit": limit, "offset": offset}).json()
    return page["total"], len(page["items"])


def test_totals_at_every_page_edge(api: Api) -> None:
    assert totals(api, 2, 0) == (0, 0)  # empty table
    for i in range(5):
        household(api, f"E{i}")
    assert totals(api, 2, 0) == (5, 2)  # full page: counted
    assert totals(api, 2, 4) == (5, 1)  # short page: offset + rows
    assert totals(api, 5, 0) == (5, 5)  # exactly full
    assert totals(api, 2, 5) == (5, 0)  # just past the end: counted
    assert totals(api, 2, 99) == (5, 0)


def test_total_is_capped(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(6):
        household(api, f"C{i}")
    monkeypatch.setattr(_common, "COUNT_CAP", 3)
    assert totals(api, 2, 0) == (4, 2)  # stops at cap + 1: "at least 4"
    assert totals(api, 2, 4) == (6, 2)  # a page beyond the cap: cap follows offset + limit
    assert totals(api, 4, 4) == (6, 2)


def test_worker_list_fields(api: Api) -> None:
    hid = household(api, "W1")
    body = {"name": "李明", "national_id": "11010519491231002X", "household_id": hid, "phone": "13912345678"}
    created = api.post("manager", "/api/v1/workers", json=body).json()
    listed = api.get("manager", "/api/v1/workers").json()
    assert listed["items"] == [created] and listed["total"] == 1
    assert created["phone"] == "139****5678" and created["national_id"] == "110105********002X"


def test_reads_skip_the_transaction_round_trips(api: Api) -> None:
    """On PostgreSQL, GET requests get autocommit sessions (no BEGIN/ROLLBACK); writes do not."""
    state = api.app.state
    with state.read_sessions() as reads, state.sessions() as writes:
        read_conn = reads.connection().connection.dbapi_connection
        write_conn = writes.connection().connection.dbapi_connection
        postgres = reads.get_bind().dialect.name == "postgresql"
        assert getattr(read_conn, "autocommit", False) is postgres
        assert getattr(write_conn, "autocommit", False) is False


def test_lines_of_a_missing_run_are_404(api: Api) -> None:
    assert api.get("payroll", "/api/v1/payroll/runs/999/lines").status_code == 404
    assert api.get("poverty_office", "/api/v1/payroll/runs/999/lines").status_code == 403
