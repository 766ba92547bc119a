"""The serial gateway's configuration: the YAML register map of CONTRACTS §5, validated on load.

Everything that can be wrong with a map is caught here, before a port is opened: unknown metrics,
bad tags, overlapping registers, duplicate slave ids or devices, impossible timings.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eggwatch import metrics
from eggwatch.settings import OptionalSite
from eggwatch.wire import LEVEL_RE
from eggwatch.yamlconf import load_model
from gateway.publish_config import PublishConfig
from gateway.registers import RegType, WordOrder
from gateway.tagconf import check_tags, check_whole_scale, not_a_boolean, tag_strings

MAX_REGISTERS_PER_READ = 125  # Modbus limit for functions 3 and 4


class Function(IntEnum):
    HOLDING = 3
    INPUT = 4


_FUNCTIONS = {"holding": Function.HOLDING, "input": Function.INPUT, 3: Function.HOLDING, 4: Function.INPUT}


def _function(v: object) -> Function:
    if isinstance(v, Function):
        return v
    if v in _FUNCTIONS:
        return _FUNCTIONS[v]  # type: ignore[index]
    raise ValueError(f"function must be 'holding' (3) or 'input' (4), got {v!r}")


class _Strict(BaseModel):
    # allow_inf_nan=False: a scale of .nan or an offset of .inf could only give bad values
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    _no_bool = field_validator("*", mode="before")(classmethod(lambda cls, v: not_a_boolean(v)))


def _level(v: str, what: str) -> str:
    if not LEVEL_RE.match(v):
        raise ValueError(f"{what} {v!r} must match [a-z0-9_-]+ (it is an MQTT topic level)")
    return v


class RegisterMap(_Strict):
    """One value on the device: where it is, how it is encoded, what it means."""

    address: int = Field(ge=0, le=65535)
    type: RegType
    word_order: WordOrder = WordOrder.BIG
    scale: float = 1.0
    offset: float = 0.0
    metric: str
    tags: dict[str, str] = Field(default_factory=dict)
    function: Function | None = None  # default: the device's function

    _fn = field_validator("function", mode="before")(
        classmethod(lambda cls, v: None if v is None else _function(v))
    )

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        if v not in metrics.REGISTRY:
            raise ValueError(f"unknown metric {v!r} (see eggwatch/metrics.py for the registry)")
        return v

    _tag_strings = field_validator("tags", mode="before")(classmethod(lambda cls, v: tag_strings(v)))
    _tags = field_validator("tags")(classmethod(lambda cls, v: check_tags(v)))

    @model_validator(mode="after")
    def _fits(self) -> RegisterMap:
        if self.address + self.type.width > 65536:
            raise ValueError(f"{self.type} at {self.address} runs past register 65535")
        if self.scale == 0:
            raise ValueError("scale must not be 0")
        check_whole_scale(self.metric, self.scale, self.offset)
        return self

    @property
    def counter(self) -> bool:
        return metrics.REGISTRY[self.metric].kind is metrics.Kind.COUNTER


class DeviceConfig(_Strict):
    unit: str
    device: str
    slave: int = Field(ge=1, le=247)
    poll_s: float = Field(gt=0, le=86400)
    function: Function = Function.HOLDING
    registers: list[RegisterMap] = Field(min_length=1)

    _fn = field_validator("function", mode="before")(classmethod(lambda cls, v: _function(v)))
    _u = field_validator("unit")(classmethod(lambda cls, v: _level(v, "unit")))
    _d = field_validator("device")(classmethod(lambda cls, v: _level(v, "device")))

    def function_of(self, reg: RegisterMap) -> Function:
        return reg.function or self.function

    @model_validator(mode="after")
    def _no_overlap(self) -> DeviceConfig:
        owner: dict[tuple[Function, int], int] = {}
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        for i, reg in enumerate(self.registers):
            for a in range(reg.address, reg.address + reg.type.width):
                key = (self.function_of(reg), a)
                if key in owner:
                    raise ValueError(f"registers[{i}] overlaps registers[{owner[key]}] at address {a}")
                owner[key] = i
            ident = (reg.metric, tuple(sorted(reg.tags.items())))
            if ident in seen:
                raise ValueError(f"registers[{i}]: {reg.metric} with tags {reg.tags} appears twice")
            seen.add(ident)
        return self


class BusConfig(_Strict):
    port: str = Field(min_length=1)
    baudrate: int = Field(default=9600, ge=300, le=4_000_000)
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    # Optional, and only 8: Modbus RTU frames are 8-bit binary (7 data bits is Modbus ASCII, whose
    # framing the gateway does not speak); a bus set to 7 could never carry a byte above 0x7f.
    bytesize: int = 8
    timeout_s: float = Field(default=0.5, gt=0, le=30)
    # A failing device is retried after 1, 2, 4 ... poll intervals, at most this long apart.
    backoff_max_s: float = Field(default=60, gt=0, le=3600)
    devices: list[DeviceConfig] = Field(min_length=1)

    @field_validator("bytesize")
    @classmethod
    def _rtu_bytesize(cls, v: int) -> int:
        if v != 8:
            raise ValueError(
                f"bytesize {v}: Modbus RTU uses 8 data bits (7 is Modbus ASCII); use 8 or leave it out"
            )
        return v

    @model_validator(mode="after")
    def _unique_slaves(self) -> BusConfig:
        seen: dict[int, int] = {}
        for i, dev in enumerate(self.devices):
            if dev.slave in seen:
                raise ValueError(f"devices[{i}] uses slave {dev.slave} like devices[{seen[dev.slave]}]")
            seen[dev.slave] = i
        return self

    @model_validator(mode="after")
    def _timeout_fits_the_reads(self) -> BusConfig:
        # A read whose frames alone take longer than timeout_s fails on every poll, reported as a
        # device that does not answer.
        from gateway.plan import plan_device, transaction_s  # plan imports this module

        for dev in self.devices:
            for block in plan_device(dev):
                wire_s = transaction_s(self, block)
                if wire_s >= self.timeout_s:
                    raise ValueError(
                        f"timeout_s {self.timeout_s:g} is shorter than the {wire_s:.3f} s a read of "
                        f"{block.count} registers from {dev.unit}/{dev.device} takes on the wire at "
                        f"{self.baudrate} Bd: raise timeout_s or the baud rate"
                    )
        return self

    @property
    def bits_per_char(self) -> int:
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits

    @property
    def char_s(self) -> float:
        return self.bits_per_char / self.baudrate

    @property
    def frame_gap_s(self) -> float:
        """The RTU silent interval between frames: 3.5 characters, fixed at 1.75 ms above 19200 Bd."""
        return 0.00175 if self.baudrate > 19200 else 3.5 * self.char_s


class SerialGatewayConfig(_Strict):
    site: OptionalSite = None
    buses: list[BusConfig] = Field(min_length=1)
    publish: PublishConfig = Field(default_factory=PublishConfig)

    @model_validator(mode="after")
    def _unique(self) -> SerialGatewayConfig:
        ports: set[str] = set()
        devices: set[tuple[str, str]] = set()
        for b, bus in enumerate(self.buses):
            if bus.port in ports:
                raise ValueError(f"buses[{b}]: port {bus.port} is listed twice")
            ports.add(bus.port)
            for dev in bus.devices:
                if (dev.unit, dev.device) in devices:
                    raise ValueError(f"buses[{b}]: device {dev.unit}/{dev.device} is configured twice")
                devices.add((dev.unit, dev.device))
        return self


def load_serial_config(path: Path) -> SerialGatewayConfig:
    return load_model(path, SerialGatewayConfig)
