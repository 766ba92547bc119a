"""Access-log hygiene: query values that identify a person never reach uvicorn's access log.

uvicorn logs ``"%s - \"%s %s HTTP/%s\" %d"`` with the path *and query string* as the third
argument; :class:`RedactQuery` rewrites that argument, so ``GET /api/v1/workers?national_id=…``
is logged as ``…?national_id=[redacted]``.  Prefer ``POST /api/v1/workers/lookup`` (the number in
the JSON body): proxies in front of the API log URLs too, and they are out of our reach.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote_plus

# Query parameters whose values are personal data (compared decoded and case-insensitively).
SENSITIVE_QUERY = frozenset({"national_id"})
REDACTED = "[redacted]"


def redact_query(path: str) -> str:
    """``path`` with the values of :data:`SENSITIVE_QUERY` parameters replaced by ``[redacted]``."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    items = query.split("&")
    out = []
    for item in items:
        key, _, _ = item.partition("=")
        out.append(f"{key}={REDACTED}" if unquote_plus(key).strip().lower() in SENSITIVE_QUERY else item)
    return f"{base}?{'&'.join(out)}" if out != items else path


class RedactQuery(logging.Filter):
    """For the ``uvicorn.access`` logger: redact sensitive query values in the logged path."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def install_access_log_filter(logger_name: str = "uvicorn.access") -> None:
    """Attach :class:`RedactQuery` to the access logger once (uvicorn's logging setup keeps
    filters already on a logger: ``dictConfig`` replaces handlers, not filters)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactQuery) for f in logger.filters):
        logger.addFilter(RedactQuery())
