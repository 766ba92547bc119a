"""``eggwatch analytics run``: the live detection + alerting service (docker-compose runs it)."""

from __future__ import annotations

from pathlib import Path

import typer

analytics_app = typer.Typer(help="Live analytics: the detection loop and alerts.", no_args_is_help=True)


@analytics_app.command("run")
def run(
    alerts_config: Path | None = typer.Option(
        None, "--alerts-config", help="alerts YAML (default: EGGWATCH_DATA_DIR/alerts.yaml if present)"
    ),
    park: Path | None = typer.Option(None, "--park", help="park YAML (default: EGGWATCH_DATA_DIR/park.yaml)"),
    once: bool = typer.Option(False, "--once", help="one pass, deliver what is due, exit"),
    metrics_port: int = typer.Option(
        0, "--metrics-port", min=0, max=65535, help="serve Prometheus metrics on this port (0: off)"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Every few minutes: detect on the recent history, update alerts, notify the supervisor on shift."""
    from analytics.alerts.runner import run_service
    from eggwatch.clikit import setup_logging

    setup_logging(verbose, quiet_http=True)  # deliveries are logged by the dispatcher
    run_service(alerts_config, park, once=once, metrics_port=metrics_port)
