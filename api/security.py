"""Passwords (argon2id), bearer tokens (JWT HS256), field sealing (AES-GCM, bound to row and column)
and keyed hashes.

Every key is derived from ``settings.secret_key`` with HKDF and a distinct label, so one secret
serves all purposes without reusing key material between them.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import os
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
    throttle: bytes  # HMAC of login-throttle keys (api.services.login_throttle)

    @classmethod
    def from_secret(cls, secret: bytes) -> Keys:
        labels = ("jwt", "fields", "lookup", "login-throttle")
        return cls(*(derive_key(secret, label) for label in labels))

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
