"""Bad configuration gives one clear line and a non-zero exit, never a traceback (CONTRACTS §4):
a misspelt database URL, a database or Grafana that does not answer, a login for a worker that
does not exist, and a one-shot detection pass that could not read its data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import free_port

EGGWATCH = [sys.executable, "-m", "eggwatch.cli"]
PARK = Path(__file__).resolve().parents[2] / "deploy" / "eggwatch" / "park.yaml"


def eggwatch(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EGGWATCH, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def one_line_error(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode != 0, r.stdout
    assert "Traceback" not in r.stderr, r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("eggwatch: error: ")]
    assert len(errors) == 1, r.stderr
    assert all(w in errors[0] for w in words), errors[0]


@pytest.mark.parametrize(
    "args",
    [
        ["users", "create", "--username", "u1", "--role", "manager", "--password", "a-long-password"],
        ["api", "--port", "1"],
        ["demo", "--duration", "1", "--port", "1"],
        ["analytics", "run", "--once"],
    ],
    ids=["users", "api", "demo", "analytics"],
)
def test_a_misspelt_database_url(args: list[str], data_dir: Path) -> None:
    one_line_error(
        eggwatch(args, EGGWATCH_DATABASE_URL="postgres-ql://x@127.0.0.1/db"), "EGGWATCH_DATABASE_URL"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["users", "create", "--username", "u1", "--role", "manager", "--password", "a-long-password"],
        ["api", "--port", "1"],
        ["db", "upgrade"],
    ],
    ids=["users", "api", "db"],
)
def test_a_database_url_whose_driver_is_not_installed(args: list[str], data_dir: Path) -> None:
    # A valid dialect whose driver is missing: the dialect alone passed, then the first connect
    # failed with ModuleNotFoundError (a traceback from `users create` and `api`).
    url = "mysql+mysqldb://u@127.0.0.1/db"
    one_line_error(eggwatch(args, EGGWATCH_DATABASE_URL=url), "EGGWATCH_DATABASE_URL", "MySQLdb")


@pytest.mark.parametrize(
    "args",
    [["api", "--port", "1"], ["analytics", "run", "--once", "--park", str(PARK)]],
    ids=["api", "analytics"],
)
def test_a_database_that_does_not_answer(args: list[str], data_dir: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/eggwatch"
    one_line_error(eggwatch(args, EGGWATCH_DATABASE_URL=url), "database", "refused")


def test_grafana_that_does_not_answer_or_no_url(data_dir: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    one_line_error(eggwatch(["dashboards", "push", "--url", down, "--token", "t"]), "unreachable")
    one_line_error(eggwatch(["dashboards", "push", "--url", "grafana:3000", "--token", "t"]), "--url")


def test_a_login_for_a_worker_that_does_not_exist(data_dir: Path) -> None:
    assert eggwatch(["db", "upgrade"]).returncode == 0
    create = ["users", "create", "--username", "w7", "--role", "manager", "--password", "a-long-password"]
    one_line_error(eggwatch([*create, "--worker-id", "7"]), "no worker with id 7")
    # Beyond the 32-bit keys: the database refused the lookup ("Python int too large to convert
    # to SQLite INTEGER ... did you run `eggwatch db upgrade`?"), not the missing worker.
    big = str(2**63)
    one_line_error(eggwatch([*create, "--worker-id", big]), f"no worker with id {big}")


def test_a_supervisor_for_a_unit_the_park_does_not_have(data_dir: Path) -> None:
    """Before the park's locations exist a unit is taken with a warning; after, a typo is refused."""
    import sqlite3

    from eggwatch.settings import load_settings

    assert eggwatch(["db", "upgrade"]).returncode == 0
    create = ["users", "create", "--role", "supervisor", "--password", "a-long-password"]
    early = eggwatch([*create, "--username", "s1", "--unit", "house-03"])
    assert early.returncode == 0 and "no locations yet, unit(s) house-03 not checked" in early.stderr
    db = str(load_settings().sql_url).removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO locations (unit, kind, name) VALUES ('house-03', 'house', 'H3')")
    one_line_error(eggwatch([*create, "--username", "s2", "--unit", "house-30"]), "unknown unit(s) house-30")
    ok = eggwatch([*create, "--username", "s3", "--unit", "house-03"])
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr


def test_a_one_shot_pass_that_cannot_read_its_data_fails(data_dir: Path) -> None:
    assert eggwatch(["db", "upgrade"]).returncode == 0
    down = f"http://127.0.0.1:{free_port()}"
    r = eggwatch(["analytics", "run", "--once", "--park", str(PARK)], EGGWATCH_INFLUX_URL=down)
    one_line_error(r, "detection pass failed")
    assert r.returncode == 1


def test_a_busy_metrics_port(data_dir: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        config = str(PARK.parents[1] / "gateway" / "serial.yaml")
        one_line_error(
            eggwatch(["gateway", "serial", "--config", config, "--metrics-port", port]), port, "in use"
        )


def test_a_busy_api_port(data_dir: Path) -> None:
    # uvicorn's own "ERROR: [Errno 98] error while attempting to bind ..." and exit 3 were all it said.
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        one_line_error(eggwatch(["api", "--port", port]), port, "in use", "--port")


@pytest.mark.parametrize(
    "args",
    [["ingest", "--client-id", "cli-data-dir", "--site", "nosuchsite"], ["api", "--port", "1"]],
    ids=["ingest", "api"],
)
def test_a_data_dir_that_cannot_be_used(args: list[str], data_dir: Path) -> None:
    # EGGWATCH_DATA_DIR naming a file (or a path that cannot be made) was a FileNotFoundError /
    # NotADirectoryError traceback from the first mkdir.
    not_a_dir = data_dir / "file"
    not_a_dir.write_text("")
    # (`api` first makes its secret key there: that error says so, in its own words)
    one_line_error(eggwatch(args, EGGWATCH_DATA_DIR=str(not_a_dir)), str(not_a_dir), "ot a directory")


def test_a_data_dir_where_the_secret_key_cannot_be_made(data_dir: Path) -> None:
    # No EGGWATCH_SECRET_KEY: the key is generated into the data dir, which here is a file.  That
    # was an OSError traceback from `eggwatch api`.
    not_a_dir = data_dir / "not-a-dir"
    not_a_dir.write_text("")
    env = {"EGGWATCH_DATA_DIR": str(not_a_dir), "EGGWATCH_DATABASE_URL": f"sqlite:///{data_dir / 'w.db'}"}
    one_line_error(eggwatch(["api", "--port", "1"], **env), "EGGWATCH_DATA_DIR", "secret key")
