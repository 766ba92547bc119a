"""Starting and stopping the demo's components, each behind one small function.

Every ``start_*`` returns the running thing and registers how to stop it on a :class:`Stack`,
which stops everything in reverse order (Ctrl-C, the end of ``--duration``, or a failure).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from eggwatch.park import Park
from eggwatch.settings import ConfigError, Settings, load_settings
from eggwatch.store.base import TelemetryStore

log = logging.getLogger(__name__)


class Stack:
    """Stop callbacks, run last-in first-out; a failing one is logged and the rest still run."""

    def __init__(self) -> None:
        self._items: list[tuple[str, Callable[[], None]]] = []

    def push(self, name: str, stop: Callable[[], None]) -> None:
        self._items.append((name, stop))

    def close(self) -> None:
        while self._items:
            name, stop = self._items.pop()
            try:
                stop()
                log.info("stopped %s", name)
            except Exception:
                log.exception("stopping %s failed", name)


def broker_settings(settings: Settings, stack: Stack) -> Settings:
    """The settings with a broker: the configured one, else an embedded broker started now."""
    if settings.mqtt_url:
        return settings
    from eggwatch.demo.broker import EmbeddedBroker

    broker = EmbeddedBroker()
    address = broker.start()
    stack.push("embedded MQTT broker", broker.stop)
    url = f"mqtt://{address.username}:{address.password}@{address.host}:{address.port}"
    return load_settings(mqtt_url=url)  # everything else from the environment, as before


def open_telemetry(settings: Settings, stack: Stack) -> TelemetryStore:
    from eggwatch.store.open import open_store

    store = open_store(settings)
    store.ensure_ready()
    stack.push("telemetry store", store.close)
    return store


def start_ingest(settings: Settings, store: TelemetryStore, stack: Stack, *, embedded_broker: bool) -> Any:
    from ingest.options import IngestOptions
    from ingest.service import IngestService

    opts = IngestOptions(
        spool_dir=settings.path("demo", "ingest-spool"),
        dead_letter_path=settings.path("demo", "ingest-dead-letters.jsonl"),
        client_id=f"eggwatch-demo-ingest-{settings.site}",
        site=settings.site,
        # amqtt speaks MQTT 3.1.1 only; Mosquitto takes either.
        protocol="3.1.1" if embedded_broker else "5",
        batch_readings=5_000,
        linger_s=0.1,
        log_interval_s=60.0,
    )
    svc = IngestService(store, settings.broker, opts)
    svc.start()
    stack.push("ingest", svc.stop)
    return svc


def ingested(svc: Any) -> int:
    """Readings the in-process ingest has made durable (written or spooled) or dead-lettered."""
    t = svc.metrics.totals
    return int(t.written + t.spooled + t.rejected)


def make_publisher(settings: Settings, name: str, stack: Stack | None) -> Any:
    from gateway.publish_config import PublishConfig
    from gateway.publisher import Publisher

    cfg = PublishConfig(batch_size=2_000, linger_s=0.05, client_id=f"eggwatch-demo-{name}-{settings.site}")
    pub = Publisher(settings.broker, settings.site, settings.path("demo", f"gateway-{name}"), cfg)
    if stack is not None:
        pub.start()
        stack.push(f"gateway publisher ({name})", pub.close)
    return pub


def migrate(settings: Settings) -> None:
    from eggwatch.migrations import upgrade

    upgrade(settings.sql_url, secret_key=settings.secret_key)  # 0004 re-seals an older demo's workers


def seed_workforce(
    settings: Settings, park: Park, store: TelemetryStore, start: dt.date, end: dt.date, password: str
) -> str:
    """Households, workers, shifts and logins, once per database; returns a one-line summary."""
    from sqlalchemy import func, select

    from api.models import Household
    from api.security import Keys
    from api.services.seed import seed_demo_logins, seed_demo_workforce
    from eggwatch.sql import make_engine, make_sessionmaker

    engine = make_engine(settings.sql_url)
    try:
        with make_sessionmaker(engine)() as session:
            if session.scalar(select(func.count()).select_from(Household)):
                _check_sealed_with(session, Keys.from_secret(settings.secret_key))
                return "workforce: already seeded (a previous run)"
            summary = seed_demo_workforce(
                session, park, start, end, keys=Keys.from_secret(settings.secret_key), store=store,
                households=60, workers=100,
            )  # fmt: skip
            logins = seed_demo_logins(session, password, summary.supervisors)
            return (
                f"workforce: seeded {summary.households} households, {summary.workers} workers, "
                f"{summary.shifts} shifts; logins {', '.join(logins)}"
            )
    finally:
        engine.dispose()


def _check_sealed_with(session: Any, keys: Any) -> None:
    """A database seeded by a demo with another secret key (another data dir, hence another
    generated ``secret.key``): its workers' sealed fields do not open, every worker or payroll call
    would answer 503. Refused at the start instead, saying what to do."""
    from cryptography.exceptions import InvalidTag
    from sqlalchemy import select

    from api.models import Worker
    from api.services.workers import open_field

    worker = session.scalars(select(Worker).limit(1)).first()
    if worker is None:
        return
    try:
        open_field(keys, worker, "national_id_enc")
    except InvalidTag:
        raise ConfigError(
            "the demo's database was seeded with another secret key: run with the EGGWATCH_DATA_DIR "
            "(its secret.key) or EGGWATCH_SECRET_KEY of that run, or point EGGWATCH_DATABASE_URL at a new database"
        ) from None


def start_alerts(settings: Settings, store: TelemetryStore, park: Park, stack: Stack) -> Any:
    from analytics.alerts.config import load_alerts_config
    from analytics.alerts.service import AlertService
    from eggwatch.sql import make_engine, make_sessionmaker

    engine = make_engine(settings.sql_url)
    svc = AlertService(
        settings, make_sessionmaker(engine), store, park, config=load_alerts_config(None, settings)
    )
    stack.push("alert engine", engine.dispose)
    return svc


def start_api(
    settings: Settings, store: TelemetryStore, park: Park, host: str, port: int, stack: Stack
) -> None:
    import uvicorn

    from api.app import create_app

    app = create_app(settings, store=store, park=park)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="api", daemon=True)
    thread.start()

    def stop() -> None:
        server.should_exit = True
        thread.join(10)

    stack.push("API", stop)
    deadline = time.monotonic() + 20  # a wall clock set meanwhile (NTP at boot) must not cut it short
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        threading.Event().wait(0.05)
    if not server.started:
        if not thread.is_alive():  # uvicorn could not bind: the port was free when the demo began
            raise ConfigError(f"cannot serve on {host}:{port} (taken meanwhile?); choose another --port")
        raise RuntimeError(f"the API did not start on {host}:{port}: not listening after 20 s")
