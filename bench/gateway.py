"""Gateway benchmarks: Modbus transaction overhead, bus-limited poll rates, spool replay rate.

Run: ``.venv/bin/python -m bench.gateway``.  Everything runs locally on ptys and a private
Mosquitto (started on a free port, never the machine's).  Measured in the same run:

1. Modbus on a pty without a baud limit: bare pymodbus client reads (baseline) vs. the gateway's
   bus scheduler polling the same stub devices (decoding, gap, bookkeeping, counters included).
   Software overhead per transaction = 1 / rate.  Target: >= 100 transactions/s (<= 10 ms).
2. For the shipped register maps at 9600 and 19200 Bd: the theoretical bus-limited rate (bytes on
   the wire + 3.5-character gaps), our plan (merged reads) vs. one read per register, and the
   scheduler's measured rate on a pty that holds each frame for its wire time.
3. Spool replay: readings spooled while the broker is down, then the broker starts; time until
   the spool is empty (every message PUBACKed).  Baseline: bare paho QoS 1 publishing of the same
   payloads.  Target: >= 50,000 readings/s.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import threading
import time
import uuid
from pathlib import Path

from pymodbus.client import ModbusSerialClient
from pymodbus.framer import FramerType

from eggwatch.mqtt import make_client
from eggwatch.settings import BrokerAddress
from eggwatch.wire import Reading
from firmware_stubs import ClimateController, EggCounter, GradingMachine, SiloScale, StubBus, WaterMeter
from firmware_stubs.pty_link import PtyLink
from gateway import spoolrecord
from gateway.bus import Bus
from gateway.plan import Block, plan_device, transaction_s
from gateway.publish_config import PublishConfig
from gateway.publisher import Publisher
from gateway.serial_config import BusConfig, DeviceConfig, load_serial_config
from tests.gateway.broker import PrivateBroker

ROOT = Path(__file__).resolve().parents[1]


def _stubs() -> list:
    return [
        ClimateController(slave=1),
        EggCounter(slave=2),
        WaterMeter(slave=3),
        SiloScale(slave=4),
        GradingMachine(slave=5),
    ]


def _scheduler_rate(stub: StubBus, devices: list[DeviceConfig], baudrate: int, seconds: float) -> float:
    cfg = BusConfig(port=stub.path, baudrate=baudrate, timeout_s=0.5, devices=devices)
    bus = Bus(cfg, lambda unit, device, readings: None)
    bus.start()
    time.sleep(0.3)  # warm up
    n0, t0 = bus.transactions, time.perf_counter()
    time.sleep(seconds)
    rate = (bus.transactions - n0) / (time.perf_counter() - t0)
    bus.stop()
    bus.join(5)
    return rate


def bench_modbus(seconds: float) -> None:
    print("== 1. Modbus RTU transactions on a pty (no baud limit) ==")
    stubs = _stubs()
    with StubBus(stubs) as stub:
        client = ModbusSerialClient(stub.path, framer=FramerType.RTU, baudrate=115200, timeout=1, retries=0)
        client.connect()
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            client.read_holding_registers(0, count=14, device_id=5)
            n += 1
        base = n / (time.perf_counter() - t0)
        client.close()
        devices = [s.gateway_config(poll_s=0.001) for s in stubs]  # always due: the bus never idles
        ours = _scheduler_rate(stub, devices, 115200, seconds)
    print(f"  bare pymodbus client (baseline): {base:8.0f} transactions/s  ({1000 / base:.2f} ms each)")
    print(f"  gateway bus scheduler:           {ours:8.0f} transactions/s  ({1000 / ours:.2f} ms each)")
    print(
        f"  ratio scheduler/baseline: {ours / base:.2f}   target >= 100/s: {'PASS' if ours >= 100 else 'FAIL'}"
    )


def _bus_math(bus: BusConfig) -> tuple[float, float, float]:
    """(plan seconds per full poll of every device, per-register seconds, transactions per poll)."""
    plan = naive = 0.0
    tx = 0
    for dev in bus.devices:
        for b in plan_device(dev):
            plan += transaction_s(bus, b)
            tx += 1
        for r in dev.registers:
            naive += transaction_s(bus, Block(dev.function_of(r), r.address, r.type.width, ()))
    return plan, naive, tx


def bench_map_table() -> None:
    print("== 2a. Every shipped register map: wire time of one poll (request + answer + 2 gaps) ==")
    print(
        "  map                      reads  registers   9600 Bd: ms / max polls/s   19200 Bd: ms / max polls/s"
    )
    for path in sorted((ROOT / "firmware_stubs").glob("*/gateway.yaml")):
        dev = load_serial_config(path).buses[0].devices[0]
        blocks = plan_device(dev)
        regs = sum(b.count for b in blocks)
        cells = []
        for baud in (9600, 19200):
            bus = BusConfig(port="x", baudrate=baud, devices=[dev])
            t = sum(transaction_s(bus, b) for b in blocks)
            cells.append(f"{t * 1000:6.1f} / {1 / t:5.1f}")
        name = path.parent.name
        print(f"  {name:<24} {len(blocks):5d} {regs:10d}   {cells[0]:>24}   {cells[1]:>25}")


def bench_bus_limits(seconds: float) -> None:
    print("== 2b. The house bus of gateway/examples/serial-house.yaml: plan vs. bus limit vs. measured ==")
    house = load_serial_config(ROOT / "gateway/examples/serial-house.yaml").buses[0]
    for baud in (9600, 19200):
        bus = house.model_copy(update={"baudrate": baud})
        plan, naive, tx = _bus_math(bus)
        stubs = [ClimateController(slave=1), EggCounter(slave=2), WaterMeter(slave=3), SiloScale(slave=4)]
        link = PtyLink(baudrate=baud, bits_per_char=bus.bits_per_char)
        with StubBus(stubs, link=link) as stub:
            devices = [d.model_copy(update={"poll_s": 0.001}) for d in bus.devices]
            measured = _scheduler_rate(stub, devices, baud, seconds)
        theory = tx / plan
        print(
            f"  {baud:5d} Bd: full poll of the house bus ({tx} reads) takes {plan * 1000:.0f} ms on the wire "
            f"(one read per register: {naive * 1000:.0f} ms, {naive / plan:.1f}x longer)"
        )
        print(
            f"          theoretical {theory:.1f} reads/s; scheduler measured {measured:.1f} reads/s "
            f"on a pty paced at {baud} Bd = {100 * measured / theory:.0f}% of the bus limit"
        )
        busy = sum(sum(transaction_s(bus, b) for b in plan_device(d)) / d.poll_s for d in bus.devices)
        print(f"          at the configured poll intervals the bus is {100 * busy:.2f}% busy")


def _fill(pub: Publisher, total: int, per_record: int) -> None:
    """Spool poll-sized records (one device poll each), 500 records per fsync'd append."""
    t0 = 1_764_315_600_000
    batch: list[bytes] = []
    for i in range(total // per_record):
        dev = f"eggcounter-{i % 50:02d}"
        readings = [
            Reading(t0 + i, "eggs_total", i * 8 + k, {"row": f"{k + 1:02d}"}) for k in range(per_record)
        ]
        batch.append(spoolrecord.pack(f"house-{i % 10:02d}", dev, readings))
        if len(batch) == 500:
            pub.spool.append(batch)
            batch = []
    pub.spool.append(batch)


def _paho_baseline(address: BrokerAddress, msgs: list[tuple[str, bytes]], readings: int) -> float:
    client = make_client(address, f"bench-{uuid.uuid4().hex[:8]}", persistent=False)
    done = threading.Event()
    acked = [0]

    def on_publish(*_a: object) -> None:
        acked[0] += 1
        if acked[0] == len(msgs):
            done.set()

    client.on_publish = on_publish
    client.connect(address.host, address.port)
    client.loop_start()
    t0 = time.perf_counter()
    for topic, payload in msgs:
        client.publish(topic, payload, qos=1)
    done.wait(120)
    rate = readings / (time.perf_counter() - t0)
    client.disconnect()
    client.loop_stop()
    return rate


def bench_replay(total: int) -> None:
    print(
        f"== 3. Spool replay into a private Mosquitto ({total} readings, one record per 8-register poll) =="
    )
    broker = PrivateBroker().start()
    try:
        site = f"bench{uuid.uuid4().hex[:6]}"
        address = BrokerAddress.parse(broker.url)
        cfg = PublishConfig(batch_size=500)
        with tempfile.TemporaryDirectory() as tmp:
            broker.stop()
            pub = Publisher(address, site, Path(tmp) / "spool", cfg)
            pub.client.reconnect_delay_set(min_delay=1, max_delay=1)
            t_fill = time.perf_counter()
            _fill(pub, total, 8)
            fill_rate = total / (time.perf_counter() - t_fill)
            # the baseline publishes exactly the messages the sender will build
            msgs, readings = pub.sender._messages(pub.spool.peek(10**9))
            pub.sender.seqs.next.clear()
            st = pub.stats()
            print(
                f"  spooled {total} readings in {st.spool_records} records ({st.spool_bytes / 1e6:.1f} MB) "
                f"at {fill_rate:.0f} readings/s; replayed as {len(msgs)} messages of <= {cfg.batch_size}"
            )
            broker.start()
            base = _paho_baseline(address, msgs, readings)
            pub.start()
            while not pub.stats().connected:
                time.sleep(0.001)
            t0 = time.perf_counter()
            while pub.stats().spool_records:
                time.sleep(0.001)
            replay = total / (time.perf_counter() - t0)
            pub.close()
    finally:
        broker.destroy()
    print(f"  bare paho QoS 1 publish of the same messages (baseline): {base:9.0f} readings/s")
    print(f"  spool replay (peek, coalesce, publish, PUBACK, commit):   {replay:9.0f} readings/s")
    print(
        f"  ratio replay/baseline: {replay / base:.2f}   target >= 50,000/s: {'PASS' if replay >= 50_000 else 'FAIL'}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="measuring time per Modbus case")
    ap.add_argument("--readings", type=int, default=400_000, help="readings to spool and replay")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    bench_modbus(args.seconds)
    bench_map_table()
    bench_bus_limits(args.seconds)
    bench_replay(args.readings)


if __name__ == "__main__":
    main()
