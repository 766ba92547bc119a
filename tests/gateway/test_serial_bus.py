"""The serial gateway's bus poller against pymodbus RTU slaves on pty pairs (no hardware)."""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from eggwatch.wire import Reading
from firmware_stubs import (
    ClimateController,
    EggCounter,
    GradingMachine,
    Point,
    StubBus,
    StubDevice,
    WaterMeter,
)
from firmware_stubs.pty_link import PtyLink
from gateway.bus import Bus
from gateway.device import PolledDevice, Status
from gateway.registers import RegType, WordOrder
from gateway.serial_config import BusConfig, DeviceConfig, Function, RegisterMap
from tests.gateway.serial_support import Sink, polled, wait_until


@dataclass
class AllTypes:
    values: list[float]


# Every type in both word orders and both functions, with scale and offset; the value is what the
# gateway must publish.  Metric ranges: temp_c [-40, 60], static_pressure_pa [-500, 500] etc.
CASES = [
    (RegType.INT16, WordOrder.BIG, Function.HOLDING, 0.1, 0.0, "temp_c", -12.3),
    (RegType.UINT16, WordOrder.BIG, Function.INPUT, 0.1, 0.0, "rh_pct", 63.4),
    (RegType.INT32, WordOrder.BIG, Function.HOLDING, 0.01, 0.0, "static_pressure_pa", -123.45),
    (RegType.INT32, WordOrder.LITTLE, Function.INPUT, 0.01, -100.0, "outdoor_temp_c", -31.25),
    (RegType.UINT32, WordOrder.BIG, Function.HOLDING, 1.0, 0.0, "eggs_total", 3_000_000_000),
    (RegType.UINT32, WordOrder.LITTLE, Function.INPUT, 0.1, 0.0, "water_l_total", 123456.7),
    (RegType.FLOAT32, WordOrder.BIG, Function.HOLDING, 1.0, 0.0, "co2_ppm", 1450.5),
    (RegType.FLOAT32, WordOrder.LITTLE, Function.INPUT, 1.0, 2.0, "nh3_ppm", 10.25),
    (RegType.UINT16, WordOrder.BIG, Function.HOLDING, 1.0, 0.0, "line_state", 2),
]


def all_types_device() -> StubDevice:
    points = []
    addr = {Function.HOLDING: 10, Function.INPUT: 300}
    for i, (rtype, order, fn, scale, offset, metric, _) in enumerate(CASES):
        reg = RegisterMap(
            address=addr[fn],
            type=rtype,
            word_order=order,
            scale=scale,
            offset=offset,
            metric=metric,
            tags={"case": str(i)},
        )
        addr[fn] += rtype.width
        points.append(Point(f"values[{i}]", reg, fn))
    return StubDevice(5, "house-07", "mixed-1", AllTypes([c[-1] for c in CASES]), points)


def test_every_type_word_order_function_and_scaling() -> None:
    dev = all_types_device()
    cfg = dev.gateway_config(poll_s=0.1)
    with polled([dev], [cfg]) as (bus, sink, _):
        wait_until(lambda: len(sink.of("mixed-1")) >= len(CASES), what="a full poll")
        # contiguous registers of one function are read together: one read per function
        assert [(b.function, b.count) for b in bus.devices[0].blocks] == [(3, 8), (4, 7)]
    got = {r.tags["case"]: r for r in sink.of("mixed-1")[: len(CASES)]}
    for i, (*_, metric, expected) in enumerate(CASES):
        r = got[str(i)]
        assert r.metric == metric
        assert r.value == pytest.approx(expected, rel=1e-6), (metric, r.value)
    assert type(got["4"].value) is int and type(got["8"].value) is int  # integer metrics stay integers
    assert type(got["0"].value) is float


def test_timestamps_are_taken_when_each_answer_arrives() -> None:
    before = time.time() * 1000
    climate = ClimateController(slave=1)
    with polled([climate]) as (_, sink, _):
        wait_until(lambda: len(sink.of("climate-1")) >= 7 * 5, what="five polls")
    after = time.time() * 1000
    per_poll = Counter(r.ts for r in sink.of("climate-1"))
    assert len(per_poll) >= 5 and before <= min(per_poll) and max(per_poll) <= after
    assert set(per_poll.values()) == {7}  # one arrival time per answer, shared by its 7 values


def test_dead_slave_does_not_delay_the_others() -> None:
    alive = ClimateController(slave=1)
    dead_cfg = EggCounter(slave=9, device="eggcounter-dead").gateway_config(poll_s=0.1)
    configs = [alive.gateway_config(poll_s=0.1), dead_cfg]
    with polled([alive], configs, timeout_s=0.3, backoff_max_s=1.0) as (bus, sink, _):
        started = time.monotonic()
        dead = bus.devices[1]
        wait_until(lambda: dead.stats.timeouts >= 4 and bus.devices[0].stats.ok >= 8, what="4 dead polls")
        elapsed = time.monotonic() - started
        polls_alive, timeouts = bus.devices[0].stats.ok, dead.stats.timeouts
    # the dead slave gets ever rarer attempts (backoff 0.1, 0.2, 0.4, 0.8, then every 1 s), each
    # costing one 0.3 s timeout: far fewer than the one per 0.4 s it would get without backoff.
    # Bounded by the time it took, so a slow (loaded) machine only makes the attempts rarer.
    assert dead.stats.ok == 0 and 4 <= timeouts <= 5 + elapsed / 1.0
    assert dead.status in (Status.FAILING, Status.DOWN) and bus.devices[0].status is Status.OK
    assert sink.of("eggcounter-dead") == []
    # ... and delays the live device by at most that one timeout: gaps stay near poll + timeout
    # (the 90th percentile; the maximum only loosely, a loaded CPU can stall any thread once)
    stamps = sorted({r.ts for r in sink.of("climate-1")})
    assert polls_alive >= 8 and len(stamps) >= 8
    gaps = sorted(b - a for a, b in itertools.pairwise(stamps))
    assert gaps[int(0.9 * (len(gaps) - 1))] < (0.1 + 0.3) * 1000 + 300, gaps
    assert gaps[-1] < 1500, gaps


def test_crc_errors_and_exception_answers_are_counted_then_recovered() -> None:
    grader = GradingMachine(slave=3)
    grader.faults.crc_errors = 2
    with polled([grader]) as (bus, _sink, _):
        dev = bus.devices[0]
        wait_until(lambda: dev.stats.ok >= 3, what="recovery after CRC errors")
        assert dev.stats.crc_errors == 2 and dev.stats.timeouts == 0
        grader.faults.exception = 4  # server device failure
        wait_until(lambda: dev.stats.exceptions >= 1, what="an exception answer")
        assert dev.status is not Status.OK
        grader.faults.exception = None
        wait_until(lambda: dev.status is Status.OK, what="recovery after exceptions")
        grader.faults.silent = True
        wait_until(lambda: dev.stats.timeouts >= 1, what="a timeout")
        assert dev.stats.crc_errors == 2


# Answers whose CRC checks but that do not answer the read (pymodbus accepted each as data):
# frame bytes without the CRC are slave, function, byte count, registers.
CONFUSED_ANSWERS = {
    "wrong function": lambda f: f[:1] + bytes([4 if f[1] == 3 else 3]) + f[2:],
    "write echo": lambda f: f[:1] + bytes([6, 0, 0, 0, 5]),
    "odd byte count": lambda f: f[:2] + bytes([f[2] + 1]) + f[3:] + b"\x00",
    "one register too many": lambda f: f[:2] + bytes([f[2] + 2]) + f[3:] + b"\x00\x07",
}


@pytest.mark.parametrize("kind", sorted(CONFUSED_ANSWERS))
def test_an_answer_to_another_request_is_a_protocol_error_not_data(kind: str) -> None:
    grader = GradingMachine(slave=3)
    grader.faults.rewrite = CONFUSED_ANSWERS[kind]
    with polled([grader], backoff_max_s=0.2) as (bus, sink, _):
        dev = bus.devices[0]
        wait_until(lambda: dev.stats.crc_errors >= 2, what="protocol errors")
        assert (dev.stats.last_error or "").startswith("protocol: ") and dev.stats.ok == 0
        assert sink.of(grader.device) == [] and dev.status is not Status.OK
        grader.faults.rewrite = None
        wait_until(lambda: dev.status is Status.OK, what="recovery once the answers are right")
        assert sink.of(grader.device)


def test_counter_wrap_and_power_cycle_reset_are_counted_and_published_as_read() -> None:
    counter = EggCounter(slave=2)
    counter.preload_wrap(margin=2)  # every row 2 eggs below 2^32
    with polled([counter]) as (bus, sink, _):
        dev = bus.devices[0]
        wait_until(lambda: len(sink.of("eggcounter-1")) >= 8, what="a first poll")
        for i in range(8):
            counter.state.eggs[i] += 5  # crosses 2^32: the register shows 3
        wait_until(lambda: dev.stats.resets >= 8, what="a wrap")
        counter.power_cycle()
        counter.state.eggs[0] = 1
        wait_until(lambda: dev.stats.resets >= 16, what="a reset")
        n = len(sink.of("eggcounter-1"))
        wait_until(lambda: len(sink.of("eggcounter-1")) >= n + 8, what="a poll after the reset")
    rows = [r for r in sink.of("eggcounter-1") if r.tags["row"] == "01"]
    values = [r.value for r in rows]
    assert values[0] == 2**32 - 2
    wrap = next(i for i in range(1, len(values)) if values[i] < values[i - 1])
    assert values[wrap] == 3 and values[wrap - 1] == 2**32 - 2  # published as read
    assert values[-1] in (0, 1)  # after the power cycle
    # Not tagged: a tag on the readings after a wrap would start a second series in InfluxDB,
    # which every reader would sum as another counter of the row.
    assert {tuple(sorted(r.tags)) for r in sink.of("eggcounter-1")} == {("row",)}


def test_serial_port_that_disappears_and_comes_back(tmp_path: Path) -> None:
    climate = ClimateController(slave=1)
    link = PtyLink(tmp_path / "ttyUSB0")
    stub = StubBus([climate], link=link).start()
    with polled([climate], stub_bus=stub) as (bus, sink, _):
        wait_until(lambda: bus.port_up and len(sink.of("climate-1")) >= 7, what="first readings")
        link.unplug()
        wait_until(lambda: not bus.port_up, what="the gateway noticing the port is gone")
        wait_until(lambda: bus.port_failures >= 1, what="a failed reopen while unplugged")
        n = len(sink.of("climate-1"))
        failures_before = bus.devices[0].stats.timeouts
        link.replug()
        wait_until(lambda: len(sink.of("climate-1")) >= n + 14, what="readings after replug")
        assert bus.port_up
        # a missing port is the bus's problem, not the device's: at most the poll in flight failed
        assert bus.devices[0].stats.timeouts - failures_before <= 1


def test_a_port_that_cannot_be_opened_is_logged_with_the_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Before: "cannot open the port; retrying with backoff" for a missing device, a file that is
    # no tty or a refused socket alike: pymodbus logs the reason to its own, silenced, logger.
    missing, not_a_tty = tmp_path / "ttyUSB0", tmp_path / "file"
    not_a_tty.write_text("")
    reasons = {str(missing): "No such file or directory", str(not_a_tty): "Inappropriate ioctl"}
    dev = ClimateController(slave=1).gateway_config(poll_s=1)
    buses = [Bus(BusConfig(port=port, devices=[dev]), Sink()) for port in reasons]
    caplog.set_level(logging.ERROR, logger="gateway.bus")
    for bus in buses:
        bus.start()
    try:
        wait_until(lambda: all(b.port_failures >= 1 for b in buses), what="a failed open on each bus")
    finally:
        for bus in buses:
            bus.stop()
            bus.join(5)
    lines = [r.getMessage() for r in caplog.records if "cannot open the port" in r.getMessage()]
    for port, reason in reasons.items():
        assert any(port in line and reason in line for line in lines), (port, lines)


def test_rtu_silent_interval_between_transactions() -> None:
    climate, water = ClimateController(slave=1), WaterMeter(slave=3)
    link = PtyLink()
    link.trace = []
    stub = StubBus([climate, water], link=link).start()
    configs = [climate.gateway_config(poll_s=0.01), water.gateway_config(poll_s=0.01)]
    # Above 19200 Bd the silent interval is a fixed 1.75 ms: there pymodbus' own receive polling
    # (1 ms) does not already stretch the silence, so this fails if the scheduler skips the gap.
    cfg = BusConfig(port=stub.path, baudrate=115200, timeout_s=0.5, devices=configs)
    gap = cfg.frame_gap_s
    sink = Sink()
    bus = Bus(cfg, sink)
    bus.start()
    try:
        wait_until(lambda: bus.transactions >= 20, what="20 transactions")
    finally:
        bus.stop()
        bus.join(5)
        stub.stop()
    trace = list(link.trace)
    silences = [
        b[0] - a[0] for a, b in itertools.pairwise(trace) if a[1] == "to_gateway" and b[1] == "to_device"
    ]
    assert len(silences) >= 15
    assert min(silences) >= gap, (min(silences), gap)


def test_every_stub_answers_its_shipped_register_map() -> None:
    from firmware_stubs import DEVICES
    from gateway.serial_config import load_serial_config

    root = Path(__file__).resolve().parents[2]
    stubs = []
    for slave, (kind, cls) in enumerate(DEVICES.items(), start=1):
        stub = cls(slave=slave)
        stubs.append(stub)
        shipped = load_serial_config(root / "firmware_stubs" / kind / "gateway.yaml").buses[0].devices[0]
        assert shipped.model_copy(update={"slave": slave, "poll_s": 0.1}) == stub.gateway_config(poll_s=0.1)
    # every kind on one bus, each with some non-trivial state
    stubs[1].state.eggs[:] = [101, 202, 303, 404, 505, 606, 707, 808]
    stubs[4].state.speed_eph = 31000.0
    with polled(stubs) as (bus, sink, _):
        wait_until(lambda: all(d.stats.ok >= 2 for d in bus.devices), what="every device polled")
    for stub in stubs:
        got = {(r.metric, tuple(sorted(r.tags.items()))): r.value for r in sink.of(stub.device)}
        for p in stub.points:
            key = (p.reg.metric, tuple(sorted(p.reg.tags.items())))
            assert got[key] == pytest.approx(stub.get(p.attr), abs=p.reg.scale / 2 + 1e-9), (stub.kind, key)


def test_device_config_of_stub_is_valid_contract_yaml() -> None:
    cfg = ClimateController().gateway_config()
    assert isinstance(cfg, DeviceConfig) and cfg.function is Function.INPUT


def test_an_unexpected_error_fails_its_device_not_the_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    # An error no handler expects (a bug decoding one device's answer) used to end the bus thread:
    # every device on the bus went unpolled while its status still said ok.
    real = PolledDevice.readings

    def broken(self: PolledDevice, *args: object, **kwargs: object) -> list[Reading]:
        if self.cfg.device == "eggcounter-1":
            raise RuntimeError("a decoding bug")
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PolledDevice, "readings", broken)
    alive, broken_dev = ClimateController(slave=1), EggCounter(slave=2, device="eggcounter-1")
    with polled([alive, broken_dev], timeout_s=0.3, backoff_max_s=0.5) as (bus, sink, _):
        wait_until(lambda: bus.internal_errors >= 3, what="3 unexpected errors")
        before = len(sink.of("climate-1"))
        wait_until(lambda: len(sink.of("climate-1")) > before, what="the other device polled after them")
        assert bus.is_alive()
        snap = bus.snapshot()
    failing = bus.devices[1]
    assert failing.stats.exceptions >= 3 and "RuntimeError: a decoding bug" in str(failing.stats.last_error)
    assert failing.status is not Status.OK and bus.devices[0].status is Status.OK
    assert bus.internal_errors >= 3 and snap["internal_errors"] and sink.of("eggcounter-1") == []
