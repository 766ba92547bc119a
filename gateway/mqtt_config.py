"""The MQTT gateway's YAML: vendor topic patterns and JSON paths mapped to normalised readings.

mappings:
  - name: flat-env
    topic: "farm/h{house}/env"          # {name} captures (part of) a level; + matches a level
    unit: "house-{house}"               # templates over the captures
    device: "env-{house}"
    timestamp: {path: ts, format: epoch_s}   # optional: else the arrival time
    repeat: {every_s: 300, for_s: 86400}     # optional: a device that publishes only on change
    fields:
      - {path: t, metric: temp_c}
      - {path: tf, metric: temp_c, from_unit: degF, required: false}
      - {path: w, metric: water_l_total, from_unit: ml, tags: {line: "1"}}
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eggwatch import metrics
from eggwatch.settings import BrokerAddress, OptionalSite
from eggwatch.wire import MAX_TAGS
from eggwatch.yamlconf import load_model
from gateway.publish_config import PublishConfig
from gateway.tagconf import (
    CAPTURE,
    check_level_template,
    check_tag_templates,
    check_tags,
    check_whole_scale,
    not_a_boolean,
    tag_strings,
)

PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class TimeFormat(StrEnum):
    EPOCH_MS = "epoch_ms"
    EPOCH_S = "epoch_s"
    ISO8601 = "iso8601"


# from_unit → (registry unit it converts to, factor, offset): value * factor + offset
CONVERSIONS: dict[str, tuple[str, float, float]] = {
    "degF": ("°C", 5 / 9, -32 * 5 / 9),
    "K": ("°C", 1.0, -273.15),
    "ml": ("l", 0.001, 0.0),
    "m3": ("l", 1000.0, 0.0),
    "g": ("kg", 0.001, 0.0),
    "t": ("kg", 1000.0, 0.0),
    "kg": ("g", 1000.0, 0.0),
    "fraction": ("%", 100.0, 0.0),
    "hPa": ("Pa", 100.0, 0.0),
    "mbar": ("Pa", 100.0, 0.0),
}


def parse_path(path: str) -> tuple[str | int, ...]:
    """``a.b[2].c`` → ("a", "b", 2, "c"); ``$`` or ``""`` is the whole payload."""
    if path in ("", "$"):
        return ()
    parts: list[str | int] = []
    pos = 0
    text = path.removeprefix("$.")
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
        m = PATH_PART.match(text, pos)
        if not m:
            raise ValueError(f"bad JSON path {path!r} at {pos}")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return tuple(parts)


def _template_names(text: str) -> set[str]:
    return set(CAPTURE.findall(text))


class _Strict(BaseModel):
    # allow_inf_nan=False: a scale of .nan or an offset of .inf could only give dead letters
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FieldMap(_Strict):
    path: str
    metric: str
    scale: float = 1.0
    offset: float = 0.0
    from_unit: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    required: bool = True  # a missing value dead-letters the message (else it is just skipped)

    _no_bool = field_validator("scale", "offset", mode="before")(classmethod(lambda cls, v: not_a_boolean(v)))

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v not in metrics.REGISTRY:
            raise ValueError(f"unknown metric {v!r} (see eggwatch/metrics.py for the registry)")
        return v

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        parse_path(v)
        return v

    _tag_strings = field_validator("tags", mode="before")(classmethod(lambda cls, v: tag_strings(v)))
    _tags = field_validator("tags")(classmethod(lambda cls, v: check_tags(v)))

    @model_validator(mode="after")
    def _unit(self) -> FieldMap:
        check_whole_scale(self.metric, self.scale, self.offset)
        if self.from_unit is not None:
            conv = CONVERSIONS.get(self.from_unit)
            if conv is None:
                raise ValueError(f"from_unit {self.from_unit!r} is not one of {sorted(CONVERSIONS)}")
            target = metrics.REGISTRY[self.metric].unit
            if conv[0] != target:
                raise ValueError(
                    f"from_unit {self.from_unit} converts to {conv[0]}, but {self.metric} is in {target}"
                )
        return self

    @property
    def parts(self) -> tuple[str | int, ...]:
        return parse_path(self.path)

    def convert(self, raw: float) -> float:
        value = raw * self.scale + self.offset
        if self.from_unit is not None:
            _, factor, offset = CONVERSIONS[self.from_unit]
            value = value * factor + offset
        return value


class TimestampMap(_Strict):
    path: str
    format: TimeFormat = TimeFormat.EPOCH_MS

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        parse_path(v)
        return v


class Repeat(_Strict):
    """A device that publishes only on change: its last values again every ``every_s`` of silence,
    for at most ``for_s`` after its last message (gateway/repeat.py)."""

    every_s: float = Field(gt=0)
    for_s: float = Field(default=86400.0, gt=0)

    _no_bool = field_validator("*", mode="before")(classmethod(lambda cls, v: not_a_boolean(v)))

    @model_validator(mode="after")
    def _order(self) -> Repeat:
        if self.for_s < self.every_s:
            raise ValueError(f"for_s ({self.for_s:g}) is shorter than every_s ({self.every_s:g})")
        return self


class Mapping(_Strict):
    name: str
    topic: str
    unit: str
    device: str
    payload: Literal["json", "number"] = "json"  # number: the payload is one plain number (Homie)
    timestamp: TimestampMap | None = None
    fields: list[FieldMap] = Field(min_length=1)
    tags: dict[str, str] = Field(default_factory=dict)
    repeat: Repeat | None = None  # the device publishes only on change

    _tag_strings = field_validator("tags", mode="before")(classmethod(lambda cls, v: tag_strings(v)))
    _tags = field_validator("tags")(classmethod(lambda cls, v: check_tag_templates(v)))
    _unit = field_validator("unit")(classmethod(lambda cls, v: check_level_template("unit", v)))
    _device = field_validator("device")(classmethod(lambda cls, v: check_level_template("device", v)))

    @model_validator(mode="after")
    def _check(self) -> Mapping:
        levels = self.topic.split("/")
        if "#" in self.topic or any(not lv for lv in levels):
            raise ValueError(f"topic {self.topic!r}: use named levels {{name}} or +, not # or empty levels")
        captures = _template_names(self.topic)
        for what, text in [("unit", self.unit), ("device", self.device), *self.tags.items()]:
            missing = _template_names(text) - captures
            if missing:
                raise ValueError(f"{what} uses {sorted(missing)} which the topic does not capture")
        if self.payload == "number" and any(f.path not in ("", "$") for f in self.fields):
            raise ValueError("a number payload has no JSON paths: use path: $")
        for i, f in enumerate(self.fields):
            if len({**self.tags, **f.tags}) > MAX_TAGS:
                raise ValueError(f"fields[{i}]: more than {MAX_TAGS} tags with the mapping's")
        return self

    @property
    def subscription(self) -> str:
        return "/".join("+" if ("{" in lv or lv == "+") else lv for lv in self.topic.split("/"))

    @property
    def regex(self) -> re.Pattern[str]:
        out = []
        for level in self.topic.split("/"):
            if level == "+":
                out.append("[^/]+")
                continue
            pos, rx = 0, ""
            for m in CAPTURE.finditer(level):
                rx += re.escape(level[pos : m.start()]) + f"(?P<{m.group(1)}>[^/]+?)"
                pos = m.end()
            out.append(rx + re.escape(level[pos:]))
        return re.compile("^" + "/".join(out) + r"\Z")  # \Z: "$" would also match before a final "\n"


class SourceBroker(_Strict):
    url: str | None = None  # the vendor devices' broker; default EGGWATCH_MQTT_URL
    client_id: str | None = None  # fixed id → a persistent session: messages wait while we are down
    qos: Literal[0, 1] = 1

    _no_bool = field_validator("qos", mode="before")(classmethod(lambda cls, v: not_a_boolean(v)))

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None:
            BrokerAddress.parse(v)
        return v


class MqttGatewayConfig(_Strict):
    site: OptionalSite = None
    source: SourceBroker = Field(default_factory=SourceBroker)
    publish: PublishConfig = Field(default_factory=PublishConfig)
    mappings: list[Mapping] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> MqttGatewayConfig:
        names = [m.name for m in self.mappings]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"mapping names must be unique: {sorted(dup)}")
        return self


def load_mqtt_config(path: Path) -> MqttGatewayConfig:
    return load_model(path, MqttGatewayConfig)
