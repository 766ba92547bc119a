"""Transaction-scoped locks that make check-then-write sequences race-free.

An overlap check reads, then inserts; two requests doing it at once would both see no clash.  So
the writer takes a lock first, and holds it until its transaction ends:

- PostgreSQL: ``pg_advisory_xact_lock(namespace, key)`` (released at COMMIT/ROLLBACK), exclusive or
  shared.  Under READ COMMITTED each later statement sees what the previous holder committed.
- SQLite: a no-op ``UPDATE`` takes the database's write lock at once (as ``BEGIN IMMEDIATE``
  would), so every such transaction runs alone and reads a fresh snapshot; ``shared`` does the
  same (SQLite has one writer anyway).

Lock order, to never deadlock: :data:`RUNS` → :data:`CLOSING` → :data:`WORKER_SHIFTS`.
:data:`LOGIN_ATTEMPTS` is taken alone (its keys in ascending order).
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

_BASE = 0x6567_0000  # "eg": eggwatch's advisory-lock namespaces
RUNS = _BASE + 1  # payroll runs: create (period overlap), recompute, approve, pay, delete, adjust
CLOSING = _BASE + 2  # approving closes a period's shifts: shift writes hold it shared
WORKER_SHIFTS = _BASE + 3  # one worker's shifts (key: worker id): the overlap check
LOGIN_ATTEMPTS = _BASE + 4  # one login-throttle key (key: 31 bits of its hash): count, then insert


def lock(session: Session | Connection, namespace: int, key: int = 0, *, shared: bool = False) -> None:
    """Take the lock ``(namespace, key)`` until the session's (connection's) transaction ends."""
    dialect = (session.dialect if isinstance(session, Connection) else session.get_bind().dialect).name
    if dialect == "postgresql":
        fn = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {fn}(:ns, :key)"), {"ns": namespace, "key": key})
    elif dialect == "sqlite":
        session.execute(text("UPDATE payroll_runs SET id = id WHERE 0 = 1"))
