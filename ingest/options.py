"""Options of the ingest service, validated before anything connects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from eggwatch.settings import SITE_RE, ConfigError

# \Z, not $: "$" also matches before a final newline.
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}\Z")
_GROUP_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How ingest subscribes, batches, buffers and reports.

    ``batch_readings`` / ``linger_s``: a batch is written when it holds that many readings or its
    first message waited that long.  ``inflight``: how many unacknowledged messages the broker may
    send us (MQTT 5 Receive Maximum); with MQTT 3.1.1 the broker's own limit applies (Mosquitto: 20),
    which caps batches at 20 messages, so MQTT 5 is the default.
    """

    spool_dir: Path
    dead_letter_path: Path
    client_id: str = "eggwatch-ingest"
    group: str | None = None
    site: str | None = None  # narrow the subscription to eggwatch/v1/<site>/#
    protocol: str = "5"
    batch_readings: int = 10_000
    linger_s: float = 0.2
    inflight: int = 2_000
    write_concurrency: int = 2  # batches written at once: InfluxDB parses requests in parallel
    spool_max_bytes: int = 1 << 30
    retry_for_s: float = 2.0
    gzip_level: int | None = None  # InfluxDB request bodies; None: off on loopback, else 1
    metrics_port: int | None = None
    log_interval_s: float = 30.0
    track_seq: bool = True
    session_expiry_s: int = 7 * 86400  # how long the broker keeps our queue while we are down (MQTT 5)

    def __post_init__(self) -> None:
        if not _CLIENT_ID_RE.match(self.client_id):
            raise ConfigError(f"--client-id must be 1-64 of [A-Za-z0-9_.-], got {self.client_id!r}")
        if self.group is not None and not _GROUP_RE.match(self.group):
            raise ConfigError(f"--group must be 1-64 of [A-Za-z0-9_-], got {self.group!r}")
        if self.site is not None and not SITE_RE.match(self.site):
            raise ConfigError(f"--site must match [a-z0-9_-]+, got {self.site!r}")
        if self.protocol not in ("5", "3.1.1"):
            raise ConfigError(f"--mqtt-protocol must be 5 or 3.1.1, got {self.protocol!r}")
        if not 1 <= self.batch_readings <= 1_000_000:
            raise ConfigError("--batch-readings must be between 1 and 1,000,000")
        if not 0 <= self.linger_s <= 60:
            raise ConfigError("--linger must be between 0 and 60 seconds")
        if not 1 <= self.inflight <= 65_535:
            raise ConfigError("--inflight must be between 1 and 65535")
        if not 1 <= self.write_concurrency <= 8:
            raise ConfigError("--write-concurrency must be between 1 and 8")
        if self.gzip_level is not None and not 0 <= self.gzip_level <= 9:
            raise ConfigError(f"--gzip-level must be 0 (off) to 9, got {self.gzip_level}")
        if self.spool_max_bytes < 1 << 20:
            raise ConfigError("--spool-max-mb must be at least 1")
        if self.metrics_port is not None and not 0 <= self.metrics_port <= 65_535:
            raise ConfigError(f"--metrics-port {self.metrics_port} is not a TCP port")
        if self.log_interval_s <= 0:
            raise ConfigError("--log-interval must be positive")
        if not 0 <= self.session_expiry_s <= 0xFFFFFFFF:
            raise ConfigError("--session-expiry must be between 0 and 4294967295 seconds")

    @property
    def topic_filter(self) -> str:
        base = f"eggwatch/v1/{self.site}/#" if self.site else "eggwatch/v1/#"
        return f"$share/{self.group}/{base}" if self.group else base
