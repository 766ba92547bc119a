"""``eggwatch ingest``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from ingest.service import IngestService
    from ingest.workers import Workers


def ingest(
    ctx: typer.Context,
    group: str | None = typer.Option(
        None, "--group", help="shared-subscription group name ($share/NAME/...)"
    ),
    client_id: str | None = typer.Option(
        None,
        "--client-id",
        help="MQTT client id = the persistent session and the state directory; default "
        "eggwatch-ingest[-GROUP]. Every process of a --group needs its own, kept across restarts",
    ),
    site: str | None = typer.Option(None, "--site", help="only subscribe to eggwatch/v1/SITE/#"),
    batch_readings: int = typer.Option(
        10_000, "--batch-readings", help="write when a batch holds this many readings"
    ),
    linger: float = typer.Option(
        0.2, "--linger", help="...or when its first message waited this many seconds"
    ),
    inflight: int = typer.Option(
        2_000, "--inflight", help="unacknowledged messages the broker may send (MQTT 5)"
    ),
    write_concurrency: int = typer.Option(
        2, "--write-concurrency", help="batches written to the store at once"
    ),
    mqtt_protocol: str = typer.Option(
        "5", "--mqtt-protocol", help="5 or 3.1.1 (3.1.1: the broker's window applies)"
    ),
    spool_max_mb: int = typer.Option(1024, "--spool-max-mb", help="disk budget of the outage spool"),
    spool_dir: Path | None = typer.Option(
        None, "--spool-dir", help="default: <data dir>/ingest/<client id>/spool"
    ),
    retry_for: float = typer.Option(
        2.0, "--retry-for", help="seconds of write retries before spooling a batch"
    ),
    gzip_level: int | None = typer.Option(
        None, "--gzip-level", help="gzip level of InfluxDB writes, 0 = off (default: off on loopback, else 1)"
    ),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="serve Prometheus metrics on this port"
    ),
    log_interval: float = typer.Option(30.0, "--log-interval", help="seconds between status lines"),
    session_expiry: int = typer.Option(
        7 * 86400,
        "--session-expiry",
        help="seconds the broker keeps our session and queue while we are down (MQTT 5)",
    ),
    workers: int = typer.Option(
        1, "--workers", help="ingest processes sharing the load in one group (default group: eggwatch-ingest)"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Subscribe to eggwatch/v1/# and write readings to InfluxDB (or the embedded store)."""

    from eggwatch.clikit import fail, setup_logging
    from eggwatch.settings import ConfigError, load_settings
    from eggwatch.spool import SpoolLocked
    from ingest.options import IngestOptions
    from ingest.service import IngestService
    from ingest.workers import Workers, worker_command

    setup_logging(verbose, quiet_http=True)
    settings = load_settings()
    if not 1 <= workers <= 16:
        raise ConfigError("--workers must be between 1 and 16")
    if workers > 1:
        group = group or "eggwatch-ingest"
    cid = client_id or (f"eggwatch-ingest-{group}" if group else "eggwatch-ingest")
    if workers > 1 and spool_dir is not None:
        raise ConfigError("--spool-dir cannot be shared by --workers: each worker keeps its own")
    own_cid = f"{cid}-0" if workers > 1 else cid
    state = settings.data_dir / "ingest" / own_cid
    options = IngestOptions(
        spool_dir=spool_dir or state / "spool",
        dead_letter_path=state / "deadletters.jsonl",
        client_id=own_cid,
        group=group,
        site=site,
        protocol=mqtt_protocol,
        batch_readings=batch_readings,
        linger_s=linger,
        inflight=inflight,
        write_concurrency=write_concurrency,
        spool_max_bytes=spool_max_mb << 20,
        retry_for_s=retry_for,
        gzip_level=gzip_level,
        metrics_port=metrics_port,
        log_interval_s=log_interval,
        session_expiry_s=session_expiry,
    )
    try:
        service = IngestService.from_settings(settings, options)
    except SpoolLocked as exc:
        fail(
            f"{exc}: an ingest with client id {own_cid!r} is already running here; every process "
            "of a --group needs its own --client-id (kept across restarts)",
            code=1,
        )
    extra = None
    if workers > 1:
        assert group is not None
        flags = forwarded_flags(ctx)
        extra = Workers([worker_command(i, group, cid, metrics_port, flags) for i in range(1, workers)])
    _run(service, extra)


# Each worker gets its own of these (worker_command); every other option is passed on as given.
OWN_PER_WORKER = ("group", "client_id", "spool_dir", "metrics_port", "workers")


def forwarded_flags(ctx: typer.Context) -> dict[str, object]:
    """The options the other ``--workers`` processes are started with: all but their own ones, so
    that an option added later reaches them too."""
    return {
        p.opts[0]: ctx.params[p.name]
        for p in ctx.command.params
        if p.param_type_name == "option" and p.name is not None and p.name not in OWN_PER_WORKER
    }


def _run(service: IngestService, extra: Workers | None) -> None:
    """Run until SIGINT/SIGTERM, the service's own failure, or a worker process dying."""
    import logging
    import signal
    import threading

    from eggwatch.clikit import fail
    from eggwatch.settings import ConfigError
    from ingest.service import tune_gc

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    tune_gc()
    try:
        service.start()
    except (ConnectionError, ConfigError) as exc:
        if extra is not None:
            extra.stop()
        fail(str(exc), code=1)
    while not stop.is_set() and not service.wait(timeout=0.5):
        if extra is not None and extra.dead():
            logging.getLogger("ingest").error("a worker process exited (%s): stopping", extra.dead())
            break
    service.stop()
    if extra is not None:
        extra.stop()
    if service.failure is not None:
        fail(f"ingest stopped on an internal error: {service.failure}", code=1)
    if extra is not None and any(extra.dead()):
        fail("a worker process failed", code=1)
