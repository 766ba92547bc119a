"""The publisher's flush: one reading JSON cannot hold costs only itself, never the process."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from eggwatch.settings import BrokerAddress
from eggwatch.wire import Reading
from gateway import spoolrecord
from gateway.publish_config import PublishConfig
from gateway.publisher import Publisher
from tests.support.servers import free_port

NOW = 1_764_315_600_000


def test_an_unencodable_reading_is_dropped_and_counted_and_the_rest_is_spooled(tmp_path: Path) -> None:
    # Reading() checks no time window: ts 1e23 reaches orjson, which refuses integers beyond 64 bits.
    # Before, that TypeError escaped the flush and ended the process with the other devices' readings.
    pub = Publisher(BrokerAddress.parse("mqtt://127.0.0.1:1"), "s", tmp_path, PublishConfig(linger_s=10))
    try:
        pub.submit("house-07", "env-1", [Reading(NOW, "temp_c", 21.0), Reading(10**23, "temp_c", 22.0)])
        pub.submit("house-08", "env-1", [Reading(NOW, "temp_c", 23.0)])
        pub.submit("house-09", "env-1", [Reading(10**23, "rh_pct", 50.0)])
        pub.flush()
        records = [spoolrecord.unpack(raw) for _, raw in pub.spool.peek(10)]
        assert [(r.unit, r.count) for r in records] == [("house-07", 1), ("house-08", 1)]
        s = pub.stats()
        assert (s.spooled, s.unencodable, s.refused) == (2, 2, 0)
    finally:
        pub.close(drain_s=0)


def test_a_flush_larger_than_the_whole_spool_is_split_per_device_and_refusals_are_reported(
    tmp_path: Path,
) -> None:
    # Before: Spool.append raised ValueError("a batch of N bytes can never fit ...") out of the
    # spool-writer thread, and the process exited.
    cfg = PublishConfig(batch_size=1, spool_max_mb=0.008, linger_s=10)
    pub = Publisher(BrokerAddress.parse("mqtt://127.0.0.1:1"), "s", tmp_path, cfg)
    units = [f"house-{i:03d}" for i in range(100)]
    try:
        for i, unit in enumerate(units):
            pub.submit(unit, "env-1", [Reading(NOW, "temp_c", 20.0)], token=i)
        pub.flush()
        s = pub.stats()
        assert s.spooled > 0 and s.refused > 0 and s.spooled + s.refused == 100
        refused = pub.take_refused(range(100))
        assert len(refused) == s.refused and pub.take_refused(range(100)) == set()  # told once
        spooled = {spoolrecord.unpack(raw).unit for _, raw in pub.spool.peek(1000)}
        assert spooled.isdisjoint(units[i] for i in refused)
        assert spooled | {units[i] for i in refused} == set(units)
        assert not pub.has_room()
    finally:
        pub.close(drain_s=0)


def test_a_spool_that_cannot_hold_two_full_batches_is_refused() -> None:
    with pytest.raises(ValidationError, match="cannot hold two full batches of 500 readings"):
        PublishConfig(spool_max_mb=1)
    PublishConfig(spool_max_mb=0.008, batch_size=1)


def test_a_broker_unreachable_from_the_start_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: paho retried quietly and nothing was logged until the status line a minute later.
    caplog.set_level(logging.WARNING, logger="gateway.sender")
    pub = Publisher(BrokerAddress.parse(f"mqtt://127.0.0.1:{free_port()}"), "s", tmp_path, PublishConfig())
    pub.client.reconnect_delay_set(min_delay=1, max_delay=1)  # a second failed attempt soon
    pub.start()
    try:
        deadline = time.monotonic() + 10
        while pub.sender.connect_failures < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        pub.close(drain_s=0)
    lines = [r.getMessage() for r in caplog.records if "cannot reach the broker" in r.getMessage()]
    assert pub.sender.connect_failures >= 2 and len(lines) == 1 and "127.0.0.1:" in lines[0], lines


def test_a_spool_that_keeps_refusing_logs_one_line_a_minute_not_one_a_flush(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The chain audit filled the spool's disk: one ERROR line per flush, about 5 a second."""
    cfg = PublishConfig(batch_size=1, spool_max_mb=0.008, linger_s=10)
    pub = Publisher(BrokerAddress.parse("mqtt://127.0.0.1:1"), "s", tmp_path, cfg)
    try:
        with caplog.at_level(logging.INFO, logger="gateway.publisher"):
            for i in range(200):  # fills the spool, then every flush is refused
                pub.submit(f"house-{i:03d}", "env-1", [Reading(NOW, "temp_c", 20.0)], token=i)
                pub.flush()
            s = pub.stats()
            assert s.refused > 20
            errors = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert len(errors) == 1 and "readings refused" in errors[0].getMessage()
            pub.spool.commit(pub.spool.next_id - 1)  # sent meanwhile: room again
            pub.submit("house-999", "env-1", [Reading(NOW, "temp_c", 20.0)], token=999)
            pub.flush()
        again = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(f"after {s.refused} refused" in m for m in again), again
    finally:
        pub.close(drain_s=0)
