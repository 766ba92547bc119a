"""``eggwatch gateway serial|mqtt``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from gateway.publish_config import PublishConfig

gateway_app = typer.Typer(help="Device gateways: Modbus RTU serial and vendor MQTT.", no_args_is_help=True)


@gateway_app.command("serial")
def serial(
    config: Path = typer.Option(..., "--config", help="register-map YAML (CONTRACTS §5)"),
    status_every: float = typer.Option(60.0, "--status-every", help="seconds between status log lines"),
    check: bool = typer.Option(False, "--check", help="validate the config, print the read plan, exit"),
    metrics_port: int = typer.Option(
        0, "--metrics-port", min=0, max=65535, help="serve Prometheus metrics on 127.0.0.1:PORT (0: off)"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Poll Modbus RTU devices described by the config file and publish readings."""
    from eggwatch.clikit import setup_logging
    from eggwatch.settings import load_settings
    from gateway.serial_config import load_serial_config

    setup_logging(verbose)
    cfg = load_serial_config(config)  # ConfigError → one line, exit 2 (eggwatch.cli.main)
    if check:
        _check_environment("serial", config, cfg.publish)
        from gateway.plan import bus_time_s, plan_device

        for bus in cfg.buses:
            busy, tx = bus_time_s(bus)
            print(f"{bus.port} @ {bus.baudrate} Bd: {tx:.2f} requests/s, bus {100 * busy:.1f}% busy")
            for dev in bus.devices:
                blocks = ", ".join(f"fn{b.function.value} {b.start}+{b.count}" for b in plan_device(dev))
                print(f"  {dev.unit}/{dev.device} slave {dev.slave} every {dev.poll_s:g}s: {blocks}")
        return
    from gateway.serial_gateway import SerialGateway

    gw = SerialGateway.from_file(config, load_settings())
    if metrics_port:
        from gateway.prom import GatewayCollector, serve_metrics

        serve_metrics(metrics_port, GatewayCollector(gw.publisher, gw.buses))
    _run_until_signalled(gw.run, status_every)


@gateway_app.command("mqtt")
def mqtt(
    config: Path = typer.Option(..., "--config", help="vendor mapping YAML"),
    status_every: float = typer.Option(60.0, "--status-every", help="seconds between status log lines"),
    check: bool = typer.Option(False, "--check", help="validate the config, print the subscriptions, exit"),
    metrics_port: int = typer.Option(
        0, "--metrics-port", min=0, max=65535, help="serve Prometheus metrics on 127.0.0.1:PORT (0: off)"
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Translate vendor MQTT topics/payloads described by the config file and publish readings."""
    from eggwatch.clikit import setup_logging
    from eggwatch.settings import load_settings
    from gateway.mqtt_config import load_mqtt_config

    setup_logging(verbose)
    cfg = load_mqtt_config(config)
    if check:
        _check_environment("mqtt", config, cfg.publish)
        for m in cfg.mappings:
            again = f", repeated every {m.repeat.every_s:g} s for {m.repeat.for_s:g} s" if m.repeat else ""
            print(f"{m.name}: {m.subscription} → {m.unit}/{m.device} ({len(m.fields)} fields{again})")
        return
    from gateway.mqtt_gateway import MqttGateway

    gw = MqttGateway.from_file(config, load_settings())
    if metrics_port:
        from gateway.prom import GatewayCollector, serve_metrics

        collector = GatewayCollector(
            gw.publisher,
            dead_letters=lambda: gw.dead.counts,
            repeated=lambda: gw.repeater.repeated,
            retained_skipped=lambda: gw.retained_skipped,
        )
        serve_metrics(metrics_port, collector)
    _run_until_signalled(gw.run, status_every)


def _check_environment(kind: str, config: Path, publish: PublishConfig) -> None:
    """--check: the EGGWATCH_ variables and a spool directory that could not be created or written
    are config errors now, as they would be at start; --check itself creates nothing (it may run
    as another user, or before the volume is mounted)."""
    from eggwatch.settings import load_settings
    from gateway.publisher import check_dir
    from gateway.runtime import state_dir

    check_dir(state_dir(load_settings(), kind, config, publish))


def _run_until_signalled(run: Callable[[threading.Event, float], None], status_every: float) -> None:
    """Run a gateway's loop until SIGTERM or SIGINT sets its stop event."""
    from gateway.runtime import stop_on_signals

    stop = threading.Event()
    stop_on_signals(stop)
    run(stop, status_every)
