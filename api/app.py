"""The FastAPI application: ``create_app()`` wires settings, database, telemetry store and routers."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable

from cryptography.exceptions import InvalidTag
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from analytics.alerts.api import router as alerts_router
from api.config import ApiConfig, load_api_config
from api.logs import install_access_log_filter
from api.openapi import document_errors
from api.routes import api_router
from api.security import Keys
from api.services.login_throttle import LoginThrottle
from api.web import router as web_router
from api.web.cache import FiguresCache
from eggwatch.park import Park, load_park
from eggwatch.settings import Settings, load_settings
from eggwatch.sql import make_engine, make_sessionmaker
from eggwatch.store.base import TelemetryStore
from eggwatch.store.errors import StoreUnavailable

log = logging.getLogger(__name__)


def _store_opener(settings: Settings, store: TelemetryStore | None) -> Callable[[], TelemetryStore | None]:
    """Open the telemetry store on first use (the API must start even if InfluxDB is down)."""
    lock = threading.Lock()
    holder: list[TelemetryStore | None] = [store]

    def get() -> TelemetryStore | None:
        if holder[0] is not None:
            return holder[0]
        with lock:
            if holder[0] is None:
                try:
                    from eggwatch.store.open import open_store

                    holder[0] = open_store(settings)
                except Exception as exc:  # unreachable store: endpoints answer 503
                    log.warning("telemetry store unavailable: %s", exc)
                    return None
        return holder[0]

    return get


def _read_engine(engine: Engine) -> Engine:
    """The engine for GET requests.  On PostgreSQL its connections run in autocommit: a read then
    costs no BEGIN and no ROLLBACK round trip.  Nothing is lost: under PostgreSQL's READ COMMITTED
    every statement takes its own snapshot inside a transaction too.  SQLite: the same engine."""
    if engine.dialect.name != "postgresql":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def validation_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    """The errors of a rejected request as ``{loc, msg, type}``: where and why, never what was
    sent.  FastAPI's default 422 body adds ``input`` (the offending value, or the whole body when a
    field is missing: a national ID or a password echoed into logs and caches) and ``ctx``."""
    return [
        {
            "loc": jsonable_encoder(err.get("loc", ())),
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, request: Request) -> str:
    """Every method some route serves at this path.  Starlette's 405 names only the first route
    that matched the path, and list and create are two routes here: ``DELETE /workers`` said
    ``Allow: GET, HEAD`` and hid POST.  Each method is tried against the routes (their own
    matching, so path parameters and included routers behave as in a real request)."""
    allowed = {
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in app.router.routes)
    }
    if "GET" in allowed:
        allowed.add("HEAD")  # Starlette answers HEAD wherever GET is served
    return ", ".join(sorted(allowed))


class HeadAsGet:
    """Serve HEAD as GET without the body.  Starlette's routes answer HEAD wherever they serve
    GET, FastAPI's do not: HEAD /health (uptime monitors send it) was a 405 whose Allow header
    said "GET, HEAD".  Plain ASGI, so a GET pays nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}  # the headers (Content-Length) stay the GET's
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


# Bytes of one request body.  The largest real one (a dividend for 10,000 households) is about
# 110 kB.  Bodies are read whole before any check, the login's too: uncapped, one unauthenticated
# 300 MB POST took the server to 1 GB of memory.
MAX_BODY = 1 << 20
_TOO_LARGE = "Content Too Large"


class BodyCap:
    """413 ``{"detail": "Content Too Large"}`` for a body over :data:`MAX_BODY`: at once when its
    Content-Length says so, else as soon as the chunks read pass it.  (FastAPI's own
    ``max_body_size`` answers in plain text, not the API's JSON.)  Plain ASGI."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            await JSONResponse({"detail": _TOO_LARGE}, status_code=413)(scope, receive, send)
            return
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > MAX_BODY:  # an HTTPException: FastAPI lets it through, the app's handler answers
                raise StarletteHTTPException(413, _TOO_LARGE)
            return message

        await self.app(scope, counted, send)


def _load_default_park(settings: Settings) -> Park | None:
    path = settings.data_dir / "park.yaml"
    return load_park(path) if path.exists() else None


def create_app(
    settings: Settings | None = None,
    *,
    store: TelemetryStore | None = None,
    park: Park | None = None,
    config: ApiConfig | None = None,
) -> FastAPI:
    """Build the app.  The database must be migrated first (``eggwatch db upgrade``)."""
    settings = settings or load_settings()
    config = config or load_api_config()
    install_access_log_filter()  # no national ID from a query string in the access log
    engine = make_engine(settings.sql_url)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        title="eggwatch",
        version="1",
        description="Workforce, shifts, piece-rate pay, household wages and poverty-office reports.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.config = config
    app.state.keys = Keys.from_secret(settings.secret_key)
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.read_sessions = make_sessionmaker(_read_engine(engine))
    app.state.telemetry = _store_opener(settings, store)
    app.state.park = park if park is not None else _load_default_park(settings)
    app.state.figures = FiguresCache()  # the page's figures: once a minute, not once a request
    # In SQL, so every worker process shares the counts (with --workers N, not N × the limit).
    app.state.login_throttle = LoginThrottle(
        engine, config.login_attempts_per_minute, app.state.keys.throttle
    )

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(StoreUnavailable)
    async def _no_store(_request: Request, exc: StoreUnavailable) -> JSONResponse:
        return JSONResponse({"detail": f"telemetry store unavailable: {exc}"}, status_code=503)

    @app.exception_handler(InvalidTag)
    async def _wrong_key(_request: Request, exc: InvalidTag) -> JSONResponse:
        # A changed key, or a sealed value moved to another row or column (bound to its own).
        log.error(
            "an encrypted field does not decrypt: EGGWATCH_SECRET_KEY differs from the one used to "
            "write it, or the value was moved or altered in the database"
        )
        return JSONResponse(
            {"detail": "encrypted data unreadable: the secret key has changed or the data was altered"},
            status_code=503,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            exc.headers = {**(exc.headers or {}), "Allow": allowed_methods(app, request)}
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(exc)}, status_code=422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _no_database(_request: Request, exc: Exception) -> JSONResponse:
        # PostgreSQL restarting or unreachable, SQLite locked past its timeout, no pooled connection
        # free: was a plain-text 500.  A retry can succeed: pool_pre_ping replaces the dead
        # connections once the server is back.
        log.error("database unavailable: %s", str(exc).splitlines()[0])
        return JSONResponse(
            {"detail": "database unavailable, try again shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(IntegrityError)
    async def _conflict(_request: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"detail": "conflicts with existing data"}, status_code=409)

    # Everything the app serves: the workforce API (/api/v1), the alerts (/api/v1/alerts), the page.
    for router in (api_router, alerts_router, web_router):
        app.include_router(router)
    document_errors(app)  # 401/403/404 and the {"detail": ...} body in /openapi.json
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyCap)
    return app
