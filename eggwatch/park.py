"""The park's static description: houses (flock, breed, rows, lights, belt collection) and lines.

Loaded from a YAML file (``EGGWATCH_DATA_DIR/park.yaml`` by default; the demo writes one from its
simulated park).  Analytics needs it for the breed standard and expected counting pattern; the
web page and API use it for names and flock ages.

```yaml
site: jinji
timezone: Asia/Shanghai
houses:
  - unit: house-01
    name_zh: 一号鸡舍
    breed: hyline_brown
    placed: 2026-03-01          # date the flock was housed
    age_weeks_at_placement: 17
    hens_placed: 50000
    rows: 8
    lights_on: "04:00"          # local time
    lights_hours: 16
    collection: ["09:00", "14:00"]   # egg-belt runs (local); [] = continuous collection
lines:
  - unit: packing-1
    name_zh: 一号包装线
```
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from eggwatch.breeds import BREEDS
from eggwatch.settings import ConfigError
from eggwatch.wire import LEVEL_RE
from eggwatch.yamlconf import load_model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# SQL columns holding a unit (alerts, workforce locations) are 64 characters wide.
MAX_UNIT_LEN = 64


def _unit(v: str) -> str:
    if not LEVEL_RE.match(v):
        raise ValueError(f"unit {v!r} must match [a-z0-9_-]+")
    if len(v) > MAX_UNIT_LEN:
        raise ValueError(f"unit {v[:20]!r}... is {len(v)} characters; at most {MAX_UNIT_LEN}")
    return v


class House(_Strict):
    unit: str
    name_zh: str | None = None
    breed: str = "hyline_brown"
    placed: dt.date
    age_weeks_at_placement: float = Field(17.0, ge=0, le=120)
    hens_placed: int = Field(gt=0, le=2_000_000)
    rows: int = Field(8, ge=1, le=64)
    lights_on: dt.time = dt.time(4, 0)
    lights_hours: float = Field(16.0, gt=0, le=24)
    collection: tuple[dt.time, ...] = (dt.time(9, 0), dt.time(14, 0))

    _check_unit = field_validator("unit")(_unit)

    @field_validator("breed")
    @classmethod
    def _breed(cls, v: str) -> str:
        if v not in BREEDS:
            raise ValueError(f"unknown breed {v!r}; known: {', '.join(BREEDS)}")
        return v

    def age_weeks(self, when: dt.date) -> float:
        return self.age_weeks_at_placement + (when - self.placed).days / 7.0

    @property
    def row_ids(self) -> list[str]:
        return [f"{i:02d}" for i in range(1, self.rows + 1)]


class Line(_Strict):
    unit: str
    name_zh: str | None = None
    _check_unit = field_validator("unit")(_unit)


class Park(_Strict):
    site: str = "jinji"
    timezone: str = "Asia/Shanghai"
    houses: tuple[House, ...] = ()
    lines: tuple[Line, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        ZoneInfo(v)
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def house(self, unit: str) -> House | None:
        return next((h for h in self.houses if h.unit == unit), None)

    def dump(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(self.model_dump(mode="json"), allow_unicode=True, sort_keys=False))


def load_park(path: Path) -> Park:
    """Load and validate a park file; errors name the file, the line and the field."""
    if not Path(path).exists():
        raise ConfigError(f"{path}: park file not found")
    return load_model(path, Park)
