"""Wiring the live service from the environment for ``eggwatch analytics run``."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

from sqlalchemy import inspect

from analytics.alerts.config import load_alerts_config
from analytics.alerts.service import AlertService
from analytics.malloc import keep_freed_memory
from eggwatch.clikit import fail, start_metrics_server
from eggwatch.park import load_park
from eggwatch.settings import ConfigError, load_settings
from eggwatch.sql import make_engine, make_sessionmaker

log = logging.getLogger(__name__)
TABLES = ("alert", "alert_event", "alert_outbox")


def run_service(
    config_path: Path | None, park_path: Path | None, *, once: bool = False, metrics_port: int = 0
) -> None:
    settings = load_settings()
    cfg = load_alerts_config(config_path, settings)  # validated before anything connects
    park = load_park(park_path or cfg.park or settings.data_dir / "park.yaml")
    engine = make_engine(settings.sql_url)
    missing = [t for t in TABLES if not inspect(engine).has_table(t)]
    if missing:
        raise ConfigError(
            f"alert tables missing in the database ({', '.join(missing)}): run `eggwatch db upgrade`"
        )
    from eggwatch.store.open import open_store

    store = open_store(settings)
    keep_freed_memory()  # every pass reuses the last one's memory instead of faulting it in again
    service = AlertService(settings, make_sessionmaker(engine), store, park, config=cfg)
    try:
        if once:
            report = service.run_pass()
            for name in service.channels:
                service.dispatcher.drain(name)
            if not report.ok:  # a cron job or a health check must see the failure
                fail("the detection pass failed (its reason is logged above)", code=1)
            return
        if metrics_port:
            start_metrics_server(metrics_port)  # eggwatch_alert_passes_total, …_notifications_total
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        service.start()
        log.info(
            "alerts service running: site %s, every %ss, channels %s",
            service.site,
            cfg.interval_s,
            ", ".join(service.channels) or "none",
        )
        stop.wait()
        log.info("stopping")
    finally:
        service.stop()
        store.close()
        engine.dispose()
