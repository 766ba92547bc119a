"""Failed-login limit and login latency against ``eggwatch api --workers 2`` on PostgreSQL.

Run: ``.venv/bin/python -m bench.login`` (PostgreSQL on 127.0.0.1:5432, trust auth; ~1 min).

- limit: wrong passwords for one user, each on a new connection (so the kernel spreads them over
  both workers), sequentially and then 40 at once; counts the 401s before the first 429 and in all.
  With the limit at 10 a minute, anything above 10 is the limit leaking between processes.
- latency: successful logins (each releases its reservation), sequentially and with 8 clients;
  argon2id verification dominates, the throttle's SQL is the rest;
- the throttle alone, in this process on the same database: a failed login's reservation, and a
  successful one's reservation + release (the in-memory throttle before took microseconds).
"""

from __future__ import annotations

import concurrent.futures
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from tests.support.servers import throwaway_database

EGGWATCH = [sys.executable, "-m", "eggwatch.cli"]
PASSWORD = "bench-password-1"
TOKEN_PATH = "/api/v1/auth/token"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [*EGGWATCH, "api", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                time.sleep(2)  # both workers up
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("eggwatch api did not come up")


def login(base: str, user: str, password: str) -> tuple[int, float]:
    """One login on a fresh connection: (status, seconds)."""
    t0 = time.perf_counter()
    r = httpx.post(base + TOKEN_PATH, data={"username": user, "password": password}, timeout=30)
    return r.status_code, time.perf_counter() - t0


def limit_sequential(base: str, user: str, attempts: int = 60) -> tuple[int, int]:
    codes = [login(base, user, "wrong-password")[0] for _ in range(attempts)]
    first = codes.index(429) if 429 in codes else len(codes)
    return first, codes.count(401)


def limit_parallel(base: str, user: str, attempts: int = 40) -> int:
    with concurrent.futures.ThreadPoolExecutor(max_workers=attempts) as pool:
        codes = [c for c, _ in pool.map(lambda _: login(base, user, "wrong-password"), range(attempts))]
    return codes.count(401)


def latency(base: str, n: int, clients: int) -> tuple[float, float, float, float]:
    """(mean ms, p50 ms, p95 ms, logins/s) over ``n`` successful logins."""
    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda _: login(base, "bench", PASSWORD), range(n)))
    wall = time.perf_counter() - t0
    assert all(c == 200 for c, _ in results), sorted({c for c, _ in results})
    ms = sorted(s * 1000 for _, s in results)
    return statistics.fmean(ms), ms[len(ms) // 2], ms[int(len(ms) * 0.95)], n / wall


def _p50_p95(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return ms[len(ms) // 2], ms[int(len(ms) * 0.95)]


def verify_ms(n: int = 30) -> float:
    """The baseline of a login: one argon2id verification, in this process (median ms)."""
    from api.security import hash_password, verify_password

    stored = hash_password(PASSWORD)
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        verify_password(stored, PASSWORD)
        ms.append((time.perf_counter() - t0) * 1000)
    return _p50_p95(ms)[0]


def select_one_ms(engine: sa.Engine, n: int = 300) -> float:
    """The baseline of the throttle: a committed ``SELECT 1`` round trip on the same database."""
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT 1"))
        ms.append((time.perf_counter() - t0) * 1000)
    return _p50_p95(ms)[0]


def throttle_cost(url: str, n: int = 300) -> None:
    """Milliseconds per reserve (failed login) and per reserve + release (successful login), and
    as a ratio to a ``SELECT 1`` round trip measured on the same database in this run."""
    from api.services.login_throttle import LoginThrottle
    from eggwatch.sql import make_engine

    engine = make_engine(url)
    base = select_one_ms(engine)
    print(f"baseline SELECT 1 round trip: p50 {base:.2f} ms")
    throttle = LoginThrottle(engine, 10**6, secrets.token_bytes(32))
    for label, release in (("reserve", False), ("reserve + release", True)):
        ms = []
        for i in range(n):
            t0 = time.perf_counter()
            reservation = throttle.reserve("ip:198.51.100.7", f"user:u{i % 20}")
            if release and reservation is not None:
                throttle.release(reservation)
            ms.append((time.perf_counter() - t0) * 1000)
        p50, p95 = _p50_p95(ms)
        print(f"throttle {label}: p50 {p50:.2f} ms ({p50 / base:.1f}× SELECT 1), p95 {p95:.2f} ms")
    engine.dispose()


def run(url: str, data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGGWATCH_")}
    env |= {"EGGWATCH_DATABASE_URL": url, "EGGWATCH_DATA_DIR": str(data_dir),
            "EGGWATCH_SECRET_KEY": secrets.token_urlsafe(32)}  # fmt: skip
    subprocess.run([*EGGWATCH, "db", "upgrade"], env=env, check=True, capture_output=True)
    for name in ("bench", "victim", "victim2"):
        subprocess.run([*EGGWATCH, "users", "create", "--username", name, "--role", "manager",
                        "--password", PASSWORD], env=env, check=True, capture_output=True)  # fmt: skip
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        first, total = limit_sequential(base, "victim")
        print(f"sequential wrong passwords: {first} × 401 before the first 429, {total} × 401 of 60")
        # Another user from the same address would hit the address's limit: wait it out.
        time.sleep(61)
        print(f"40 parallel wrong passwords: {limit_parallel(base, 'victim2')} × 401")
        time.sleep(61)
        verify = verify_ms()
        print(f"baseline one argon2id verification (this process): {verify:.1f} ms")
        for n, clients in ((300, 1), (300, 8)):
            mean, p50, p95, rate = latency(base, n, clients)
            print(f"{n} logins, {clients} client(s): mean {mean:.1f} ms, p50 {p50:.1f} ms "
                  f"({p50 / verify:.2f}× one verification), p95 {p95:.1f} ms, {rate:.0f} logins/s")  # fmt: skip
    finally:
        server.terminate()
        server.wait(15)
    throttle_cost(url)


def main() -> None:
    with throwaway_database("eggwatch_login") as url, tempfile.TemporaryDirectory() as tmp:
        run(url, Path(tmp))


if __name__ == "__main__":
    main()
