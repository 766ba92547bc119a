"""Settings of the store-and-forward publisher, shared by both gateways' YAML (``publish:``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eggwatch.wire import MAX_READINGS
from gateway.tagconf import not_a_boolean

# A reading's JSON stays under ~2.5 kB (8 tags of 32-character keys and 64 four-byte characters);
# a spool smaller than two full records of this size could refuse a batch forever.
MAX_READING_BYTES = 4096


class PublishConfig(BaseModel):
    """How readings are batched into MQTT messages and spooled while the broker is away."""

    # allow_inf_nan=False: spool_max_mb: .inf would only fail once running (int(inf))
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    _no_bool = field_validator("*", mode="before")(classmethod(lambda cls, v: not_a_boolean(v)))

    # A message carries at most this many readings (CONTRACTS §3 allows up to 5,000).
    batch_size: int = Field(default=500, ge=1, le=MAX_READINGS)
    # How long a reading may wait for others before its batch is written to the spool.  A
    # SIGKILL loses at most the readings of this window (they were read but not yet durable).
    linger_s: float = Field(default=0.05, ge=0, le=10)
    # Disk budget of the spool; when it is full the newest readings are refused (and counted).
    spool_max_mb: float = Field(default=256, gt=0)
    # Records handed to the broker per round (each waits for its PUBACK before the next round).
    window_records: int = Field(default=2000, ge=1, le=100_000)
    # Directory of the spool; default: <EGGWATCH_DATA_DIR>/gateway/<config name>/spool
    spool_dir: str | None = None
    client_id: str | None = None
    # "5": the broker says when no subscriber took a message (PUBACK 0x10, e.g. ingest's shared
    # subscription not yet restored after a broker restart); the sender then keeps it spooled.
    mqtt_protocol: Literal["3.1.1", "5"] = "3.1.1"

    @model_validator(mode="after")
    def _spool_holds_batches(self) -> PublishConfig:
        need = 2 * self.batch_size * MAX_READING_BYTES
        if self.spool_max_mb * (1 << 20) < need:
            raise ValueError(
                f"spool_max_mb {self.spool_max_mb:g} cannot hold two full batches of {self.batch_size} "
                f"readings: give at least {need / (1 << 20):.3g} (or a smaller batch_size)"
            )
        return self
