"""Modbus register codecs: the five value types of CONTRACTS §5 in both word orders.

Modbus moves 16-bit registers, always big-endian within a register.  32-bit values span two
registers; ``word_order: big`` puts the high word first (the Modbus convention), ``little`` the
low word first (common on PLCs and many meters).  ``decode`` turns raw registers into the value the
device meant; ``encode`` is its inverse, used by the firmware stubs and the round-trip tests.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from enum import StrEnum


class RegType(StrEnum):
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"

    @property
    def width(self) -> int:
        """Registers the value occupies."""
        return 1 if self in (RegType.INT16, RegType.UINT16) else 2

    @property
    def modulus(self) -> int | None:
        """Where an unsigned counter of this type wraps to 0 (``None``: not a wrapping type)."""
        return {RegType.UINT16: 1 << 16, RegType.UINT32: 1 << 32}.get(self)


class WordOrder(StrEnum):
    BIG = "big"
    LITTLE = "little"


_STRUCT = {
    RegType.INT16: struct.Struct(">h"),
    RegType.UINT16: struct.Struct(">H"),
    RegType.INT32: struct.Struct(">i"),
    RegType.UINT32: struct.Struct(">I"),
    RegType.FLOAT32: struct.Struct(">f"),
}


def decode(regs: Sequence[int], rtype: RegType, order: WordOrder = WordOrder.BIG) -> int | float:
    """The value held in ``regs`` (exactly ``rtype.width`` registers)."""
    if len(regs) != rtype.width:
        raise ValueError(f"{rtype} needs {rtype.width} registers, got {len(regs)}")
    words = list(regs) if order is WordOrder.BIG else list(reversed(regs))
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    value: int | float = _STRUCT[rtype].unpack(raw)[0]
    return value


def encode(value: int | float, rtype: RegType, order: WordOrder = WordOrder.BIG) -> list[int]:
    """The registers that hold ``value``; integers outside the type's range raise ``ValueError``."""
    if rtype is RegType.FLOAT32:
        raw = _STRUCT[rtype].pack(float(value))
    else:
        try:
            raw = _STRUCT[rtype].pack(int(value))
        except struct.error as exc:
            raise ValueError(f"{value!r} does not fit {rtype}") from exc
    words = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
    return words if order is WordOrder.BIG else list(reversed(words))
