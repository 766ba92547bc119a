"""Passwords (argon2id), bearer tokens (JWT HS256), field sealing (AES-GCM, bound to row and column)
and keyed hashes.

Every key is derived from ``settings.secret_key`` with HKDF and a distinct label, so one secret
serves all purposes without reusing key material between them.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import os
import threading
import time
from collections import deque
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_hasher = PasswordHasher()
JWT_ALG = "HS256"
# Keys are 32-bit integers: a larger id names no row, so it need not reach the database (where
# PostgreSQL would refuse it with an error rather than find nothing).
MAX_ID = 2**31 - 1


def derive_key(secret: bytes, label: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"eggwatch", info=label.encode()).derive(secret)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# A fixed hash to verify against when the user does not exist, so timing does not reveal names.
DUMMY_HASH = _hasher.hash("not-a-real-password")


@functools.lru_cache(maxsize=8)
def _aead(key: bytes) -> AESGCM:
    """One cipher object per key: it holds no per-message state, and building it costs as much
    as sealing a short field (list endpoints unseal 50 phone numbers per page)."""
    return AESGCM(key)


SEALED_V2 = "v2."


def field_aad(table: str, row_id: int, column: str) -> bytes:
    """What a sealed value is bound to: a value copied to another row or column fails to open."""
    return f"eggwatch-field-v2|{table}|{row_id}|{column}".encode()


@dataclass(frozen=True, slots=True)
class Keys:
    """The derived keys of one secret."""

    jwt: bytes
    fields: bytes
    lookup: bytes

    @classmethod
    def from_secret(cls, secret: bytes) -> Keys:
        return cls(derive_key(secret, "jwt"), derive_key(secret, "fields"), derive_key(secret, "lookup"))

    # -- tokens ---------------------------------------------------------------------------------

    def issue_token(self, user_id: int, role: str, ttl: dt.timedelta) -> str:
        now = dt.datetime.now(dt.UTC)
        claims = {"sub": str(user_id), "role": role, "iat": now, "exp": now + ttl}
        return jwt.encode(claims, self.jwt, algorithm=JWT_ALG)

    def read_token(self, token: str) -> int | None:
        """The user id of a valid, unexpired token, else ``None``."""
        try:
            claims = jwt.decode(token, self.jwt, algorithms=[JWT_ALG], options={"require": ["exp", "sub"]})
        except jwt.PyJWTError:
            return None
        sub = claims["sub"]
        # What issue_token writes: ASCII digits (int() also takes "+7", " 7", "１") of a 32-bit id.
        if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= 10):
            return None
        user_id = int(sub)
        return user_id if 0 < user_id <= MAX_ID else None

    # -- fields ---------------------------------------------------------------------------------

    def seal(self, plain: str, row_id: int, column: str, *, table: str = "workers") -> str:
        """``v2.<base64 nonce+ciphertext>``, authenticated with the row and column it is stored in."""
        nonce = os.urandom(12)
        sealed = _aead(self.fields).encrypt(nonce, plain.encode(), field_aad(table, row_id, column))
        return SEALED_V2 + base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, token: str, row_id: int, column: str, *, table: str = "workers") -> str:
        """The plain text of a value sealed for this row and column.  Anything else (another row's
        or column's value, a v1 value, garbage) raises ``InvalidTag`` (→ 503 in the API)."""
        if not token.startswith(SEALED_V2):
            raise InvalidTag  # v1 values opened anywhere; migration 0004 re-sealed them all
        try:
            raw = base64.urlsafe_b64decode(token[len(SEALED_V2) :].encode())
        except ValueError:  # binascii.Error: not base64
            raise InvalidTag from None
        if len(raw) < 12 + 16:  # nonce + tag
            raise InvalidTag
        return _aead(self.fields).decrypt(raw[:12], raw[12:], field_aad(table, row_id, column)).decode()

    def lookup_hash(self, value: str) -> str:
        """Keyed hash for uniqueness and lookups: equal IDs collide, the hash alone reveals nothing."""
        return hmac.new(self.lookup, value.encode(), hashlib.sha256).hexdigest()


class LoginThrottle:
    """At most ``limit`` failed logins per ``window_s`` per client address and per user name.

    An attempt is *reserved* before the password is checked (:meth:`reserve`, under the lock) and
    given back only when the login succeeds (:meth:`release`): checking first and counting the
    failure afterwards let parallel requests all pass the check before any failure was counted.
    Keys idle for a whole window are dropped by a sweep at most once per window, so memory stays
    bounded by the keys seen in the last minute.  The counts live in this process: with
    ``--workers N`` each worker keeps its own (up to N × limit attempts per window).
    """

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._swept = time.monotonic()

    def _count(self, key: str, now: float) -> int:
        q = self._fails.get(key)
        if q is None:
            return 0
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if not q:
            del self._fails[key]
            return 0
        return len(q)

    def _sweep(self, now: float) -> None:
        if now - self._swept < self.window_s:
            return
        self._swept = now
        cutoff = now - self.window_s
        for key in [k for k, q in self._fails.items() if not q or q[-1] <= cutoff]:
            del self._fails[key]

    def reserve(self, *keys: str) -> float | None:
        """Count one attempt against every key, unless one is at its limit (then ``None``).
        The returned stamp is for :meth:`release`."""
        now = time.monotonic()
        with self._lock:
            self._sweep(now)
            if any(self._count(k, now) >= self.limit for k in keys):
                return None
            for k in keys:
                self._fails.setdefault(k, deque()).append(now)
            return now

    def release(self, stamp: float, *keys: str) -> None:
        """Give back an attempt reserved at ``stamp`` (the login succeeded)."""
        with self._lock:
            for k in keys:
                q = self._fails.get(k)
                if q is None:
                    continue
                with contextlib.suppress(ValueError):
                    q.remove(stamp)
                if not q:
                    del self._fails[k]

    def __len__(self) -> int:
        """Keys held (for tests and monitoring)."""
        with self._lock:
            return len(self._fails)
