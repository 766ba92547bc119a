"""The alerts configuration file (YAML), validated completely before anything runs.

Found at ``--alerts-config FILE`` or ``EGGWATCH_DATA_DIR/alerts.yaml``; a missing default file
means "defaults only" (the retained MQTT topic, no webhooks, no e-mail).  See README.md for an
annotated example.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from eggwatch.settings import ConfigError, Settings
from eggwatch.yamlconf import load_model

if TYPE_CHECKING:
    from analytics.detector import DetectorConfig

DAY_S = 86_400.0
MONTH_MIN = 31 * 24 * 60.0  # a longer cooldown or escalation is a typo, not a policy

Event = Literal["opened", "escalated", "acknowledged", "resolved", "reopened"]
HUMAN_EVENTS: tuple[Event, ...] = ("opened", "escalated")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Strict):
    """Someone to notify: e-mail for the e-mail channel, phone to @-mention in WeCom/DingTalk."""

    name: str = Field(min_length=1)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9]{5,20}$")

    @field_validator("phone", mode="before")
    @classmethod
    def _digits(cls, v: object) -> object:
        # "138 0013 8000" and "138-0013-8000" are how people write numbers; robots want digits.
        return v.replace(" ", "").replace("-", "") if isinstance(v, str) else v


def _http_url(v: str) -> str:
    parts = urlsplit(v)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        # Only scheme and host: a robot's URL carries its token (the error reaches logs and the API).
        host = f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme else v.split("/")[0].split("?")[0]
        shown = f"{host}/…"
        raise ValueError(f"{shown!r} is not an http(s) URL")
    return v


class Webhook(_Strict):
    name: str = Field(pattern=r"^[a-z0-9_-]{1,48}$")
    format: Literal["generic", "wecom", "dingtalk"] = "generic"
    url: str
    # DingTalk: the "加签" secret (SEC...); generic: signs the body (X-Eggwatch-Signature).
    secret: SecretStr | None = None
    msgtype: Literal["text", "markdown"] = "markdown"
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    events: tuple[Event, ...] = (*HUMAN_EVENTS, "resolved")

    _url = field_validator("url")(_http_url)

    @model_validator(mode="after")
    def _secret_only_dingtalk(self) -> Webhook:
        if self.secret is not None and self.format == "wecom":
            raise ValueError(
                f"webhook {self.name}: WeCom robots do not sign; the key in the URL is the secret"
            )
        return self


class Smtp(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    security: Literal["starttls", "ssl", "none"] = "starttls"
    ca_file: Path | None = None  # a private CA for the server's certificate (default: system CAs)
    timeout_s: float = Field(default=20.0, gt=0, le=300)
    events: tuple[Event, ...] = HUMAN_EVENTS

    @field_validator("events")
    @classmethod
    def _addressed(cls, v: tuple[Event, ...]) -> tuple[Event, ...]:
        # Mail goes to the people an event names: only these carry any.  Another event was sent to
        # nobody and counted as sent (a warning in the log, no e-mail).
        other = [e for e in v if e not in HUMAN_EVENTS]
        if other:
            raise ValueError(
                f"e-mail is sent only for {' and '.join(HUMAN_EVENTS)} (the events that name whom to "
                f"tell), not {', '.join(other)}: use a webhook or the MQTT topic for those"
            )
        return v

    @model_validator(mode="after")
    def _auth_pair(self) -> Smtp:
        if bool(self.username) != bool(self.password):
            raise ValueError("smtp: username and password go together")
        if self.username and self.security == "none":
            raise ValueError("smtp: refusing to send a password without TLS (security: none)")
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"smtp: ca_file {self.ca_file} not found")
        return self


class Mqtt(_Strict):
    enabled: bool = True
    qos: Literal[0, 1, 2] = 1
    timeout_s: float = Field(default=10.0, gt=0, le=120)


class Retry(_Strict):
    """Exponential backoff per channel: initial_s, doubling, capped at max_s; given up (status
    ``dead``, logged and counted) only after give_up_hours."""

    # Upper bounds keep every duration a datetime can hold (``.inf`` or 1e12 s failed at run time).
    initial_s: float = Field(default=5.0, gt=0, le=DAY_S)
    max_s: float = Field(default=600.0, gt=0, le=DAY_S)
    give_up_hours: float = Field(default=72.0, gt=0, le=24 * 366)
    keep_sent_days: float = Field(default=30.0, gt=0, le=3660)  # delivered messages are then deleted
    # Dead messages are an operator's evidence (why did no one hear?): kept longer, but not forever.
    keep_dead_days: float = Field(default=180.0, gt=0, le=3660)


class AlertsConfig(_Strict):
    site: str | None = None  # default: EGGWATCH_SITE
    park: Path | None = None  # default: EGGWATCH_DATA_DIR/park.yaml
    timezone: str | None = None  # times in messages; default: the park's (Asia/Shanghai)
    interval_s: float = Field(default=300.0, ge=1, le=DAY_S)
    # A live pass analyses 23 days and learns each flock's place on its breed curve from the 44 before.
    history_days: int = Field(default=70, ge=2, le=400)
    cooldown_minutes: float = Field(default=360.0, ge=0, le=MONTH_MIN)
    escalation_minutes: float = Field(default=30.0, gt=0, le=MONTH_MIN)
    recovery_hours: int = Field(default=12, ge=3, le=168)
    open_within_hours: float = Field(default=24.0, gt=0, le=144)
    default_recipients: tuple[Person, ...] = ()
    managers: tuple[Person, ...] = ()
    mqtt: Mqtt = Field(default_factory=Mqtt)
    webhooks: tuple[Webhook, ...] = ()
    smtp: Smtp | None = None
    retry: Retry = Field(default_factory=Retry)
    # Detector settings to change for this park, e.g. {trend_z: 3.0} for more sensitivity to mild
    # dips at more false alarms (names and defaults: analytics/detector/config.py).
    detector: dict[str, int | float] = Field(default_factory=dict)

    @field_validator("detector")
    @classmethod
    def _detector(cls, v: dict[str, int | float]) -> dict[str, int | float]:
        from analytics.detector import DetectorConfig

        for name, value in v.items():
            if not math.isfinite(value):  # NaN compares false with every threshold: no alert, ever
                raise ValueError(f"{name}={value} is not a finite number")
        DetectorConfig.with_overrides(v)  # unknown names and bad values fail here, before anything runs
        return v

    def detector_config(self) -> DetectorConfig:
        from analytics.detector import DetectorConfig

        return DetectorConfig.with_overrides(self.detector)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r}") from None
        return v

    @model_validator(mode="after")
    def _unique_channels(self) -> AlertsConfig:
        names = [w.name for w in self.webhooks]
        reserved = {"mqtt", "email"} & set(names)
        if reserved:
            raise ValueError(f"webhook name {sorted(reserved)[0]!r} is reserved")
        if len(names) != len(set(names)):
            raise ValueError("webhook names must be unique")
        return self


def load_alerts_config(path: Path | None, settings: Settings) -> AlertsConfig:
    """Load ``path`` (or the data dir's alerts.yaml if present); errors are one-line ConfigErrors."""
    explicit = path is not None
    path = path or settings.data_dir / "alerts.yaml"
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: alerts config not found")
        return AlertsConfig()
    return load_model(path, AlertsConfig)
