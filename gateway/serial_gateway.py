"""``eggwatch gateway serial``: one thread per bus, all feeding one store-and-forward publisher."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from eggwatch.settings import Settings
from gateway.bus import Bus
from gateway.publisher import Publisher
from gateway.runtime import log_publisher, make_publisher
from gateway.serial_config import SerialGatewayConfig, load_serial_config

log = logging.getLogger(__name__)


class SerialGateway:
    def __init__(self, cfg: SerialGatewayConfig, publisher: Publisher) -> None:
        self.cfg = cfg
        self.publisher = publisher
        self.buses = [Bus(b, publisher.submit) for b in cfg.buses]

    @classmethod
    def from_file(cls, path: Path, settings: Settings) -> SerialGateway:
        cfg = load_serial_config(path)
        site = cfg.site or settings.site
        return cls(cfg, make_publisher(settings, site, "serial", path, cfg.publish))

    def start(self) -> None:
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # we log every failure ourselves
        self.publisher.start()
        for bus in self.buses:
            bus.start()
        n = sum(len(b.devices) for b in self.buses)
        log.info("serial gateway: %d buses, %d devices, site %s", len(self.buses), n, self.publisher.site)

    def status(self) -> dict[str, object]:
        return {"buses": [b.snapshot() for b in self.buses], "publisher": vars(self.publisher.stats())}

    def log_status(self) -> None:
        for bus in self.buses:
            for d in bus.devices:
                st = d.stats
                log.info(
                    "%s %s: %s polls=%d ok=%d timeouts=%d crc=%d exceptions=%d resets=%d",
                    bus.cfg.port,
                    d.name,
                    d.status,
                    st.polls,
                    st.ok,
                    st.timeouts,
                    st.crc_errors,
                    st.exceptions,
                    st.resets,
                )
        log_publisher(self.publisher)

    def stop(self) -> None:
        for bus in self.buses:
            bus.stop()
        for bus in self.buses:
            bus.join(5)
        self.publisher.close()

    def run(self, stop: threading.Event, status_every_s: float = 60.0) -> None:
        self.start()
        try:
            while not stop.wait(status_every_s):
                self.log_status()
        finally:
            self.stop()
