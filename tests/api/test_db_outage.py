"""The API while its PostgreSQL is unreachable (restarting): a JSON 503, never a 500, and it
recovers by itself once the server is back (pool pre-ping)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from eggwatch.migrations import upgrade
from eggwatch.sql import CONNECT_TIMEOUT_S
from tests.api.conftest import PASSWORD, Api, make_api
from tests.support.tcprelay import TcpRelay

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def api_behind_a_relay(pg_url: str, tmp_path: Path, site: str) -> Iterator[tuple[Api, TcpRelay]]:
    """The API on a migrated database, reaching PostgreSQL through a relay the test can cut."""
    upgrade(pg_url)
    server = make_url(pg_url)
    relay = TcpRelay(str(server.host), int(server.port or 5432))
    try:
        api = make_api(server.set(port=relay.port).render_as_string(hide_password=False), tmp_path, site)
        with api.client:
            yield api, relay
    finally:
        relay.close()


def test_a_database_outage_is_a_503_and_the_api_recovers(pg_url: str, tmp_path: Path, site: str) -> None:
    with api_behind_a_relay(pg_url, tmp_path, site) as (api, relay):
        assert api.get("admin", "/api/v1/workers").status_code == 200

        relay.cut()  # every pooled connection dies, new ones are refused
        for method, path, kw in (
            ("GET", "/api/v1/workers", {"headers": api.as_("admin")}),
            ("GET", "/api/v1/households", {"headers": api.as_("admin")}),
            ("POST", "/api/v1/auth/token", {"data": {"username": "admin", "password": PASSWORD}}),
        ):
            r = api.client.request(method, path, **kw)  # type: ignore[arg-type]
            assert r.status_code == 503, (path, r.status_code, r.text)
            assert "database" in r.json()["detail"]

        relay.restore()
        assert api.get("admin", "/api/v1/workers").status_code == 200


def test_a_server_that_never_answers_is_a_503_not_a_hang(pg_url: str, tmp_path: Path, site: str) -> None:
    # A connection the server accepts and never answers (a hung server; a host gone away waits out
    # the SYN retries, about two minutes, the same way): the request waited forever.
    with api_behind_a_relay(pg_url, tmp_path, site) as (api, relay):
        relay.cut()  # the pooled connections die...
        relay.hold = True  # ...and new ones hang
        relay.restore()
        answer: list[int] = []
        worker = threading.Thread(
            target=lambda: answer.append(api.get("admin", "/api/v1/workers").status_code), daemon=True
        )
        started = time.monotonic()
        worker.start()
        worker.join(CONNECT_TIMEOUT_S + 20)
        assert answer == [503], f"no answer after {time.monotonic() - started:.0f} s"
        relay.cut()
        relay.hold = False
        relay.restore()
        assert api.get("admin", "/api/v1/workers").status_code == 200
