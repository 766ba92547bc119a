"""``eggwatch dashboards standards`` writes the breed standard the dashboards draw, into a real InfluxDB."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from eggwatch.breeds import curve
from eggwatch.cli import app
from eggwatch.park import load_park
from tests.support.servers import Influxd

pytestmark = pytest.mark.integration
PARK = Path(__file__).resolve().parents[2] / "deploy" / "eggwatch" / "park.yaml"


def test_standards_are_written_per_house_and_day_idempotently(
    influxd: Influxd, influx_db: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EGGWATCH_INFLUX_URL", influxd.url)
    monkeypatch.setenv("EGGWATCH_INFLUX_DB", influx_db)
    park = load_park(PARK)
    args = ["dashboards", "standards", "--park", str(PARK), "--days-ahead", "10"]
    for _ in range(2):  # a re-run rewrites the same points
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    r = httpx.post(
        f"{influxd.url}/query",
        params={"db": influx_db},
        data={"q": 'SELECT count("value") FROM "hen_day_expected_pct" GROUP BY "unit"'},
    )
    counts = {s["tags"]["unit"]: s["values"][0][1] for s in r.json()["results"][0]["series"]}
    today = dt.datetime.now(park.tz).date()
    for house in park.houses:
        assert counts[house.unit] == (today + dt.timedelta(days=10) - house.placed).days + 1
    house = park.houses[0]
    midnight = dt.datetime.combine(today, dt.time(0), park.tz)
    q = f'SELECT "value" FROM "hen_day_expected_pct" WHERE "unit" = \'{house.unit}\' AND time = {int(midnight.timestamp())}s'
    value = httpx.post(f"{influxd.url}/query", params={"db": influx_db}, data={"q": q}).json()
    got = value["results"][0]["series"][0]["values"][0][1]
    assert got == pytest.approx(float(curve(house.breed).hen_day(house.age_weeks(today))), abs=0.01)


def test_standards_with_unreachable_influx_fail_with_one_line(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.servers import free_port

    monkeypatch.setenv("EGGWATCH_INFLUX_URL", f"http://127.0.0.1:{free_port()}")
    result = CliRunner().invoke(app, ["dashboards", "standards", "--park", str(PARK)])
    assert result.exit_code == 2, result.output
    assert "telemetry store" in result.output
