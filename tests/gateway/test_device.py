"""Decoding one device's registers: an integer metric is published whole or refused, never rounded."""

from __future__ import annotations

import time

import pytest

from gateway import registers
from gateway.device import Failure, PolledDevice
from gateway.registers import RegType
from gateway.serial_config import DeviceConfig, RegisterMap

NOW = 1_764_315_600_000


def _device(rtype: RegType, scale: float = 1.0) -> PolledDevice:
    reg = RegisterMap(address=0, type=rtype, scale=scale, metric="eggs_total", tags={"row": "01"})
    return PolledDevice(DeviceConfig(unit="u", device="d", slave=1, poll_s=1, registers=[reg]), 60)


@pytest.mark.parametrize(("raw", "published"), [(12.0, 12), (3_000_000.0, 3_000_000)])
def test_a_whole_value_of_an_integer_metric_is_published_as_an_integer(raw: float, published: int) -> None:
    dev = _device(RegType.FLOAT32)
    out = dev.readings(dev.blocks[0], registers.encode(raw, RegType.FLOAT32), NOW)
    assert [(r.value, type(r.value)) for r in out] == [(published, int)] and dev.stats.bad_values == 0


def test_a_fractional_value_of_an_integer_metric_is_a_bad_value_not_rounded() -> None:
    # Before: round(12.5) == 12 (banker's rounding) was published; the MQTT gateway refused it.
    dev = _device(RegType.FLOAT32)
    assert dev.readings(dev.blocks[0], registers.encode(12.5, RegType.FLOAT32), NOW) == []
    assert dev.stats.bad_values == 1


def test_a_fractional_scale_of_an_integer_metric_is_refused_at_load() -> None:
    with pytest.raises(ValueError, match="eggs_total takes whole numbers: scale and offset must be whole"):
        _device(RegType.UINT16, scale=0.5)
    _device(RegType.UINT16, scale=2)


def test_a_device_dead_for_days_keeps_the_capped_backoff() -> None:
    # Before: the 1,025th failure in a row computed poll_s * 2**1024, which overflows a float: the
    # OverflowError ended the bus thread and every device on the bus went unpolled, still "ok".
    # At the default 60 s cap that is 17 hours of one dead slave.
    dev = _device(RegType.UINT16)
    for _ in range(2000):
        dev.failed(0.0, Failure.TIMEOUT, "no answer")
    assert dev.failures == 2000 and dev.next_due == 60.0


def test_a_successful_poll_records_its_wall_clock_time() -> None:
    # Before: DeviceStats.last_ok_ms was never set: the status showed None for a healthy device.
    dev = _device(RegType.UINT16)
    before = time.time_ns() // 1_000_000
    dev.succeeded(0.0)
    last = dev.snapshot()["last_ok_ms"]
    assert isinstance(last, int) and before <= last <= time.time_ns() // 1_000_000
