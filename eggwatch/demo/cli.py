"""``eggwatch demo``."""

from __future__ import annotations

import typer

from eggwatch.demo.options import DEMO_PASSWORD


def demo(
    history_days: float = typer.Option(
        3, "--history-days", help="days of history to backfill first (0: start live right away)"
    ),
    duration: float | None = typer.Option(
        None, "--duration", help="seconds to run live after the backfill (default: until Ctrl-C)"
    ),
    port: int = typer.Option(8000, "--port", help="HTTP port for the API and web page"),
    host: str = typer.Option("127.0.0.1", "--host", help="address the API listens on"),
    speed: float = typer.Option(
        1.0, "--speed", help="replay the last stretch before now K times faster than real time first"
    ),
    seed: int = typer.Option(1, "--seed", help="the simulated park (same seed, same park)"),
    houses: int = typer.Option(6, "--houses", help="number of simulated houses (50,000 hens each)"),
    backfill_step: float = typer.Option(300, "--backfill-step", help="seconds between backfilled readings"),
    modbus: bool = typer.Option(
        True, "--modbus/--no-modbus", help="live readings via Modbus stubs and the serial gateway"
    ),
    password: str = typer.Option(DEMO_PASSWORD, "--password", help="password of the seeded demo logins"),
) -> None:
    """The whole park in one command: simulated devices to gateways, ingest, detector, API and web page."""
    from eggwatch.clikit import setup_logging
    from eggwatch.demo.options import DemoOptions
    from eggwatch.demo.runner import run

    setup_logging()
    opts = DemoOptions(
        history_days=history_days,
        duration_s=duration,
        port=port,
        host=host,
        speed=speed,
        seed=seed,
        houses=houses,
        backfill_step_s=backfill_step,
        modbus=modbus,
        password=password,
    )
    run(opts)
