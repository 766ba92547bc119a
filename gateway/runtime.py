"""What both gateways share at run time: where the spool lives, the publisher, signals, status."""

from __future__ import annotations

import logging
import re
import signal
import threading
from pathlib import Path
from types import FrameType

from eggwatch.settings import Settings
from gateway.publish_config import PublishConfig
from gateway.publisher import Publisher

log = logging.getLogger(__name__)


def state_dir(settings: Settings, kind: str, config_path: Path, cfg: PublishConfig) -> Path:
    """``<data dir>/gateway/<kind>-<config name>``: one spool per gateway config."""
    if cfg.spool_dir:
        return Path(cfg.spool_dir)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(config_path).stem)
    return settings.data_dir / "gateway" / f"{kind}-{name}"


def make_publisher(
    settings: Settings, site: str, kind: str, config_path: Path, cfg: PublishConfig
) -> Publisher:
    return Publisher(settings.broker, site, state_dir(settings, kind, config_path, cfg), cfg)


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM/SIGINT end the gateway cleanly (queued readings are spooled first)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def log_publisher(pub: Publisher) -> None:
    s = pub.stats()
    age = f"{s.spool_oldest_age_s:.0f}s" if s.spool_oldest_age_s is not None else "-"
    log.info(
        "publisher: %s, %d readings published in %d messages, spool %d records (%d B, oldest %s), "
        "last round %.0f readings/s, %d refused, %d unencodable",
        "connected" if s.connected else "DISCONNECTED",
        s.published,
        s.messages,
        s.spool_records,
        s.spool_bytes,
        age,
        s.replay_rate,
        s.refused,
        s.unencodable,
    )
