"""The read plan of a device: its registers grouped into as few Modbus requests as possible.

Registers of the same function that sit next to each other are read by one request of at most
125 registers (the protocol limit).  Gaps are not bridged: many devices answer a read that touches
an unmapped register with an "illegal data address" exception.  The plan also gives the bytes a
poll puts on the wire, for the bus-time budget (``bus_time_s``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.serial_config import MAX_REGISTERS_PER_READ, BusConfig, DeviceConfig, Function, RegisterMap

REQUEST_BYTES = 8  # slave, function, address (2), count (2), CRC (2)
RESPONSE_OVERHEAD = 5  # slave, function, byte count, CRC (2); plus 2 bytes per register


@dataclass(frozen=True, slots=True)
class Field:
    """A register value inside a block: ``index`` is its offset from the block start."""

    reg: RegisterMap
    index: int
    key: int  # position of the register in the device config (stable id for counters)


@dataclass(frozen=True, slots=True)
class Block:
    function: Function
    start: int
    count: int
    fields: tuple[Field, ...]

    @property
    def wire_bytes(self) -> int:
        return REQUEST_BYTES + RESPONSE_OVERHEAD + 2 * self.count


def plan_device(dev: DeviceConfig, max_count: int = MAX_REGISTERS_PER_READ) -> list[Block]:
    """Merge the device's contiguous registers into read blocks (ordered by function, address)."""
    items = sorted(
        ((dev.function_of(r), r.address, i, r) for i, r in enumerate(dev.registers)),
        key=lambda t: (t[0], t[1]),
    )
    blocks: list[Block] = []
    cur: list[tuple[Function, int, int, RegisterMap]] = []

    def close() -> None:
        if cur:
            fn, start = cur[0][0], cur[0][1]
            end = cur[-1][1] + cur[-1][3].type.width
            fields = tuple(Field(r, a - start, i) for _, a, i, r in cur)
            blocks.append(Block(fn, start, end - start, fields))
            cur.clear()

    for item in items:
        fn, addr, _, reg = item
        if cur:
            prev_fn, prev_addr, _, prev = cur[-1]
            contiguous = fn == prev_fn and addr == prev_addr + prev.type.width
            fits = addr + reg.type.width - cur[0][1] <= max_count
            if not (contiguous and fits):
                close()
        cur.append(item)
    close()
    return blocks


def transaction_s(bus: BusConfig, block: Block) -> float:
    """Bus time of one read at the bus's baud rate: both frames plus the silent gap after each."""
    return block.wire_bytes * bus.char_s + 2 * bus.frame_gap_s


def bus_time_s(bus: BusConfig) -> tuple[float, float]:
    """(bus seconds needed per second of polling, transactions per second) for the whole bus."""
    busy = tx = 0.0
    for dev in bus.devices:
        for block in plan_device(dev):
            busy += transaction_s(bus, block) / dev.poll_s
            tx += 1 / dev.poll_s
    return busy, tx
