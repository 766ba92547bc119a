"""eggwatch.sql: the engine's SQLite database file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from eggwatch.sql import make_engine


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    # It holds the password hashes and the sealed national IDs; SQLite made it 0644, and its
    # -wal and -shm files take the database file's mode.
    db = tmp_path / "eggwatch.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    engine.dispose()
    assert modes["eggwatch.db"] == 0o600 and set(modes.values()) == {0o600}, modes


def test_an_existing_database_file_is_left_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "eggwatch.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    db.chmod(0o640)  # the operator's choice
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    engine.dispose()
    assert db.stat().st_mode & 0o777 == 0o640
    make_engine("sqlite://").dispose()  # in memory: no file
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("eggwatch.db")] == []
