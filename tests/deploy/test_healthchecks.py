"""docker-compose.yml's healthcheck commands, run as written against a REAL server (ours, on a free
port): a store must report healthy only when the services that wait for it can connect."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.test_compose import SERVICES
from tests.support.servers import free_port, port_open

pytestmark = pytest.mark.integration


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class Cluster:
    root: Path
    port: int
    bindir: Path

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    def start(self, listen: str) -> None:
        """``listen=''`` is the image's first-start server (initdb-d scripts): Unix socket only."""
        opts = f"-p {self.port} -k {self.socket_dir} -c listen_addresses='{listen}'"
        log = str(self.root / "run" / "postgres.log")  # not our pipe: the server outlives pg_ctl
        cmd = [
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.root / "data"),
            "-l",
            log,
            "-w",
            "-o",
            opts,
            "start",
        ]
        r = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, cwd=self.root, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr

    def stop(self) -> None:
        cmd = [str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "-w", "stop"]
        subprocess.run(_as_postgres(cmd), capture_output=True, cwd=self.root, timeout=60)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    bindir = Path(subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip())
    root = Path(tempfile.mkdtemp(prefix="eggwatch-pg-"))
    (root / "run").mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(root / "run", "postgres")
    initdb = [
        str(bindir / "initdb"),
        "-D",
        str(root / "data"),
        "-U",
        "eggwatch",
        "--auth=trust",
        "-E",
        "UTF8",
    ]
    r = subprocess.run(_as_postgres(initdb), capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr
    c = Cluster(root, free_port(), bindir)
    try:
        yield c
    finally:
        c.stop()
        shutil.rmtree(root, ignore_errors=True)


def postgres_healthcheck(cluster: Cluster) -> int:
    """The compose healthcheck, in a shell as Docker runs CMD-SHELL, with the container's
    environment: the image's variables, and libpq's default socket (PGHOST) and port (PGPORT)."""
    kind, command = SERVICES["postgres"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    env = {
        "PATH": os.environ["PATH"],
        "POSTGRES_USER": "eggwatch",
        "POSTGRES_DB": "postgres",
        "PGHOST": str(cluster.socket_dir),
        "PGPORT": str(cluster.port),
    }
    return subprocess.run(["sh", "-c", command.replace("$$", "$")], env=env, capture_output=True).returncode


def test_postgres_is_healthy_only_when_it_takes_tcp_connections(cluster: Cluster) -> None:
    # On a new volume the image first runs a server on its Unix socket only (for the initdb-d
    # scripts), stops it and starts the real one.  db-migrate connects over TCP and does not
    # retry: "healthy" during that first server made it fail, and the API never started.
    cluster.start(listen="")
    try:
        assert not port_open("127.0.0.1", cluster.port)
        assert postgres_healthcheck(cluster) != 0
    finally:
        cluster.stop()
    cluster.start(listen="127.0.0.1")
    deadline = time.monotonic() + 10
    while postgres_healthcheck(cluster) != 0:
        assert time.monotonic() < deadline, "the healthcheck never passed on the real server"
        time.sleep(0.1)
    assert port_open("127.0.0.1", cluster.port)
