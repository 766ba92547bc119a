"""A broken alerts.yaml answers the API with 503 naming the field, never the webhook's token."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from analytics.alerts.config import AlertsConfig
from analytics.alerts.lifecycle import AlertBook, Policy, routes_from_config
from eggwatch.migrations import upgrade
from eggwatch.sql import make_engine, make_sessionmaker
from tests.analytics.alerts.conftest import T0, finding
from tests.api.conftest import make_api


def test_bad_webhook_url_does_not_leak_its_token(tmp_path: Path, site: str) -> None:
    url = f"sqlite:///{tmp_path / 'eggwatch.db'}"
    upgrade(url)
    api = make_api(url, tmp_path, site)
    (tmp_path / "var").mkdir(exist_ok=True)
    (tmp_path / "var" / "alerts.yaml").write_text(
        "webhooks: [{name: dd, format: dingtalk,"
        " url: 'htps://oapi.dingtalk.com/robot/send?access_token=DDTOKEN42'}]\n"
    )
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        book = AlertBook(s, site, Policy(), routes_from_config(AlertsConfig()))
        (alert,) = book.apply_pass([finding("house-01")], T0, T0 + dt.timedelta(hours=1)).opened
        s.commit()
    engine.dispose()
    try:
        with api.client:
            r = api.post("supervisor", f"/api/v1/alerts/{alert.id}/acknowledge")
        assert r.status_code == 503
        detail = r.json()["detail"]
        assert "webhooks[0].url" in detail and "oapi.dingtalk.com" in detail
        assert "DDTOKEN42" not in detail and "access_token" not in detail
    finally:
        api.store.close()
