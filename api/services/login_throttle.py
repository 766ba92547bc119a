"""At most ``limit`` failed logins per window per client address and per user name, counted in
the SQL database so that every API worker process (``eggwatch api --workers N``) shares one count.

An attempt is *reserved* before the password is checked (a row in ``login_attempts`` per key) and
given back only when the login succeeds (the rows are deleted): checking first and counting the
failure afterwards would let parallel requests all pass the check before any failure was counted.
Count-then-insert runs under a transaction-scoped lock per key (``services.locks``: PostgreSQL
advisory locks, taken in a fixed order; SQLite the database write lock), so of N parallel
requests exactly ``limit`` pass, whichever process serves them.  Rows older than the window are
deleted at most once per window per process.

Keys are stored as HMAC-SHA256 (key derived from the secret): fixed width, and whatever was typed
into the user-name field (often a password) or a client address is not kept in plain text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Engine, delete, func, insert, select

from api.models import LoginAttempt, utcnow
from api.services.locks import LOGIN_ATTEMPTS, lock

Reservation = tuple[int, ...]  # the reserved rows' ids


class LoginThrottle:
    def __init__(
        self,
        engine: Engine,
        limit: int,
        hash_key: bytes,
        *,
        window_s: float = 60.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.limit = limit
        self.window = dt.timedelta(seconds=window_s)
        self._engine = engine
        self._hash_key = hash_key
        self._clock = clock
        self._swept: dt.datetime | None = None
        self._sweep_lock = threading.Lock()

    def hashed(self, key: str) -> str:
        return hmac.new(self._hash_key, key.encode(), hashlib.sha256).hexdigest()

    def reserve(self, *keys: str) -> Reservation | None:
        """Count one attempt against every key, unless one is at its limit (then ``None``)."""
        now = self._clock()
        hashed = sorted({self.hashed(k) for k in keys}, key=_lock_key)  # one lock order: no deadlock
        with self._engine.begin() as conn:
            for h in hashed:
                lock(conn, LOGIN_ATTEMPTS, _lock_key(h))
            if self._at_limit(conn, hashed, now):
                return None
            rows = [{"key": h, "at": now} for h in hashed]
            ids = conn.scalars(insert(LoginAttempt).returning(LoginAttempt.id), rows).all()
        self._sweep(now)
        return tuple(ids)

    def release(self, reservation: Reservation) -> None:
        """Give back a reservation (the login succeeded)."""
        with self._engine.begin() as conn:
            conn.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(reservation)))

    def attempts(self, key: str) -> int:
        """Attempts counted against ``key`` in the window now (for tests and monitoring)."""
        cutoff = self._clock() - self.window
        with self._engine.connect() as conn:
            q = select(func.count()).where(LoginAttempt.key == self.hashed(key), LoginAttempt.at > cutoff)
            return int(conn.scalar(q) or 0)

    def keys_held(self) -> int:
        """Distinct keys with rows kept (for tests and monitoring)."""
        with self._engine.connect() as conn:
            return int(conn.scalar(select(func.count(func.distinct(LoginAttempt.key)))) or 0)

    def _at_limit(self, conn: Connection, hashed: Sequence[str], now: dt.datetime) -> bool:
        q = (
            select(func.count())
            .where(LoginAttempt.key.in_(hashed), LoginAttempt.at > now - self.window)
            .group_by(LoginAttempt.key)
        )
        return any(n >= self.limit for n in conn.scalars(q))

    def _sweep(self, now: dt.datetime) -> None:
        """Delete rows that left the window, at most once per window in this process."""
        with self._sweep_lock:
            if self._swept is not None and now - self._swept < self.window:
                return
            self._swept = now
        with self._engine.begin() as conn:
            conn.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - self.window))


def _lock_key(hashed: str) -> int:
    """A 31-bit advisory-lock key from the hash (a collision only makes two keys wait for each other)."""
    return int(hashed[:8], 16) & 0x7FFF_FFFF
