"""Live devices: firmware stubs (Modbus RTU slaves on ptys) whose registers the simulator drives,
polled by the real serial gateway; and the bird scales as vendor MQTT nodes (:mod:`.vendor`).

One RS-485 bus per house (climate controller, egg counter box, water meter, silo load cells) and
one for the grading machines.  Every ``drive_every_s`` the driver evaluates the simulator at the
wall clock and writes the values into the stubs' state; the gateway stamps each reading when the
answer arrives, as with real devices.  The house controller's flock records have no stub and are
published directly (see :mod:`eggwatch.demo.feed`).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from eggwatch.demo.vendor import VendorScales
from eggwatch.settings import Settings
from firmware_stubs import (
    ClimateController,
    EggCounter,
    GradingMachine,
    SiloScale,
    StubBus,
    StubDevice,
    WaterMeter,
    run_on_pty,
)
from gateway.publisher import Publisher
from gateway.serial_config import BusConfig, SerialGatewayConfig
from gateway.serial_gateway import SerialGateway
from simulator.devices import Channel
from simulator.park_sim import ParkSim

log = logging.getLogger(__name__)
POLL_S = {"climate": 10.0, "eggcounter": 30.0, "water": 30.0, "silo": 60.0, "grading": 10.0}


def _apply(dev: StubDevice, ch: Channel) -> None:
    """Write the channel's latest value into the stub's state (matching metric and tags)."""
    if not len(ch.values):
        return
    v = float(ch.values[-1])
    s = dev.state
    if ch.device == "climate-1":
        setattr(s, ch.metric, v)
    elif ch.metric == "eggs_total":
        s.eggs[int(ch.tags["row"]) - 1] = int(v)
    elif ch.metric == "water_l_total":
        s.litres = v
    elif ch.metric == "feed_kg":
        setattr(s, f"silo_{ch.tags['silo']}_kg", v)
    elif ch.metric == "eggs_graded_total":
        s.graded[("s", "m", "l", "xl").index(ch.tags["grade"])] = int(v)
    elif ch.metric == "rejects_total":
        s.rejects[("cracked", "dirty").index(ch.tags["reason"])] = int(v)
    elif ch.metric == "cases_packed_total":
        s.cases = int(v)
    elif ch.metric == "line_speed_eph":
        s.speed_eph = v
    elif ch.metric == "line_state":
        s.state = int(v)


class LiveDevices:
    """The stub buses, their driver thread, and the serial gateway polling them."""

    def __init__(
        self, sim: ParkSim, publisher: Publisher, settings: Settings, drive_every_s: float = 2.0
    ) -> None:
        self.sim = sim
        self.scales = VendorScales(settings, list(sim.houses))
        self.drive_every_s = drive_every_s
        self.devices: dict[tuple[str, str], StubDevice] = {}
        self.buses: list[StubBus] = []
        groups: list[list[StubDevice]] = []
        for unit in sim.houses:
            groups.append(
                [ClimateController(1, unit), EggCounter(2, unit), WaterMeter(3, unit), SiloScale(4, unit)]
            )
        groups.append([GradingMachine(k + 1, unit) for k, unit in enumerate(sim.lines)])
        for group in groups:
            for d in group:
                self.devices[(d.unit, d.device)] = d
        self.drive()  # registers hold real values before the first poll
        for group in groups:
            self.buses.append(run_on_pty(group, drive_every_s=None))
        cfg = SerialGatewayConfig(
            site=sim.park.site,
            buses=[
                BusConfig(
                    port=bus.path, timeout_s=0.3, devices=[d.gateway_config(POLL_S[d.kind]) for d in group]
                )
                for bus, group in zip(self.buses, groups, strict=True)
            ],
        )
        self.gateway = SerialGateway(cfg, publisher)
        self._stop = threading.Event()
        self._driver = threading.Thread(target=self._drive_loop, name="demo-device-driver", daemon=True)

    def drive(self, now_s: float | None = None) -> None:
        t = float(now_s if now_s is not None else time.time())
        for ch in self.sim.channels(t - 60.0, t, 60.0):
            dev = self.devices.get((ch.unit, ch.device))
            if dev is not None:
                _apply(dev, ch)
            elif ch.device == "scale-1":
                self.scales.apply(ch)

    def _drive_loop(self) -> None:
        while not self._stop.wait(self.drive_every_s):
            try:
                self.drive()
            except Exception:  # a bad step must not stop the devices; it is logged with its cause
                log.exception("device driver step failed")

    def start(self) -> None:
        self._driver.start()
        self.gateway.start()
        self.scales.start()
        log.info(
            "live devices: %d Modbus stubs on %d ptys polled by the serial gateway; %d Homie scales via the MQTT gateway",
            len(self.devices),
            len(self.buses),
            len(self.scales.nodes),
        )

    def stop(self) -> None:
        self._stop.set()
        self.scales.stop()
        self.gateway.stop()  # also closes the publisher
        for bus in self.buses:
            bus.stop()

    @property
    def paths(self) -> list[Path]:
        return [Path(b.path) for b in self.buses]
