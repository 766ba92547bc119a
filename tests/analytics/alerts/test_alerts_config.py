"""The alerts YAML: the shipped example loads, mistakes are one-line errors naming the field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import analytics.alerts
from analytics.alerts.config import AlertsConfig, load_alerts_config
from eggwatch.settings import ConfigError, load_settings
from tests.support.servers import Influxd

EXAMPLE = Path(analytics.alerts.__file__).parent / "alerts.example.yaml"


def test_example_loads(data_dir: Path) -> None:
    cfg = load_alerts_config(EXAMPLE, load_settings())
    assert [w.format for w in cfg.webhooks] == ["generic", "wecom", "dingtalk"]
    assert cfg.default_recipients[0].phone == "13800138000"
    assert cfg.smtp is not None and cfg.smtp.security == "starttls"


def test_detector_settings_reach_the_live_detector(tmp_path: Path, data_dir: Path) -> None:
    p = tmp_path / "alerts.yaml"
    p.write_text("detector: {trend_z: 3.0, baseline_days: 21}\n")
    det = load_alerts_config(p, load_settings()).detector_config()
    assert (det.trend_z, det.baseline_days, det.daily_z) == (3.0, 21, 5.0)  # the rest stay defaults
    assert AlertsConfig().detector_config() == type(det)()


def test_missing_default_file_means_defaults(data_dir: Path) -> None:
    assert load_alerts_config(None, load_settings()) == AlertsConfig()
    with pytest.raises(ConfigError, match="not found"):
        load_alerts_config(data_dir / "nope.yaml", load_settings())


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("webhooks: [{name: a, url: 'ftp://x'}]", r"alerts\.yaml:1: webhooks\[0\]\.url: .*not an http"),
        ("webhooks: [{name: a, format: wecom, url: 'http://x', secret: s}]", "do not sign"),
        ("webhooks: [{name: a, url: 'http://x'}, {name: a, url: 'http://y'}]", "unique"),
        ("webhooks: [{name: mqtt, url: 'http://x'}]", "reserved"),
        ("smtp: {host: h, sender: a@b, username: u}", "go together"),
        ("smtp: {host: h, sender: a@b, username: u, password: p, security: none}", "without TLS"),
        ("smtp: {host: h, sender: a@b, ca_file: /nonexistent.pem}", "not found"),
        # no one to send them to: counted as sent, no e-mail
        ("smtp: {host: h, sender: a@b, events: [opened, resolved]}", r"smtp\.events: .*not resolved"),
        ("escalation_minutes: 0", "escalation_minutes"),
        ("cooldwn_minutes: 5", "cooldwn_minutes: Extra inputs"),
        ("default_recipients: [{name: x, email: not-an-address}]", r"default_recipients\[0\]\.email"),
        ("interval_s: [", "not valid YAML"),
        ("timezone: Mars/Olympus", "unknown time zone"),
        ("detector: {trendz: 3.0}", "detector: .*unknown detector setting 'trendz'"),
        ("detector: {baseline_days: 14.5}", "baseline_days=14.5 is not a whole number"),
        ("detector: {trend_z: -1}", "trend_z must be a non-negative number"),
        # non-finite or absurd durations failed at run time (OverflowError tracebacks, a dead loop)
        ("cooldown_minutes: .inf", "cooldown_minutes: Input should be less than or equal to"),
        ("escalation_minutes: 3e9", "escalation_minutes: Input should be less than or equal to"),
        ("interval_s: .inf", "interval_s: Input should be less than or equal to"),
        ("retry: {keep_sent_days: .inf}", r"retry\.keep_sent_days: Input should be less"),
        ("retry: {initial_s: 1e12}", r"retry\.initial_s: Input should be less"),
        ("retry: {give_up_hours: .inf}", r"retry\.give_up_hours: Input should be less"),
        ("detector: {trend_z: .nan}", "trend_z=nan is not a finite number"),
        ("detector: {trend_z: .inf}", "trend_z=inf is not a finite number"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, data_dir: Path, text: str, error: str) -> None:
    p = tmp_path / "alerts.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError, match=error) as exc:
        load_alerts_config(p, load_settings())
    assert "\n" not in str(exc.value)


def test_cli_refuses_bad_config_with_one_line(tmp_path: Path, data_dir: Path) -> None:
    p = tmp_path / "alerts.yaml"
    p.write_text("webhooks: [{name: a, url: 'ftp://x'}]")
    exe = Path(sys.executable).parent / "eggwatch"
    out = subprocess.run(
        [str(exe), "analytics", "run", "--alerts-config", str(p), "--once"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "webhooks[0].url" in lines[0]


def _eggwatch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "eggwatch"
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=timeout, env={**os.environ}
    )


def test_cli_needs_migrated_tables_then_runs_once(data_dir: Path) -> None:
    import datetime as dt

    from eggwatch.migrations import upgrade
    from eggwatch.park import House, Park

    Park(houses=(House(unit="house-01", placed=dt.date(2026, 1, 1), hens_placed=50_000),)).dump(
        data_dir / "park.yaml"
    )
    (data_dir / "alerts.yaml").write_text("mqtt: {enabled: false}\n")
    out = _eggwatch("analytics", "run", "--once")
    assert out.returncode == 2 and "eggwatch db upgrade" in out.stderr, out.stderr
    upgrade(load_settings().sql_url)
    out = _eggwatch("analytics", "run", "--once")
    assert out.returncode == 0, out.stderr
    assert "pass ok=" in out.stderr


@pytest.mark.integration
def test_a_pass_on_influxdb_logs_no_line_per_query(
    data_dir: Path, influxd: Influxd, influx_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass queries InfluxDB ~150 times; httpx's INFO line for each made 43,000 lines a day.
    They are left out unless -v asks for them."""
    import datetime as dt

    from eggwatch.migrations import upgrade
    from eggwatch.park import House, Park

    Park(houses=(House(unit="house-01", placed=dt.date(2026, 1, 1), hens_placed=50_000),)).dump(
        data_dir / "park.yaml"
    )
    (data_dir / "alerts.yaml").write_text("mqtt: {enabled: false}\n")
    import httpx

    httpx.post(f"{influxd.url}/query", data={"q": f'CREATE DATABASE "{influx_db}"'}, timeout=10)
    monkeypatch.setenv("EGGWATCH_INFLUX_URL", influxd.url)
    monkeypatch.setenv("EGGWATCH_INFLUX_DB", influx_db)
    upgrade(load_settings().sql_url)
    quiet = _eggwatch("analytics", "run", "--once")
    assert quiet.returncode == 0, quiet.stderr
    assert "pass ok=" in quiet.stderr and "HTTP Request" not in quiet.stderr
    loud = _eggwatch("analytics", "run", "--once", "-v")
    assert loud.returncode == 0 and "HTTP Request: POST" in loud.stderr
