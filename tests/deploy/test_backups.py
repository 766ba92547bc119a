"""deploy/README.md's InfluxDB backup and restore commands, run as written (less `docker compose
exec influxdb`) against a REAL influxd with auth on, set up as the influxdb image sets it up:
after the telemetry is lost, the live database holds every point again, with its tags."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import Influxd

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "deploy" / "README.md"
ADMIN = ("admin", "admin-secret-0123456789")
USERS = {"eggwatch": "writer-secret-0123456789", "grafana": "reader-secret-0123456789"}


def readme_influx_commands(section: str) -> list[str]:
    """The README's `docker compose exec ... influxdb` lines under ``section``, run natively."""
    text = README.read_text().split(f"## {section}")[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    prefix = re.compile(r"^docker compose exec (?:-T )?influxdb ")
    return [prefix.sub("", line) for line in lines if prefix.match(line)]


def query(server: Influxd, q: str, auth: tuple[str, str] = ADMIN, db: str = "eggwatch") -> dict:
    r = httpx.post(f"{server.url}/query", params={"db": db}, data={"q": q}, auth=auth, timeout=30)
    return r.json()["results"][0]  # type: ignore[no-any-return]


def image_first_start(server: Influxd) -> None:
    """What influxdb:1.x's init-influxdb.sh does on an empty volume (docker-compose.yml's env)."""
    query(server, "CREATE DATABASE eggwatch")
    for user, password in USERS.items():
        query(server, f"CREATE USER {user} WITH PASSWORD '{password}'")
    query(server, "GRANT ALL ON eggwatch TO eggwatch")
    query(server, "GRANT READ ON eggwatch TO grafana")


@pytest.fixture
def server() -> Iterator[Influxd]:
    s = Influxd.create(auth=True)
    s.start()
    s.create_admin(*ADMIN)
    try:
        yield s
    finally:
        s.destroy()


def shims(server: Influxd, where: Path) -> dict[str, str]:
    """The container's environment; `influx` and `influxd` find this server's non-default ports."""
    where.mkdir()
    for exe, flags in {
        "influx": f"-host 127.0.0.1 -port {server.port}",
        "influxd": f"-host 127.0.0.1:{server.rpc_port}",
    }.items():
        real = subprocess.run(
            ["sh", "-c", f"command -v {exe}"], capture_output=True, text=True
        ).stdout.strip()
        assert real, f"{exe} is not installed (scripts/install-test-services.sh installs it)"
        # influxd's sub-command comes first: `influxd backup -host ...`
        args = f'"$1" {flags} "${{@:2}}"' if exe == "influxd" else f'{flags} "$@"'
        (where / exe).write_text(f"#!/bin/bash\nexec {real} {args}\n")
        (where / exe).chmod(0o755)
    return {
        "PATH": f"{where}:{os.environ['PATH']}",
        "INFLUXDB_DB": "eggwatch",
        "INFLUXDB_ADMIN_USER": ADMIN[0],
        "INFLUXDB_ADMIN_PASSWORD": ADMIN[1],
    }


def run(commands: list[str], env: dict[str, str], cwd: Path) -> None:
    today = dt.date.today().isoformat()
    for command in commands:
        line = re.sub(r"\d{4}-\d{2}-\d{2}", today, command).replace("/tmp", str(cwd / "container-tmp"))
        r = subprocess.run(
            ["bash", "-c", line], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 0, (line, r.stdout, r.stderr)


def test_readme_backup_then_restore_brings_the_lost_telemetry_back(server: Influxd, tmp_path: Path) -> None:
    image_first_start(server)
    # Two houses at the same instants: only tags tell their series apart.
    lines = [
        f"temp_c,site=jinji,unit=house-0{u},device=climate-1 value={20 + u + k / 10} {1764316800 + 60 * k}"
        for u in (1, 2)
        for k in range(50)
    ]
    r = httpx.post(
        f"{server.url}/write",
        params={"db": "eggwatch", "precision": "s"},
        content="\n".join(lines),
        auth=("eggwatch", USERS["eggwatch"]),
    )
    assert r.status_code == 204, r.text
    env = shims(server, tmp_path / "bin")
    (tmp_path / "backups").mkdir()
    (tmp_path / "container-tmp").mkdir()
    commands = readme_influx_commands("Backups")
    restore = [c for c in commands if "-xz" in c or "restore" in c or "influx -" in c]
    run([c for c in commands if c not in restore], env, tmp_path)
    assert list((tmp_path / "backups").glob("influx-*.tgz"))

    # The telemetry is lost: a new volume, set up again by the image on its first start.
    query(server, "DROP DATABASE eggwatch")
    image_first_start(server)
    run(restore, env, tmp_path)

    reader = ("grafana", USERS["grafana"])
    per_house = query(server, 'SELECT count("value") FROM temp_c GROUP BY "unit"', auth=reader)
    counts = {s["tags"]["unit"]: s["values"][0][1] for s in per_house.get("series", [])}
    assert counts == {"house-01": 50, "house-02": 50}, per_house
    keys = query(server, "SHOW TAG KEYS FROM temp_c")["series"][0]["values"]
    assert sorted(k[0] for k in keys) == ["device", "site", "unit"]
    assert "eggwatch_restored" not in str(query(server, "SHOW DATABASES"))
