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


def throttle_cost(url: str, n: int = 300) -> None:
    """Milliseconds per reserve (failed login) and per reserve + release (successful login)."""
    from api.services.login_throttle import LoginThrottle
    from eggwatch.sql import make_engine

    engine = make_engine(url)
    throttle = LoginThrottle(engine, 10**6, secrets.token_bytes(32))
    for label, release in (("reserve", False), ("reserve + release", True)):
        ms = []
        for i in range(n):
            t0 = time.perf_counter()
            reservation = throttle.reserve("ip:198.51.100.7", f"user:u{i % 20}")
            if release and reservation is not None:
                throttle.release(reservation)
            ms.append((time.perf_counter() - t0) * 1000)
        ms.sort()
        print(f"throttle {label}: p50 {ms[n // 2]:.2f} ms, p95 {ms[int(n * 0.95)]:.2f} ms")
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
        for n, clients in ((300, 1), (300, 8)):
            mean, p50, p95, rate = latency(base, n, clients)
            print(f"{n} logins, {clients} client(s): mean {mean:.1f} ms, p50 {p50:.1f} ms, "
                  f"p95 {p95:.1f} ms, {rate:.0f} logins/s")  # fmt: skip
    finally:
        server.terminate()
        server.wait(15)
    throttle_cost(url)


def main() -> None:
    with throwaway_database("eggwatch_login") as url, tempfile.TemporaryDirectory() as tmp:
        run(url, Path(tmp))


if __name__ == "__main__":
    main()
