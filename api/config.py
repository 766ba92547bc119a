"""Workforce settings of the API (``EGGWATCH_*`` variables beyond CONTRACTS §2), validated up front.

Minimum wages default to Gansu's tiers as adjusted in 2025 (甘肃省最低工资标准, reported e.g. by
china-payroll.com, 2025-12-16): class I CNY 2,020/month and 21.0/hour, II 1,960 / 20.5,
III 1,910 / 20.0, IV 1,850 / 19.5.  A rural county in Gansu is usually class III; set
``EGGWATCH_MIN_WAGE_TIER`` (or the explicit amounts) for the park's county.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from eggwatch.settings import ConfigError

Tier = Literal["I", "II", "III", "IV"]

# (monthly CNY, hourly CNY) — Gansu 2025 standard (see module docstring).
GANSU_MIN_WAGE: dict[str, tuple[Decimal, Decimal]] = {
    "I": (Decimal("2020"), Decimal("21.0")),
    "II": (Decimal("1960"), Decimal("20.5")),
    "III": (Decimal("1910"), Decimal("20.0")),
    "IV": (Decimal("1850"), Decimal("19.5")),
}

# Full-time standard month: 21.75 days x 8 h (人社部 2008 standard working hours).
STANDARD_MONTH_HOURS = Decimal("174")

MAX_YUAN = Decimal("10000000")

# 2,300 CNY at 2010 prices, about 4,000 CNY/year per person in 2020 (national rural poverty line).
DEFAULT_POVERTY_LINE = Decimal("4000")


class ApiConfig(BaseSettings):
    """Pay policy, token lifetime and login throttling."""

    model_config = SettingsConfigDict(env_prefix="EGGWATCH_", extra="ignore", frozen=True)

    min_wage_tier: Tier = "III"
    # At most MAX_YUAN, as every amount the API takes (schemas.common.Yuan): a run stores its
    # minimums in fen (BIGINT), and 1e17 yuan made POST /payroll/runs a 500 on PostgreSQL.
    min_wage_monthly: Decimal | None = Field(default=None, gt=0, le=MAX_YUAN)
    min_wage_hourly: Decimal | None = Field(default=None, gt=0, le=MAX_YUAN)
    poverty_line_yearly: Decimal = Field(default=DEFAULT_POVERTY_LINE, gt=0, le=MAX_YUAN)
    token_ttl_minutes: int = Field(default=60, ge=1, le=24 * 60)
    login_attempts_per_minute: int = Field(default=10, ge=1, le=1000)
    count_tolerance_pct: Decimal = Field(default=Decimal("5"), ge=0, le=100)

    @model_validator(mode="after")
    def _fill_tier(self) -> ApiConfig:
        monthly, hourly = GANSU_MIN_WAGE[self.min_wage_tier]
        if self.min_wage_monthly is None:
            object.__setattr__(self, "min_wage_monthly", monthly)
        if self.min_wage_hourly is None:
            object.__setattr__(self, "min_wage_hourly", hourly)
        return self

    @property
    def monthly_minimum(self) -> Decimal:
        assert self.min_wage_monthly is not None
        return self.min_wage_monthly

    @property
    def hourly_minimum(self) -> Decimal:
        assert self.min_wage_hourly is not None
        return self.min_wage_hourly


def load_api_config(**overrides: object) -> ApiConfig:
    try:
        return ApiConfig(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"EGGWATCH_{where.upper()}: {err['msg']}") from None
