"""Sealed fields are bound to their row and column: a value swapped between workers, or moved from
one column to another, no longer opens (503), and migration 0004 re-seals v1 values as v2."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.national_id import check_char
from api.security import Keys
from eggwatch.migrations import current, downgrade, upgrade
from eggwatch.sql import make_engine
from tests.api.conftest import SECRET, Api
from tests.api.test_resources import household

NID_A = "11010519491231002X"
NID_B = "62052519900101123" + check_char("62052519900101123")
UNREADABLE = "encrypted data unreadable"


def _worker(api: Api, nid: str, phone: str) -> int:
    body = {"name": "w", "national_id": nid, "household_id": household(api, nid[-4:]), "phone": phone,
            "bank_account": "6228480012345678"}  # fmt: skip
    return int(api.ok("manager", "POST", "/api/v1/workers", json=body)["id"])


def _sql(url: str, statement: str, **params: object) -> list[sa.Row]:  # type: ignore[type-arg]
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def _swap(url: str, column: str, a: int, b: int) -> None:
    """What someone with write access to the database could do: exchange two workers' values."""
    values = dict(_sql(url, f"SELECT id, {column} FROM workers WHERE id IN (:a, :b)", a=a, b=b))
    assert values[a] != values[b]
    for wid, other in ((a, b), (b, a)):
        _sql(url, f"UPDATE workers SET {column} = :v WHERE id = :i", v=values[other], i=wid)


def _unmask(api: Api, wid: int) -> tuple[int, str]:
    r = api.post("payroll", f"/api/v1/workers/{wid}/unmask", json={"reason": "check"})
    return r.status_code, r.text


def test_values_are_sealed_as_v2_and_open(api: Api) -> None:
    a = _worker(api, NID_A, "13912345678")
    (row,) = _sql(
        api.db_url, "SELECT national_id_enc, phone_enc, bank_account_enc FROM workers WHERE id = :a", a=a
    )
    assert all(v.startswith("v2.") for v in row)
    assert _unmask(api, a)[0] == 200
    assert api.ok("manager", "GET", f"/api/v1/workers/{a}")["phone"] == "139****5678"
    # A patched phone is sealed for its row too.
    api.ok("manager", "PATCH", f"/api/v1/workers/{a}", json={"phone": "13800001111"})
    r = api.post("payroll", f"/api/v1/workers/{a}/unmask", json={"reason": "recheck"})
    assert r.json()["phone"] == "13800001111"


def test_swapped_between_workers_do_not_open(api: Api) -> None:
    a, b = _worker(api, NID_A, "13912345678"), _worker(api, NID_B, "13700000000")
    _swap(api.db_url, "national_id_enc", a, b)
    for wid in (a, b):
        code, text = _unmask(api, wid)
        assert code == 503 and UNREADABLE in text and NID_A not in text and NID_B not in text
    # Phones swapped: even the masked view refuses rather than show B's number as A's.
    _swap(api.db_url, "phone_enc", a, b)
    r = api.get("manager", f"/api/v1/workers/{a}")
    assert r.status_code == 503 and UNREADABLE in r.text


def test_moved_to_another_column_does_not_open(api: Api) -> None:
    a = _worker(api, NID_A, "13912345678")
    _sql(api.db_url, "UPDATE workers SET national_id_enc = phone_enc WHERE id = :a", a=a)
    code, text = _unmask(api, a)
    assert code == 503 and UNREADABLE in text and "13912345678" not in text


def test_v1_values_and_garbage_do_not_open(api: Api) -> None:
    a = _worker(api, NID_A, "13912345678")
    v1 = seal_v1(NID_B)  # e.g. copied back from an old backup
    for bad in (v1, "v2." + v1, "v2.@@@", "v2.", ""):
        _sql(api.db_url, "UPDATE workers SET national_id_enc = :v WHERE id = :a", v=bad, a=a)
        code, text = _unmask(api, a)
        assert code == 503 and UNREADABLE in text, (bad, code, text)


# -- migration 0004 ------------------------------------------------------------------------------


V1_AAD = b"eggwatch-field"


def _aead(secret: str = SECRET) -> AESGCM:
    return AESGCM(Keys.from_secret(secret.encode()).fields)


def seal_v1(plain: str) -> str:
    """A value as the code before 0004 sealed it: one fixed associated data for every field."""
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(nonce + _aead().encrypt(nonce, plain.encode(), V1_AAD)).decode()


def open_v1(token: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    return _aead().decrypt(raw[:12], raw[12:], V1_AAD).decode()


V1_WORKERS = {1: (NID_A, "13912345678", None), 2: (NID_B, None, "6228480012345678")}


def _v1_database(url: str) -> None:
    """A database at 0003 holding two workers sealed the v1 way."""
    upgrade(url, "0003_payroll_guards")
    _sql(url, "INSERT INTO households (id, code, village, township, members, registered_poor, created_at) "
         "VALUES (1, 'H1', 'V', 'T', 3, true, '2026-05-01 00:00:00')")  # fmt: skip
    for wid, (nid, phone, bank) in V1_WORKERS.items():
        _sql(url, "INSERT INTO workers (id, name, household_id, national_id_enc, national_id_hash, "
             "national_id_masked, phone_enc, bank_account_enc, full_time, active, created_at) VALUES "
             "(:id, 'A', 1, :nid, :h, 'm', :phone, :bank, true, true, '2026-05-01 00:00:00')",
             id=wid, nid=seal_v1(nid), h=f"h{wid}", phone=phone and seal_v1(phone),
             bank=bank and seal_v1(bank))  # fmt: skip


def _sealed(url: str) -> dict[int, tuple[str | None, ...]]:
    rows = _sql(url, "SELECT id, national_id_enc, phone_enc, bank_account_enc FROM workers ORDER BY id")
    return {r[0]: tuple(r[1:]) for r in rows}


def _opened(url: str, keys: Keys) -> dict[int, tuple[str | None, ...]]:
    columns = ("national_id_enc", "phone_enc", "bank_account_enc")
    return {
        wid: tuple(keys.unseal(v, wid, c) if v else None for v, c in zip(values, columns, strict=True))
        for wid, values in _sealed(url).items()
    }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def v1_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    sqlite = request.param == "sqlite"
    url = f"sqlite:///{tmp_path / 'v1.db'}" if sqlite else request.getfixturevalue("pg_url")
    _v1_database(url)
    return url


def test_migration_reseals_v1_as_v2_and_back(v1_url: str) -> None:
    before = _sealed(v1_url)
    with pytest.raises(RuntimeError, match=r"2 worker\(s\) have sealed fields to re-seal .*no secret key"):
        upgrade(v1_url)
    with pytest.raises(RuntimeError, match="does not open with the given secret key"):
        upgrade(v1_url, secret_key=b"another-key-" + b"y" * 30)
    assert current(v1_url) == "0003_payroll_guards" and _sealed(v1_url) == before  # nothing changed

    upgrade(v1_url, secret_key=SECRET.encode())
    assert all(v is None or v.startswith("v2.") for values in _sealed(v1_url).values() for v in values)
    assert _opened(v1_url, Keys.from_secret(SECRET.encode())) == V1_WORKERS
    upgrade(v1_url, secret_key=SECRET.encode())  # idempotent

    # Down again: v1 values the old code opens; refused without the key.
    with pytest.raises(RuntimeError, match="no secret key"):
        downgrade(v1_url, "0003_payroll_guards")
    downgrade(v1_url, "0003_payroll_guards", secret_key=SECRET.encode())
    back = _sealed(v1_url)
    assert {wid: tuple(v and open_v1(v) for v in values) for wid, values in back.items()} == V1_WORKERS


def test_db_upgrade_cli_passes_the_key(data_dir: Path) -> None:
    url = f"sqlite:///{data_dir / 'w.db'}"
    _v1_database(url)
    env = {**os.environ, "EGGWATCH_DATABASE_URL": url}
    cli = [sys.executable, "-m", "eggwatch.cli", "db", "upgrade"]
    refused = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "no secret key" in refused.stderr
    assert not (data_dir / "secret.key").exists()  # no key made up (it could not open them)
    done = subprocess.run(cli, env=env | {"EGGWATCH_SECRET_KEY": SECRET}, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _opened(url, Keys.from_secret(SECRET.encode())) == V1_WORKERS
