"""Run stub devices as one RS-485 bus on a pty until interrupted; prints the gateway's port path.

python -m firmware_stubs climate:1 eggcounter:2 water:3 silo:4 --unit house-07 --link /tmp/ttyH07
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from firmware_stubs import DEVICES, run_on_pty
from firmware_stubs.modbus_stub import StubDevice


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m firmware_stubs", description=__doc__.splitlines()[0])
    ap.add_argument("devices", nargs="+", help=f"KIND:SLAVE, KIND one of {', '.join(DEVICES)}")
    ap.add_argument("--unit", default="house-01", help="unit of the devices (house-07, packing-1)")
    ap.add_argument("--link", type=Path, help="also make this path a symlink to the port (like socat link=)")
    ap.add_argument("--drive-every", type=float, default=1.0, help="built-in driver step, seconds (0: off)")
    args = ap.parse_args(argv)
    devices: list[StubDevice] = []
    for spec in args.devices:
        kind, _, slave = spec.partition(":")
        if kind not in DEVICES or not slave.isdigit():
            ap.error(f"bad device {spec!r}: use KIND:SLAVE with KIND one of {', '.join(DEVICES)}")
        devices.append(DEVICES[kind](slave=int(slave), unit=args.unit, device=f"{kind}-{slave}"))
    try:
        bus = run_on_pty(devices, link_path=args.link, drive_every_s=args.drive_every or None)
    except ValueError as exc:
        ap.error(str(exc))
    print(bus.path, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    bus.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
