"""``eggwatch demo``."""

from __future__ import annotations

import typer

from eggwatch.clikit import NotImplementedYet


def demo(
    history_days: int = typer.Option(0, "--history-days", help="days of history to backfill first"),
    duration: float | None = typer.Option(None, "--duration", help="seconds to run (default: until Ctrl-C)"),
    port: int = typer.Option(8000, "--port", help="HTTP port for the API and web page"),
) -> None:
    """The whole park in one command: simulated devices to gateways, ingest, detector, API and web page."""
    raise NotImplementedYet("eggwatch demo")
