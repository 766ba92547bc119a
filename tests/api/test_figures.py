"""GET /api/v1/figures/{unit}: a house's production figures through the detector's query layer."""

from __future__ import annotations

import datetime as dt

import pytest

from eggwatch.store.base import Point
from eggwatch.wire import Reading
from tests.api.conftest import Api

DAY = dt.datetime(2026, 3, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))  # a local day, Asia/Shanghai


def fill(api: Api) -> None:
    """Rows 01 and 02 of house-01 count 10 eggs every 10 minutes; row 02's counter is replaced
    under its id at 12:00 local (a new counter at 3,000,000)."""
    points = []
    for k in range(-12, 26 * 6):
        ts = int((DAY + dt.timedelta(minutes=10 * k)).timestamp() * 1000)
        second = 1_000 + 10 * k if k < 72 else 3_000_000 + 10 * k
        for row, value in (("01", 1_000 + 10 * k), ("02", second)):
            points.append(
                Point(api.park.site, "house-01", f"ec-{row}", Reading(ts, "eggs_total", value, {"row": row}))
            )
    api.store.write(points)


def window(days: float = 1) -> dict[str, str]:
    return {"start": DAY.isoformat(), "end": (DAY + dt.timedelta(days=days)).isoformat()}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_houses_figures_count_as_the_detector_does(api: Api) -> None:
    fill(api)
    r = api.get("manager", "/api/v1/figures/house-01", params=window())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["house"] == "house-01" and body["breed_label"] == {"en": "Hy-Line Brown", "zh": "海兰褐"}
    assert body["hours"][0] == "2026-03-09T16:00:00Z" and len(body["hours"]) == 24
    row2 = body["eggs_by_row_hourly"]["02"]
    assert body["eggs_by_row_hourly"]["01"] == [60] * 24
    assert row2[12] is None and row2[:12] + row2[13:] == [60] * 23  # the new counter's step: no eggs
    (day,) = body["days"]
    assert day["day"] == "2026-03-10" and day["eggs"] == 60 * 47 and not day["complete"]
    assert day["hens"] == 50_000 and day["hen_day_pct"] == round(100 * 60 * 47 / 50_000, 1)
    assert day["standard_hen_day_pct"] > 80


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_figures_are_for_staff_of_the_house_and_windows_are_bounded(api: Api) -> None:
    fill(api)
    assert api.get("supervisor", "/api/v1/figures/house-01", params=window()).status_code == 200
    other = api.get("supervisor", "/api/v1/figures/house-02", params=window())
    missing = api.get("manager", "/api/v1/figures/house-99", params=window())
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"] == "house house-02 not found"
    assert api.get("payroll", "/api/v1/figures/house-01", params=window()).status_code == 403
    assert api.get("manager", "/api/v1/figures/house-01", params=window(63)).status_code == 400
    assert api.get("manager", "/api/v1/figures/house-01", params=window(-1)).status_code == 400
    naive = {"start": "2026-03-10T00:00:00", "end": "2026-03-11T00:00:00"}
    assert api.get("manager", "/api/v1/figures/house-01", params=naive).status_code == 422
