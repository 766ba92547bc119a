"""``eggwatch api``, ``eggwatch db upgrade``, ``eggwatch users create``."""

from __future__ import annotations

import typer

from eggwatch.clikit import NotImplementedYet

db_app = typer.Typer(help="Workforce database.", no_args_is_help=True)
users_app = typer.Typer(help="Logins.", no_args_is_help=True)


def api(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Serve the HTTP API and the web page."""
    raise NotImplementedYet("eggwatch api")


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply the Alembic migrations to EGGWATCH_DATABASE_URL."""
    raise NotImplementedYet("eggwatch db upgrade")


@users_app.command("create")
def create(
    username: str = typer.Option(..., "--username"),
    role: str = typer.Option(..., "--role", help="admin|manager|supervisor|payroll|poverty_office"),
    password: str = typer.Option(..., "--password"),
) -> None:
    """Create a login."""
    raise NotImplementedYet("eggwatch users create")
