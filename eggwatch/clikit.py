"""Small helpers shared by the component CLIs."""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    print(f"eggwatch: error: {message}", file=sys.stderr)
    sys.exit(code)


def outside_failure(exc: BaseException) -> str | None:
    """A one-line reason when ``exc`` is a server outside this process refusing or missing (the
    database, Grafana, InfluxDB), or a configured path that cannot be used: the operator's
    configuration, not a bug.  The libraries are looked up, not imported, so ``eggwatch --help``
    stays fast."""
    first = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
    sql = sys.modules.get("sqlalchemy.exc")
    if sql is not None and isinstance(exc, (sql.OperationalError, sql.InterfaceError, sql.ArgumentError)):
        return f"database: {first}"
    for module, name in (("niquests.exceptions", "RequestException"), ("httpx", "TransportError")):
        kind = getattr(sys.modules.get(module), name, None)
        if kind is not None and isinstance(exc, kind):
            return f"server unreachable: {first}"
    if isinstance(exc, ConnectionError):
        return f"server unreachable: {first}"
    if isinstance(exc, OSError) and exc.filename is not None:
        # A path from the configuration (EGGWATCH_DATA_DIR, a spool dir...) that is not a usable
        # directory, not writable, or on a full disk: the operator's to fix, not a traceback.
        why = "not a directory" if isinstance(exc, FileExistsError) else exc.strerror or first
        return f"cannot use {exc.filename}: {why}"
    return None


def start_metrics_server(port: int, **kwargs: Any) -> Any:
    """prometheus_client's ``start_http_server`` (its return value), but a busy or forbidden port
    raises a one-line :class:`ConfigError` (CONTRACTS §4) instead of an ``OSError`` traceback."""
    from prometheus_client import start_http_server

    from eggwatch.settings import ConfigError

    try:
        return start_http_server(port, **kwargs)
    except OSError as exc:
        raise ConfigError(f"cannot serve metrics on --metrics-port {port}: {exc.strerror or exc}") from None


def check_port(host: str, port: int) -> None:
    """Raise a one-line :class:`ConfigError` naming ``host:port`` when it cannot be served (taken,
    forbidden, an unknown host).  Checked just before uvicorn binds it: uvicorn's own answer was
    its log line "[Errno 98] error while attempting to bind ..." and exit 3 (CONTRACTS §4)."""
    import socket

    from eggwatch.settings import ConfigError

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
            sock.bind(address)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve on {host}:{port} ({exc.strerror or exc}); choose another --port"
        ) from None


def setup_logging(verbose: bool = False, *, quiet_http: bool = False) -> None:
    """``quiet_http``: without ``-v``, leave out httpx's line per request, noise in a service that
    queries InfluxDB all day (``analytics run``: 150 lines a pass, 43,000 a day)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if quiet_http and not verbose:
        logging.getLogger("httpx").setLevel(logging.WARNING)
