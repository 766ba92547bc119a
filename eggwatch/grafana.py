"""``eggwatch dashboards push``: upload the dashboards with grafana-client."""

from __future__ import annotations

import typer

from eggwatch.clikit import NotImplementedYet

dashboards_app = typer.Typer(help="Grafana dashboards.", no_args_is_help=True)


@dashboards_app.command("push")
def push(
    url: str = typer.Option(..., "--url", help="Grafana base URL"),
    token: str = typer.Option(..., "--token", help="Grafana service-account token"),
) -> None:
    """Upload the dashboards in dashboards/ to a Grafana that does not use file provisioning."""
    raise NotImplementedYet("eggwatch dashboards push")
