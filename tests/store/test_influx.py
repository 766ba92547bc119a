"""InfluxDB-only behaviour: database creation, partial writes to dead letters, outages, credentials (also against an influxd with auth)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import httpx
import orjson
import pytest

from eggwatch.deadletter import DeadLetters
from eggwatch.store.base import Point, Query
from eggwatch.store.errors import StoreCredentialsRefused, StoreRejected, StoreServerError, StoreUnavailable
from eggwatch.store.influx import InfluxStore, default_gzip_level
from eggwatch.store.influxql import merge_chunks
from eggwatch.wire import Reading, _new_reading
from tests.support.faultproxy import FaultProxy
from tests.support.servers import Influxd, free_port

pytestmark = pytest.mark.integration

T0 = 1_764_316_800_000


Stores = Callable[..., InfluxStore]


@pytest.fixture
def stores() -> Iterator[Stores]:
    """``InfluxStore(...)`` that closes each store (its keep-alive connections) after the test."""
    opened: list[InfluxStore] = []

    def make(*args: object, **kwargs: object) -> InfluxStore:
        opened.append(InfluxStore(*args, **kwargs))  # type: ignore[arg-type]
        return opened[-1]

    yield make
    for store in opened:
        store.close()


def raw_write(influxd: Influxd, db: str, body: str) -> None:
    r = httpx.post(f"{influxd.url}/write", params={"db": db, "precision": "ms"}, content=body)
    assert r.status_code == 204, r.text


def test_creates_database_on_first_write(influxd: Influxd, influx_db: str, site: str, stores: Stores) -> None:
    store = stores(influxd.url, influx_db)  # no ensure_ready: the 404 makes it create the db
    store.write([Point(site, "h", "d", Reading(T0, "temp_c", 1.0))])
    assert store.query(Query("temp_c", site, T0, T0 + 1))[0].values.tolist() == [1.0]


def test_unparsable_lines_go_to_dead_letters_rest_lands(
    influxd: Influxd, influx_db: str, site: str, tmp_path: Path, stores: Stores
) -> None:
    dl = DeadLetters(tmp_path / "dead.jsonl")
    store = stores(influxd.url, influx_db, dead_letters=dl)
    store.ensure_ready()
    good = [f"temp_c,device=d,site={site},unit=h value={i}.5 {T0 + i}" for i in range(10)]
    lines = [*good[:5], "garbage line here", *good[5:], "temp_c,site=x value= 1"]
    result = store.write_lines(lines)
    assert result.written == 10
    assert [line for line, _ in result.rejected] == ["garbage line here", "temp_c,site=x value= 1"]
    assert all("invalid" in reason or "missing" in reason for _, reason in result.rejected)
    assert len(store.query(Query("temp_c", site, T0, T0 + 100))[0].ts) == 10


def test_type_conflict_refuses_the_measurement_at_once(
    influxd: Influxd, influx_db: str, site: str, tmp_path: Path, stores: Stores
) -> None:
    dl = DeadLetters(tmp_path / "dead.jsonl")
    store = stores(influxd.url, influx_db, dead_letters=dl)
    store.ensure_ready()
    # someone else wrote eggs_total as a float field before us: our integer points conflict
    raw_write(influxd, influx_db, f"eggs_total,site={site},unit=h,device=other value=1 {T0}")
    pts = [Point(site, "h", "d", Reading(T0 + i, "temp_c", float(i))) for i in range(7)]
    pts.insert(3, Point(site, "h", "d", Reading(T0, "eggs_total", 5)))
    store.write(pts)  # does not raise: the refused point is dead-lettered with the server's reason
    dl.close()
    [row] = [orjson.loads(x) for x in (tmp_path / "dead.jsonl").read_bytes().splitlines()]
    assert row["reason"] == "influx_rejected" and "field type conflict" in row["detail"]
    assert row["payload"].startswith("eggs_total,")
    assert len(store.query(Query("temp_c", site, T0, T0 + 100))[0].ts) == 7
    # without a dead-letter file the refusal is raised, never hidden
    with pytest.raises(StoreRejected):
        stores(influxd.url, influx_db).write(pts)


def test_unencodable_tag_is_refused_others_land(
    influxd: Influxd, influx_db: str, site: str, tmp_path: Path, stores: Stores
) -> None:
    dl = DeadLetters(tmp_path / "dead.jsonl")
    store = stores(influxd.url, influx_db, dead_letters=dl)
    store.ensure_ready()
    store.write(
        [
            # The wire format refuses backslashes; the store still defends itself against them.
            Point(site, "h", "d", _new_reading(T0, "temp_c", 1.0, {"probe": "a\\"})),
            Point(site, "h", "d", Reading(T0, "temp_c", 2.0, {"probe": "b"})),
        ]
    )
    assert dl.counts["influx_rejected"] == 1
    assert store.query(Query("temp_c", site, T0, T0 + 1))[0].values.tolist() == [2.0]


def test_unreachable_influx_raises_store_unavailable_after_retries(stores: Stores) -> None:
    store = stores(f"http://127.0.0.1:{free_port()}", "x", retry_for_s=0.5)
    t = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.write_lines(["temp_c value=1 1"])
    assert 0.3 < time.monotonic() - t < 5
    with pytest.raises(StoreUnavailable):
        store.ensure_ready()


def test_credentials_are_sent(influxd: Influxd, influx_db: str, stores: Stores) -> None:
    # influxd runs without auth: it ignores credentials, but they must be well formed and sent
    seen: list[httpx.Request] = []
    store = stores(influxd.url, influx_db, username="ingest", password="p w", gzip_level=1)
    store._http.event_hooks["request"] = [seen.append]
    store.ensure_ready()
    basic = "Basic " + base64.b64encode(b"ingest:p w").decode()
    assert seen[-1].headers["authorization"] == basic and "p" not in seen[-1].url.params
    store.write_lines(["temp_c,site=s value=1 1"])
    assert seen[-1].headers["authorization"] == basic and "p" not in seen[-1].url.params
    assert seen[-1].headers["content-encoding"] == "gzip"
    tok = stores(influxd.url, influx_db, token="abc")
    tok._http.event_hooks["request"] = [seen.append]
    tok.write_lines(["temp_c,site=s value=1 1"])
    assert seen[-1].headers["authorization"] == "Token abc"
    assert "content-encoding" not in seen[-1].headers  # loopback: not compressed by default


@pytest.fixture(scope="module")
def influxd_auth() -> Iterator[Influxd]:
    """An influxd with ``auth-enabled = true`` and one admin, ``ingest`` / ``ADMIN_PASSWORD``."""
    server = Influxd.create(auth=True)
    try:
        server.start()
        server.create_admin("ingest", ADMIN_PASSWORD)
        yield server
    finally:
        server.destroy()


ADMIN_PASSWORD = "p@ss w%rd:'x"


def test_user_and_password_work_against_an_influxd_with_auth(
    influxd_auth: Influxd, site: str, stores: Stores
) -> None:
    # 1.x reads credentials from the URL (u, p) or the Authorization header, never from a form
    # body: /query (CREATE DATABASE, every SELECT) answered 401 and the database never existed.
    seen: list[httpx.Request] = []
    store = stores(influxd_auth.url, f"auth_{site}", username="ingest", password=ADMIN_PASSWORD)
    store._http.event_hooks["request"] = [seen.append]
    store.write([Point(site, "h", "d", Reading(T0, "temp_c", 1.0))])  # creates the database
    assert store.query(Query("temp_c", site, T0, T0 + 1))[0].values.tolist() == [1.0]
    assert all(ADMIN_PASSWORD not in unquote_plus(str(r.url)) for r in seen)  # not in logged URLs
    wrong = stores(influxd_auth.url, f"auth_{site}", username="ingest", password="nope", retry_for_s=0.2)
    with pytest.raises(StoreUnavailable, match="credentials") as refused:
        wrong.write_lines(["temp_c,site=s value=1 1"])
    assert str(refused.value) == "InfluxDB refused our credentials: authorization failed"  # one line


def test_refused_credentials_fail_at_start_a_user_without_admin_does_not(
    influxd_auth: Influxd, site: str, stores: Stores
) -> None:
    """A wrong password (or none) made ingest warn "cannot create database" and spool for ever.
    1.x's 401 for refused credentials now fails ensure_ready; a user who may write but not CREATE
    DATABASE (403) still starts, as does a 2.x token refused only that statement."""
    db = f"auth_{site}_w"
    for password in ("nope", None):
        wrong = stores(influxd_auth.url, db, username="ingest" if password else None, password=password)
        with pytest.raises(StoreCredentialsRefused, match="EGGWATCH_INFLUX_PASSWORD"):
            wrong.ensure_ready()
    admin = stores(influxd_auth.url, db, username="ingest", password=ADMIN_PASSWORD)
    admin.ensure_ready()
    for q in ("CREATE USER writer WITH PASSWORD 'w-pass-123'", f'GRANT WRITE ON "{db}" TO writer'):
        assert "error" not in admin._post_query(q).text
    writer = stores(influxd_auth.url, db, username="writer", password="w-pass-123")
    writer.ensure_ready()  # 403 on CREATE DATABASE: a warning, the database is assumed to exist
    writer.write([Point(site, "h", "d", Reading(T0, "temp_c", 1.0))])
    assert admin.query(Query("temp_c", site, T0, T0 + 1))[0].values.tolist() == [1.0]


def test_gzip_only_across_a_network(stores: Stores) -> None:
    assert default_gzip_level("http://127.0.0.1:8086") == 0
    assert default_gzip_level("http://localhost:8086/") == 0
    assert default_gzip_level("http://[::1]:8086") == 0
    assert default_gzip_level("https://influx.example.com") == 1
    assert default_gzip_level("http://10.0.0.5:8086") == 1
    assert stores("http://10.0.0.5:8086", "x").gzip_level == 1
    assert stores("http://127.0.0.1:8086", "x", gzip_level=6).gzip_level == 6
    with pytest.raises(ValueError):
        stores("http://127.0.0.1:8086", "x", gzip_level=10)


def test_type_conflict_costs_a_few_requests_not_two_per_line(
    influxd: Influxd, influx_db: str, site: str, stores: Stores
) -> None:
    proxy = FaultProxy(influxd.url)
    try:
        store = stores(proxy.url, influx_db)
        store.ensure_ready()
        # temp_c exists as an integer field in this shard: every float temp_c line conflicts
        raw_write(influxd, influx_db, f"temp_c,site={site},unit=h,device=other value=1i {T0}")
        bad = [f"temp_c,device=d,site={site},unit=h value={i}.5 {T0 + i}" for i in range(2000)]
        good = [f"rh_pct,device=d,site={site},unit=h value={i % 100}.5 {T0 + i}" for i in range(2000)]
        mixed = [line for pair in zip(bad, good, strict=True) for line in pair]
        before = proxy.writes
        result = store.write_lines(mixed)
        assert proxy.writes - before <= 3  # the batch, the other lines, the conflicting ones
        assert result.written == 2000 and sorted(line for line, _ in result.rejected) == sorted(bad)
        assert all('input field "value" on measurement "temp_c"' in why for _, why in result.rejected)
        assert len(store.query(Query("rh_pct", site, T0, T0 + 10_000))[0].ts) == 2000
        before = proxy.writes
        result = store.write_lines(bad)  # only conflicting lines: one request
        assert proxy.writes - before == 1 and result.written == 0 and len(result.rejected) == 2000
    finally:
        proxy.close()


def test_lines_beyond_retention_cost_a_few_requests_not_two_per_line(
    influxd: Influxd, influx_db: str, site: str, stores: Stores
) -> None:
    # A gateway back-filling past a short retention policy: InfluxDB drops those points with a 400
    # "partial write: points beyond retention policy dropped=N" that names no line.  A batch of
    # 2,000 such lines took 3,999 requests (halves down to single lines; 10,000: 14 s).
    r = httpx.post(
        f"{influxd.url}/query", data={"q": f'CREATE DATABASE "{influx_db}" WITH DURATION 1h NAME short'}
    )
    assert r.status_code == 200 and "error" not in r.text, r.text
    proxy = FaultProxy(influxd.url)
    try:
        store = stores(proxy.url, influx_db)
        now = int(time.time() * 1000)
        old = [f"temp_c,device=d,site={site},unit=h value={i}.5 {now - 86_400_000 + i}" for i in range(2000)]
        before = proxy.writes
        result = store.write_lines(old)
        assert proxy.writes - before == 1 and result.written == 0 and len(result.rejected) == 2000
        assert all("beyond retention" in why for _, why in result.rejected)
        new = [f"temp_c,device=d,site={site},unit=h value={i}.5 {now - 60_000 + i}" for i in range(2000)]
        before = proxy.writes
        result = store.write_lines(old + new)  # the old half is refused in one request
        assert proxy.writes - before <= 3 and result.written == 2000
        assert sorted(line for line, _ in result.rejected) == sorted(old)
    finally:
        proxy.close()


NO_DBRP = b'{"code":"not found","message":"no dbrp mapping for database \\"eggwatch\\""}'


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (404, NO_DBRP, 'no dbrp mapping for database "eggwatch"'),
        (404, b'{"code":"not found","message":"bucket \\"x\\" not found"}', 'bucket "x" not found'),
        (400, b'{"error":"invalid precision"}', "invalid precision"),
        (405, b'{"error":"method not allowed"}', "method not allowed"),
    ],
)
def test_misconfiguration_is_unavailable_never_dead_letters(
    influxd: Influxd,
    influx_db: str,
    site: str,
    tmp_path: Path,
    stores: Stores,
    status: int,
    body: bytes,
    says: str,
) -> None:
    proxy = FaultProxy(influxd.url, lambda path, _b: (status, body) if path.startswith("/write") else None)
    try:
        dl = DeadLetters(tmp_path / "dead.jsonl")
        store = stores(proxy.url, influx_db, dead_letters=dl, retry_for_s=0.2)
        lines = [f"temp_c,device=d,site={site},unit=h value={i}.5 {T0 + i}" for i in range(50)]
        before = proxy.writes
        with pytest.raises(StoreUnavailable, match=f"HTTP {status}") as exc:
            store.write_lines(lines)
        assert proxy.writes - before <= 2  # no split into halves
        assert says in str(exc.value)  # the server's own words
        assert dl.total == 0
    finally:
        proxy.close()


def _poison(path: str, body: bytes) -> tuple[int, bytes] | None:
    if path.startswith("/write") and b"dev-poison" in body:
        return 500, b'{"error":"simulated internal error"}'
    return None


def test_isolate_finds_the_lines_a_healthy_server_keeps_failing_on(
    influxd: Influxd, influx_db: str, site: str, stores: Stores
) -> None:
    proxy = FaultProxy(influxd.url, _poison)
    try:
        store = stores(proxy.url, influx_db, retry_for_s=0.1)
        store.ensure_ready()
        lines = [f"temp_c,device=d{i},site={site},unit=h value={i}.5 {T0 + i}" for i in range(1000)]
        bad = [f"temp_c,device=dev-poison,site={site},unit=h value=1.5 {T0}"]
        lines[0:0] = bad  # worst case for the search: the first line
        with pytest.raises(StoreServerError) as exc:
            store.write_lines(lines)
        assert exc.value.message == "simulated internal error"
        before = proxy.writes
        result = store.isolate(lines)
        assert result.failed == [(bad[0], "simulated internal error")]
        assert result.written == 1000 and not result.rejected
        assert proxy.writes - before < 60  # ~2 per halving, not one per line
        assert len(store.query(Query("temp_c", site, T0, T0 + 10_000))) == 1000
    finally:
        proxy.close()


def test_isolate_never_blames_lines_when_the_server_fails_everything(
    influxd: Influxd, influx_db: str, site: str, stores: Stores
) -> None:
    every_write = (500, b'{"error":"engine: no space left on device"}')
    proxy = FaultProxy(influxd.url, lambda path, _b: every_write if path.startswith("/write") else None)
    try:
        store = stores(proxy.url, influx_db, retry_for_s=0.1)
        lines = [f"temp_c,device=d{i},site={site},unit=h value={i}.5 {T0 + i}" for i in range(1000)]
        before = proxy.writes
        with pytest.raises(StoreUnavailable, match="every part"):  # /ping is fine, writes are not
            store.isolate(lines)
        assert proxy.writes - before < 40
        proxy.rule = lambda path, _b: (503, b"") if path.startswith("/ping") else None
        with pytest.raises(StoreUnavailable, match="ping"):  # down: not even tried
            store.isolate(lines)
    finally:
        proxy.close()


def test_chunks_join_and_a_cut_answer_raises() -> None:
    def doc(values: list[list[int]], partial: bool) -> bytes:
        series = {"name": "m", "tags": {"unit": "h"}, "columns": ["time", "v"], "values": values}
        return orjson.dumps({"results": [{"statement_id": 0, "series": [series], "partial": partial}]})

    joined = merge_chunks(doc([[1, 1]], True) + b"\n" + doc([[2, 2]], False) + b"\n")
    assert joined["series"][0]["values"] == [[1, 1], [2, 2]]
    # A server that ignores chunked=true and stops at its max-row-limit says only "partial".
    with pytest.raises(RuntimeError, match="cut the answer short"):
        merge_chunks(doc([[1, 1]], True))


def test_a_long_window_is_read_a_week_at_a_time_and_joined_whole(
    influxd: Influxd, influx_db: str, site: str, stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three weeks of hourly points in pieces of a week (and of 5 h, which is no multiple of the
    90-minute buckets): the same series, points and aggregates as one statement gives."""
    from eggwatch.store import influx

    store = stores(influxd.url, influx_db)
    hour = 3_600_000
    points = [
        Point(
            site, f"house-0{u}", "c", Reading(T0 + k * 600_000 + u, "eggs_total", float(k * u), {"row": "01"})
        )
        for u in (1, 2)
        for k in range(21 * 24 * 6)
        if not (u == 2 and 1000 <= k < 1500)  # a gap across a piece's end
    ]
    store.write(points)
    queries = [
        Query("eggs_total", site, T0 + 7 * 60_000, T0 + 21 * 24 * hour, hour, "last"),
        Query("eggs_total", site, T0, T0 + 21 * 24 * hour, 90 * 60_000, "max"),
        Query("eggs_total", site, T0 + 5, T0 + 3 * 24 * hour, None),
    ]
    whole = [store.query(q) for q in queries]
    statements: list[str] = []
    real = store._statement

    def counted(q: str) -> dict[str, object]:
        statements.append(q)
        return real(q)

    monkeypatch.setattr(store, "_statement", counted)
    # pieces one at a time and several in flight (the default is 2): joined in time order alike
    for piece_ms, workers in ((7 * 24 * hour, 1), (7 * 24 * hour, 2), (5 * hour, 3)):
        monkeypatch.setattr(influx, "PIECE_MS", piece_ms)
        monkeypatch.setattr(store, "query_workers", workers)
        statements.clear()
        for q, expected in zip(queries, whole, strict=True):
            got = store.query(q)
            assert [(s.unit, s.device, s.tags) for s in got] == [(s.unit, s.device, s.tags) for s in expected]
            for g, e in zip(got, expected, strict=True):
                assert g.ts.tolist() == e.ts.tolist() and g.values.tolist() == e.values.tolist()
        assert len(statements) > 3  # it was cut
