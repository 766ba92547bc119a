"""Workers with their sensitive fields sealed: create, update, present masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from api import national_id
from api.models import Worker
from api.schemas.people import WorkerOut
from api.security import Keys


def mask_phone(phone: str) -> str:
    digits = phone.replace(" ", "").replace("-", "")
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "****"


@dataclass(frozen=True, slots=True)
class NewWorker:
    """A worker to add, its sensitive fields in plain text."""

    name: str
    national_id: str
    household_id: int
    phone: str | None = None
    bank_account: str | None = None
    full_time: bool = True
    hired_on: dt.date | None = None


def seal_field(keys: Keys, w: Worker, column: str, plain: str | None) -> None:
    """Seal ``plain`` into ``w.<column>`` (``None``/empty clears it); ``w`` must have its id."""
    setattr(w, column, keys.seal(plain, w.id, column) if plain else None)


def open_field(keys: Keys, w: Worker | Row[Any], column: str) -> str | None:
    """The plain text of ``w.<column>``; ``InvalidTag`` if it was not sealed for this row and column."""
    token = getattr(w, column)
    return keys.unseal(token, w.id, column) if token else None


def add_workers(session: Session, keys: Keys, new: Sequence[NewWorker]) -> list[Worker]:
    """Insert the workers, then seal their fields: the sealing binds each value to its row id,
    which exists only after the insert (one flush for all rows, then one for the sealed values)."""
    workers = [_unsealed(keys, n) for n in new]
    session.add_all(workers)
    session.flush()
    for w, n in zip(workers, new, strict=True):
        seal_field(keys, w, "national_id_enc", national_id.normalize(n.national_id))
        seal_field(keys, w, "phone_enc", n.phone)
        seal_field(keys, w, "bank_account_enc", n.bank_account)
    session.flush()
    return workers


def _unsealed(keys: Keys, n: NewWorker) -> Worker:
    nid = national_id.normalize(n.national_id)
    return Worker(
        name=n.name,
        household_id=n.household_id,
        national_id_enc="",  # sealed once the row has its id (same transaction; never committed so)
        national_id_hash=keys.lookup_hash(nid),
        national_id_masked=national_id.mask(nid),
        full_time=n.full_time,
        active=True,
        hired_on=n.hired_on,
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
        phone=mask_phone(phone) if (phone := open_field(keys, w, "phone_enc")) else None,
        has_bank_account=w.bank_account_enc is not None,
        full_time=w.full_time,
        active=w.active,
        hired_on=w.hired_on,
    )
