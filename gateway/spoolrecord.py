"""The spool record of the gateways: one device's readings, already JSON-encoded.

``unit/device <count>\\n`` followed by the readings' JSON objects joined by commas.  Readings are
encoded once, when they are spooled; forming a message on replay is then a byte join, which is
what lets a backlog of hours go out at tens of thousands of readings per second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from eggwatch.wire import Reading


@dataclass(frozen=True, slots=True)
class Record:
    unit: str
    device: str
    count: int
    body: bytes  # b'{"ts":..},{"ts":..}'


def pack(unit: str, device: str, readings: Sequence[Reading]) -> bytes:
    body = b",".join(orjson.dumps(r.to_json()) for r in readings)
    return b"%s/%s %d\n%s" % (unit.encode(), device.encode(), len(readings), body)


def pack_valid(
    unit: str, device: str, readings: Sequence[Reading]
) -> tuple[bytes | None, list[tuple[Reading, str]]]:
    """Like :func:`pack`, but a reading JSON cannot hold (an integer beyond 64 bits) is left out
    and returned with the reason instead of failing the whole record: ``(record or None, bad)``."""
    bodies: list[bytes] = []
    bad: list[tuple[Reading, str]] = []
    for r in readings:
        try:
            bodies.append(orjson.dumps(r.to_json()))
        except orjson.JSONEncodeError as exc:
            bad.append((r, str(exc)))
    if not bodies:
        return None, bad
    return b"%s/%s %d\n%s" % (unit.encode(), device.encode(), len(bodies), b",".join(bodies)), bad


def unpack(raw: bytes) -> Record:
    head, _, body = raw.partition(b"\n")
    name, _, count = head.partition(b" ")
    unit, _, device = name.decode().partition("/")
    if not unit or not device or not count.isdigit():
        raise ValueError(f"not a gateway spool record: {raw[:80]!r}")
    return Record(unit, device, int(count), body)


def message(seq: int, bodies: Sequence[bytes]) -> bytes:
    """The CONTRACTS §3 payload for readings given as encoded bodies."""
    return b'{"seq":%d,"readings":[%s]}' % (seq, b",".join(bodies))
