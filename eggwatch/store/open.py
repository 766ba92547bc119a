"""Choosing the telemetry store from the settings (CONTRACTS §2)."""

from __future__ import annotations

from eggwatch.deadletter import DeadLetters
from eggwatch.settings import Settings
from eggwatch.store.base import TelemetryStore

EMBEDDED_FILE = "telemetry.sqlite"


def open_store(settings: Settings, dead_letters: DeadLetters | None = None) -> TelemetryStore:
    """InfluxDB when ``EGGWATCH_INFLUX_URL`` is set, else the embedded store in the data dir.

    The store is not contacted yet: call ``ensure_ready()`` (it raises if InfluxDB is down).
    ``dead_letters`` receives points InfluxDB refuses (else ``write`` raises ``StoreRejected``).
    """
    if settings.influx_url:
        from eggwatch.store.influx import InfluxStore

        return InfluxStore(
            settings.influx_url,
            settings.influx_db,
            token=settings.influx_token.get_secret_value() if settings.influx_token else None,
            username=settings.influx_user,
            password=settings.influx_password.get_secret_value() if settings.influx_password else None,
            dead_letters=dead_letters,
        )
    from eggwatch.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.path(EMBEDDED_FILE))
