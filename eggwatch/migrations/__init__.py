"""The one Alembic history of the SQL database (workforce tables, then alerts), shipped in the package.

The configuration that ``alembic.ini`` would hold is built in code, so ``eggwatch db upgrade``
works from an installed copy: ``upgrade(url)`` applies every revision up to head.  Revisions that
re-seal encrypted fields (0004) read the secret key from ``config.attributes["secret_key"]``
(``upgrade(url, secret_key=...)``); without it they refuse when there is something to re-seal.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from eggwatch.settings import ConfigError

HERE = Path(__file__).resolve().parent


def alembic_config(url: str, secret_key: bytes | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    # One location, split the OS way: the legacy splitting on spaces would cut a path holding one.
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(HERE / "versions"))
    # ConfigParser interpolation would choke on "%" in URL-encoded passwords.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["database_url"] = url
    cfg.attributes["secret_key"] = secret_key  # in memory only, never in the INI options
    return cfg


class UnknownRevision(ConfigError):
    """The database is at a revision this eggwatch does not ship: a newer version migrated it."""


def upgrade(url: str, revision: str = "head", *, secret_key: bytes | None = None) -> None:
    """Apply the migrations up to ``revision`` (idempotent).  ``secret_key``: the settings' key,
    needed only when sealed fields must be re-sealed (a database with workers from before 0004)."""
    _make_sqlite_dir(url)
    refuse_unknown(url)
    command.upgrade(alembic_config(url, secret_key), revision)


def refuse_unknown(url: str) -> None:
    """Raise ``UnknownRevision`` (one line for the operator) when a newer eggwatch migrated the
    database: Alembic's own error was a traceback from `eggwatch api`, "Can't locate revision"."""
    from alembic.script import ScriptDirectory

    at = current(url)
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    if at is not None and at not in {rev.revision for rev in script.walk_revisions()}:
        raise UnknownRevision(
            f"the database is at revision {at}, which this eggwatch does not know (a newer version "
            f"migrated it; this one knows up to {script.get_current_head()}): run the newer eggwatch"
        )


def _make_sqlite_dir(url: str) -> None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)


def downgrade(url: str, revision: str, *, secret_key: bytes | None = None) -> None:
    command.downgrade(alembic_config(url, secret_key), revision)


def head() -> str:
    """The newest revision of the shipped history."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from eggwatch.sql import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
