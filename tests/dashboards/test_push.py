"""``eggwatch dashboards push`` against a small LOCAL HTTP server that implements the documented
Grafana API endpoints it calls (tests/dashboards/fake_grafana.py), since Grafana cannot run here."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from eggwatch.cli import app
from tests.dashboards.conftest import load_dashboards
from tests.dashboards.fake_grafana import fake_grafana

runner = CliRunner()
TOKEN = "glsa_test_token"


def test_push_to_local_fake_grafana_api_server_creates_folder_and_uploads_every_dashboard() -> None:
    with fake_grafana(TOKEN) as (url, state):
        result = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN])
        assert result.exit_code == 0, result.output
        assert "folder created" in result.output
        assert set(state.folders) == {"eggwatch"}
        expected = {d["uid"] for d in load_dashboards()}
        assert set(state.dashboards) == expected
        for body in state.dashboards.values():
            assert body["folderUid"] == "eggwatch" and body["overwrite"] is True
            assert body["dashboard"]["id"] is None

        again = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN])
        assert again.exit_code == 0, again.output
        assert "folder created" not in again.output
        assert all(body["version"] == 2 for body in state.dashboards.values())


def test_push_to_local_fake_grafana_api_server_with_datasources_fills_env(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "EGGWATCH_GRAFANA_INFLUX_URL": "http://influxdb:8086",
        "INFLUXDB_DB": "eggwatch",
        "INFLUXDB_READ_USER": "grafana",
        "INFLUXDB_READ_USER_PASSWORD": "r3ad-only",
        "EGGWATCH_GRAFANA_PG_HOST": "postgres:5432",
        "POSTGRES_DB": "eggwatch",
        "POSTGRES_GRAFANA_USER": "grafana_reader",
        "POSTGRES_GRAFANA_PASSWORD": "pg-r3ad",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with fake_grafana(TOKEN) as (url, state):
        result = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN, "--datasources"])
        assert result.exit_code == 0, result.output
        influx = state.datasources["eggwatch-influxdb"]
        assert influx["url"] == "http://influxdb:8086" and influx["jsonData"]["dbName"] == "eggwatch"
        assert influx["secureJsonData"]["password"] == "r3ad-only"
        assert state.datasources["eggwatch-postgres"]["user"] == "grafana_reader"
        assert ("PUT", "/api/datasources/uid/eggwatch-influxdb") not in state.requests
        runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN, "--datasources"])
        assert ("PUT", "/api/datasources/uid/eggwatch-influxdb") in state.requests


def test_push_to_local_fake_grafana_api_server_with_bad_token_fails_with_one_line() -> None:
    with fake_grafana(TOKEN) as (url, state):
        result = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", "wrong"])
        assert result.exit_code == 2
        assert "refused" in result.output and len(result.output.strip().splitlines()) == 1
        assert not state.dashboards


def test_push_with_missing_datasource_variable_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INFLUXDB_READ_USER_PASSWORD", raising=False)
    with fake_grafana(TOKEN) as (url, _state):
        result = runner.invoke(app, ["dashboards", "push", "--url", url, "--token", TOKEN, "--datasources"])
        assert result.exit_code != 0
