"""The demo's options, validated before anything starts."""

from __future__ import annotations

from dataclasses import dataclass

from eggwatch.settings import ConfigError

DEMO_PASSWORD = "eggwatch-demo"
LOOPBACK = ("127.", "localhost", "::1")
# A park covers world.HORIZON_DAYS (120) from its origin, a day before the history starts: a longer
# history would run past it, with counters frozen (no eggs) up to now and in the live run.
MAX_HISTORY_DAYS = 90


@dataclass(frozen=True)
class DemoOptions:
    history_days: float = 3.0  # days backfilled through the pipeline before going live
    duration_s: float | None = None  # None: until Ctrl-C
    port: int = 8000
    host: str = "127.0.0.1"
    speed: float = 1.0  # live: simulated seconds per wall second until the clock catches up
    seed: int = 1
    houses: int = 6
    backfill_step_s: float = 300.0  # spacing of backfilled readings (live: the devices' poll rates)
    modbus: bool = True  # live readings through firmware stubs + the real serial gateway
    password: str = (
        DEMO_PASSWORD  # the demo logins' password (admin, manager, payroll, poverty, sup-house-NN)
    )

    def __post_init__(self) -> None:
        if not 0 <= self.history_days <= MAX_HISTORY_DAYS:
            raise ConfigError(
                f"--history-days must be between 0 and {MAX_HISTORY_DAYS}, got {self.history_days}"
            )
        if self.duration_s is not None and not self.duration_s > 0:  # NaN too: it would end at once
            raise ConfigError(f"--duration must be positive, got {self.duration_s}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port {self.port} is not a TCP port")
        if not 1 <= self.speed <= 10_000:
            raise ConfigError(f"--speed must be between 1 and 10000, got {self.speed}")
        if not 1 <= self.houses <= 30:
            raise ConfigError(f"--houses must be between 1 and 30, got {self.houses}")
        if not 10 <= self.backfill_step_s <= 3600:
            raise ConfigError(f"--backfill-step must be between 10 and 3600 s, got {self.backfill_step_s}")
        if len(self.password) < 10:
            raise ConfigError("--password must have at least 10 characters")
        if self.password == DEMO_PASSWORD and not self.host.startswith(LOOPBACK):
            # The published demo password is fine on this machine only, never on a network.
            raise ConfigError(f"--host {self.host} exposes the demo logins: choose your own --password")

    @property
    def fast_forward_s(self) -> float:
        """Simulated time replayed at ``speed`` before real time: it ends exactly at the wall clock.

        Readings are stamped with simulated time and never lie in the future, so a faster clock
        must start in the past: with ``--duration D`` it starts ``(speed - 1) × D`` before now
        (and reaches now as the demo ends); without a duration, 6 simulated hours before now.
        """
        if self.speed <= 1:
            return 0.0
        span = (self.speed - 1) * self.duration_s if self.duration_s else 6 * 3600.0
        return min(span, 7 * 86400.0)
