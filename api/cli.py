"""``eggwatch api``, ``eggwatch db upgrade``, ``eggwatch users create``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

db_app = typer.Typer(help="Workforce database.", no_args_is_help=True)
users_app = typer.Typer(help="Logins.", no_args_is_help=True)


def api(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    migrate: bool = typer.Option(True, "--migrate/--no-migrate", help="apply migrations before serving"),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="uvicorn worker processes"),
) -> None:
    """Serve the HTTP API and the web page."""
    import uvicorn

    from api.config import load_api_config
    from eggwatch.clikit import check_port, setup_logging
    from eggwatch.migrations import upgrade as apply
    from eggwatch.settings import load_settings

    setup_logging()
    settings = load_settings()
    load_api_config()  # refuse bad pay/token settings before serving
    secret_key = settings.secret_key  # generate or validate the key now, not on the first request
    if migrate:
        apply(settings.sql_url, secret_key=secret_key)
    else:
        _check_migrated(settings.sql_url)
    check_port(host, port)
    if workers > 1:
        uvicorn.run(
            "api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info"
        )
    else:
        from api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def _check_migrated(url: str) -> None:
    """With --no-migrate, a database short of the newest revision is refused at start: served, it
    answered every login with a 500 (no such table)."""
    from eggwatch.clikit import fail
    from eggwatch.migrations import current, head, refuse_unknown

    refuse_unknown(url)  # a newer revision: `eggwatch db upgrade` would not help
    at, newest = current(url), head()
    if at != newest:
        fail(f"the database is at {at or 'no revision'}, not {newest}: run `eggwatch db upgrade` first")


@db_app.command("upgrade")
def upgrade(revision: str = typer.Option("head", "--revision")) -> None:
    """Apply the Alembic migrations to EGGWATCH_DATABASE_URL."""
    from eggwatch.clikit import fail
    from eggwatch.migrations import current
    from eggwatch.migrations import upgrade as apply
    from eggwatch.settings import load_settings

    settings = load_settings()
    try:
        apply(settings.sql_url, revision, secret_key=settings.configured_secret_key())
    except Exception as exc:  # unreachable server, bad URL: one line, non-zero exit
        fail(f"db upgrade failed: {str(exc).splitlines()[0]}")
    typer.echo(f"database at revision {current(settings.sql_url)}")


def _check_units(session: Session, units: list[str]) -> None:
    """A unit must be one of the park's locations once there are any (a typo would link a supervisor
    to nothing); before the locations exist, logins may still be made, with a warning."""
    from sqlalchemy import func, select

    from api.models import Location

    if not units:
        return
    if not session.scalar(select(func.count()).select_from(Location)):
        typer.echo(
            f"warning: no locations yet, unit(s) {', '.join(sorted(set(units)))} not checked", err=True
        )
        return
    known = set(session.scalars(select(Location.unit).where(Location.unit.in_(set(units)))))
    unknown = sorted(set(units) - known)
    if unknown:
        raise ValueError(f"unknown unit(s) {', '.join(unknown)}: create the location first (POST /locations)")


@users_app.command("create")
def create(
    username: str = typer.Option(..., "--username"),
    role: str = typer.Option(..., "--role", help="admin|manager|supervisor|payroll|poverty_office"),
    password: str = typer.Option(..., "--password"),
    unit: list[str] = typer.Option([], "--unit", help="a unit a supervisor oversees (repeatable)"),
    worker_id: int | None = typer.Option(None, "--worker-id", help="link the login to a worker record"),
) -> None:
    """Create a login."""
    from api.models import Worker
    from api.security import MAX_ID
    from api.services.users import create_user
    from eggwatch.clikit import fail
    from eggwatch.settings import load_settings
    from eggwatch.sql import make_engine, make_sessionmaker

    settings = load_settings()
    engine = make_engine(settings.sql_url)
    try:
        with make_sessionmaker(engine)() as session:
            # Keys are 32-bit: a larger id names no worker (and the database would refuse it).
            if worker_id is not None and (
                not 0 < worker_id <= MAX_ID or session.get(Worker, worker_id) is None
            ):
                raise ValueError(
                    f"no worker with id {worker_id}: create the worker first (POST /api/v1/workers)"
                )
            _check_units(session, unit)
            user = create_user(session, username, role, password, units=unit, worker_id=worker_id)
            session.commit()
            typer.echo(f"created user {user.username} (id {user.id}, role {user.role})")
    except ValueError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"users create failed: {str(exc).splitlines()[0]} (did you run `eggwatch db upgrade`?)")
    finally:
        engine.dispose()
