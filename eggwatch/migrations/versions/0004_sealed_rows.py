"""Sealed fields bound to their row: re-seal workers' ID number, phone and bank account as v2.

v1 (``<base64 nonce+ciphertext>``) used one fixed associated data for every field, so a ciphertext
copied to another row or column still opened there.  v2 (``v2.<base64>``) authenticates
``eggwatch-field-v2|workers|<id>|<column>``: a moved value no longer opens.

Needs the secret key when there are v1 values (``eggwatch db upgrade``, ``eggwatch api`` and
``eggwatch demo`` pass it in ``config.attributes["secret_key"]``); refuses without it and changes
nothing.  An empty table needs no key.  The crypto is copied here, not imported from
``api.security``, so this revision keeps doing what it did when the application code moves on.

Revision ID: 0004_sealed_rows
Revises: 0003_payroll_guards
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

revision = "0004_sealed_rows"
down_revision = "0003_payroll_guards"
branch_labels = None
depends_on = None

COLUMNS = ("national_id_enc", "phone_enc", "bank_account_enc")
V1_AAD = b"eggwatch-field"
V2 = "v2."

workers = sa.table("workers", sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in COLUMNS))


def _aead(secret: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"eggwatch", info=b"fields").derive(secret)
    return AESGCM(key)


def _aad(row_id: int, column: str) -> bytes:
    return f"eggwatch-field-v2|workers|{row_id}|{column}".encode()


def _open(aead: AESGCM, raw_b64: str, aad: bytes) -> bytes:
    raw = base64.urlsafe_b64decode(raw_b64.encode())
    return aead.decrypt(raw[:12], raw[12:], aad)


def _seal(aead: AESGCM, plain: bytes, aad: bytes) -> str:
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + aead.encrypt(nonce, plain, aad)).decode()


def to_v2(aead: AESGCM, value: str, row_id: int, column: str) -> str:
    return V2 + _seal(aead, _open(aead, value, V1_AAD), _aad(row_id, column))


def to_v1(aead: AESGCM, value: str, row_id: int, column: str) -> str:
    return _seal(aead, _open(aead, value.removeprefix(V2), _aad(row_id, column)), V1_AAD)


def _secret(direction: str, rows: int) -> bytes:
    secret = context.config.attributes.get("secret_key")
    if not secret:
        raise RuntimeError(
            f"0004_sealed_rows: {rows} worker(s) have sealed fields to re-seal ({direction}) and no secret "
            "key was given: run `eggwatch db upgrade` with the EGGWATCH_SECRET_KEY (or data dir "
            "secret.key) that sealed them; nothing was changed"
        )
    return bytes(secret)


def _reseal(
    convert: Callable[[AESGCM, str, int, str], str], needs: Callable[[str], bool], direction: str
) -> None:
    """Convert every value ``needs`` picks; compute all first, so a wrong key changes nothing."""
    conn = op.get_bind()
    rows = [r for r in conn.execute(sa.select(workers)) if any(v and needs(v) for v in r[1:])]
    if not rows:
        return
    aead = _aead(_secret(direction, len(rows)))
    updates = []
    for row in rows:
        new: dict[str, object] = {"wid": row.id}  # bind names must differ from the columns
        for column, value in zip(COLUMNS, row[1:], strict=True):
            try:
                new[f"new_{column}"] = (
                    convert(aead, value, row.id, column) if value and needs(value) else value
                )
            except (InvalidTag, ValueError) as exc:
                raise RuntimeError(
                    f"0004_sealed_rows: worker {row.id}'s {column} does not open with the given secret key "
                    "(not the key that sealed it, or the value was altered); nothing was changed"
                ) from exc
        updates.append(new)
    stmt = workers.update().where(workers.c.id == sa.bindparam("wid"))
    conn.execute(stmt.values({c: sa.bindparam(f"new_{c}") for c in COLUMNS}), updates)


def upgrade() -> None:
    _reseal(to_v2, lambda v: not v.startswith(V2), "v1 → v2")


def downgrade() -> None:
    _reseal(to_v1, lambda v: v.startswith(V2), "v2 → v1")
