"""Real servers for the tests: a throwaway ``influxd``, and checks for Mosquitto and PostgreSQL.

``influxd`` (InfluxDB 1.x, Debian's package) is started on free loopback ports with its own data
directory and stopped at the end.  Mosquitto and PostgreSQL are started by the machine; a test
that needs one that is not running fails (it never skips).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A free loopback port *below* the kernel's ephemeral range.

    A port from ``bind(0)`` is ephemeral: between this check and the server binding it, the kernel
    may give it to any outgoing connection as its local port (seen once: the demo's own client
    sockets took the port its API was about to listen on).  The kernel never picks ports below the
    range by itself, so one found free there stays free for the server.
    """
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12_000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # the range below is crowded: fall back to an ephemeral port
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def stop_process_group(proc: subprocess.Popen[bytes] | None, grace_s: float = 10.0) -> None:
    """SIGTERM a server started with ``start_new_session=True`` (SIGKILL after ``grace_s``)."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


INFLUXD_CONF = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  cache-max-memory-size = "1g"
[coordinator]
  write-timeout = "10s"
[http]
  enabled = true
  bind-address = "127.0.0.1:{port}"
  auth-enabled = {auth_enabled}
  log-enabled = false
  max-body-size = 0
  max-row-limit = {max_row_limit}
  flux-enabled = false
[logging]
  level = "warn"
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
"""


@dataclass
class Influxd:
    """A running throwaway influxd; ``stop()``/``start()`` let tests simulate an outage."""

    root: Path
    port: int
    rpc_port: int
    proc: subprocess.Popen[bytes] | None = None
    max_row_limit: int = 0  # rows of a non-chunked /query answer (0: no limit; 1.x once had 10,000)
    auth: bool = False  # [http] auth-enabled: make an admin with create_admin() before anything else

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def create(cls, max_row_limit: int = 0, auth: bool = False) -> Influxd:
        exe = shutil.which("influxd")
        if exe is None:
            raise RuntimeError("influxd is not installed: run `make test` (it installs Debian's influxdb)")
        root = Path(tempfile.mkdtemp(prefix="eggwatch-influxd-"))
        return cls(root, free_port(), free_port(), max_row_limit=max_row_limit, auth=auth)

    def start(self, timeout: float = 30.0) -> None:
        conf = self.root / "influxdb.conf"
        conf.write_text(
            INFLUXD_CONF.format(
                root=self.root,
                port=self.port,
                rpc_port=self.rpc_port,
                max_row_limit=self.max_row_limit,
                auth_enabled=str(self.auth).lower(),
            )
        )
        with open(self.root / "influxd.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                ["influxd", "-config", str(conf)], stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"influxd exited: {(self.root / 'influxd.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 204:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("influxd did not answer /ping in time")

    def create_admin(self, user: str, password: str) -> None:
        """The first user of an ``auth`` influxd (it accepts this one statement without credentials)."""
        quoted = password.replace("\\", "\\\\").replace("'", "\\'")
        q = f"CREATE USER {user} WITH PASSWORD '{quoted}' WITH ALL PRIVILEGES"
        r = httpx.post(f"{self.url}/query", data={"q": q}, timeout=10)
        r.raise_for_status()
        assert "error" not in r.text, r.text

    def stop(self) -> None:
        stop_process_group(self.proc)
        self.proc = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


MOSQUITTO = ("127.0.0.1", 1883)
POSTGRES_ADMIN_URL = os.environ.get(
    "EGGWATCH_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def throwaway_database(prefix: str = "eggwatch_t") -> Iterator[str]:
    """A new PostgreSQL database on the machine's server, dropped afterwards: its SQLAlchemy URL."""
    import sqlalchemy as sa  # the servers module is also imported where no database is needed

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
