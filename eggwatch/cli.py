"""The ``eggwatch`` command (CONTRACTS §4): one entry point, one sub-command per component.

Each component keeps its command in its own thin ``cli.py`` (options only, heavy imports inside
the function), so ``eggwatch --help`` stays fast and every component owns its own options.
"""

from __future__ import annotations

import sys

import typer

from analytics.alerts.cli import analytics_app
from analytics.cli import detect, evaluate
from api.cli import api, db_app, users_app
from eggwatch.clikit import fail, outside_failure
from eggwatch.demo.cli import demo
from eggwatch.grafana import dashboards_app
from eggwatch.settings import ConfigError
from gateway.cli import gateway_app
from ingest.cli import ingest

app = typer.Typer(
    name="eggwatch",
    help="Egg-production monitoring: gateways, ingest, laying-drop detection, workforce API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest)
app.add_typer(gateway_app, name="gateway")
app.command("detect")(detect)
app.command("evaluate")(evaluate)
app.add_typer(analytics_app, name="analytics")
app.command("demo")(demo)
app.command("api")(api)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

app.add_typer(dashboards_app, name="dashboards")


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        fail(f"configuration: {exc}")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        reason = outside_failure(exc)  # an unreachable or misnamed server: one line (CONTRACTS §4)
        if reason is None:
            raise
        fail(reason, code=1)


if __name__ == "__main__":  # pragma: no cover
    main()
