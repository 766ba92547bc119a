"""The test harness itself: the throwaway influxd answers the v1 API."""

from __future__ import annotations

import httpx
import pytest

from tests.support.servers import Influxd


@pytest.mark.integration
def test_influxd_v1_api(influxd: Influxd, influx_db: str) -> None:
    r = httpx.post(f"{influxd.url}/query", data={"q": f'CREATE DATABASE "{influx_db}"'})
    assert r.status_code == 200
    w = httpx.post(
        f"{influxd.url}/write", params={"db": influx_db, "precision": "ms"}, content=b"m v=1i 1000"
    )
    assert w.status_code == 204
    q = httpx.get(f"{influxd.url}/query", params={"db": influx_db, "q": "SELECT * FROM m"}).json()
    assert q["results"][0]["series"][0]["values"] == [["1970-01-01T00:00:01Z", 1]]
