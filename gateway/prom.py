"""Prometheus metrics of a running gateway (``--metrics-port``): spool, replay, per-device health."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from eggwatch.clikit import start_metrics_server
from gateway.bus import Bus
from gateway.device import Status
from gateway.publisher import Publisher

_DEVICE_COUNTERS = ("polls", "ok", "timeouts", "crc_errors", "exceptions", "bad_values", "resets", "readings")


class GatewayCollector:
    def __init__(
        self,
        publisher: Publisher,
        buses: Iterable[Bus] = (),
        dead_letters: Callable[[], Mapping[str, int]] | None = None,
        repeated: Callable[[], int] | None = None,
        retained_skipped: Callable[[], int] | None = None,
    ) -> None:
        self.publisher = publisher
        self.buses = list(buses)
        self.dead_letters = dead_letters
        self.repeated = repeated  # readings of on-change devices published again (repeat.py)
        self.retained_skipped = retained_skipped  # retained vendor values without a time

    def collect(self) -> Iterator[Metric]:
        s = self.publisher.stats()
        p = "eggwatch_gateway_"
        yield GaugeMetricFamily(
            p + "spool_records", "Spooled records not yet acknowledged", value=s.spool_records
        )
        yield GaugeMetricFamily(
            p + "spool_bytes", "Bytes of spooled records not yet acknowledged", value=s.spool_bytes
        )
        yield GaugeMetricFamily(
            p + "spool_oldest_age_seconds",
            "Age of the oldest spooled record",
            value=s.spool_oldest_age_s or 0.0,
        )
        yield GaugeMetricFamily(
            p + "replay_rate", "Readings/s of the last publishing round", value=s.replay_rate
        )
        yield GaugeMetricFamily(
            p + "broker_connected", "1 while connected to the broker", value=int(s.connected)
        )
        yield CounterMetricFamily(
            p + "readings_published", "Readings acknowledged by the broker", value=s.published
        )
        yield CounterMetricFamily(p + "readings_refused", "Readings refused: spool full", value=s.refused)
        yield CounterMetricFamily(
            p + "readings_unencodable", "Readings JSON cannot hold, dropped", value=s.unencodable
        )
        if self.buses:
            yield from self._devices(p)
        if self.dead_letters is not None:
            dl = CounterMetricFamily(p + "dead_letters", "Vendor messages dead-lettered", labels=["reason"])
            for reason, n in self.dead_letters().items():
                dl.add_metric([reason], n)
            yield dl
        if self.repeated is not None:
            yield CounterMetricFamily(
                p + "readings_repeated", "Last values of silent on-change devices published again",
                value=self.repeated(),
            )  # fmt: skip
        if self.retained_skipped is not None:
            yield CounterMetricFamily(
                p + "retained_skipped", "Retained vendor values without a timestamp, not published",
                value=self.retained_skipped(),
            )  # fmt: skip

    def _devices(self, p: str) -> Iterator[Metric]:
        labels = ["port", "unit", "device"]
        up = GaugeMetricFamily(p + "device_up", "1 when the last poll succeeded", labels=labels)
        port = GaugeMetricFamily(p + "port_up", "1 while the serial port is open", labels=["port"])
        counters = {
            k: CounterMetricFamily(p + f"device_{k}", f"Modbus device {k.replace('_', ' ')}", labels=labels)
            for k in _DEVICE_COUNTERS
        }
        for bus in self.buses:
            port.add_metric([bus.cfg.port], int(bus.port_up))
            for d in bus.devices:
                key = [bus.cfg.port, d.cfg.unit, d.cfg.device]
                up.add_metric(key, int(d.status is Status.OK))
                for k, fam in counters.items():
                    fam.add_metric(key, getattr(d.stats, k))
        yield up
        yield port
        yield from counters.values()


def serve_metrics(port: int, collector: GatewayCollector) -> None:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(collector)  # type: ignore[arg-type]
    start_metrics_server(port, addr="127.0.0.1", registry=registry)
