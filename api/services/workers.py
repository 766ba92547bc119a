"""Workers with their sensitive fields sealed: create, update, present masked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from api import national_id
from api.models import Worker
from api.schemas.people import WorkerOut
from api.security import Keys


def mask_phone(phone: str) -> str:
    digits = phone.replace(" ", "").replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


def new_worker(
    keys: Keys,
    *,
    name: str,
    national_id_value: str,
    household_id: int,
    phone: str | None = None,
    bank_account: str | None = None,
    full_time: bool = True,
    hired_on: object = None,
) -> Worker:
    nid = national_id.normalize(national_id_value)
    return Worker(
        name=name,
        household_id=household_id,
        national_id_enc=keys.encrypt(nid),
        national_id_hash=keys.lookup_hash(nid),
        national_id_masked=national_id.mask(nid),
        phone_enc=keys.encrypt(phone) if phone else None,
        bank_account_enc=keys.encrypt(bank_account) if bank_account else None,
        full_time=full_time,
        active=True,
        hired_on=hired_on,
    )


# What :func:`worker_out` reads: list endpoints select just these columns, not whole workers.
WORKER_OUT_COLUMNS = (
    "id", "name", "household_id", "national_id_masked", "phone_enc", "bank_account_enc", "full_time",
    "active", "hired_on",
)  # fmt: skip


def worker_out(keys: Keys, w: Worker | Row[Any]) -> WorkerOut:
    """The masked view every role gets."""
    return WorkerOut(
        id=w.id,
        name=w.name,
        household_id=w.household_id,
        national_id=w.national_id_masked,
        phone=mask_phone(keys.decrypt(w.phone_enc)) if w.phone_enc else None,
        has_bank_account=w.bank_account_enc is not None,
        full_time=w.full_time,
        active=w.active,
        hired_on=w.hired_on,
    )
