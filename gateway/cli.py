"""``eggwatch gateway serial|mqtt``."""

from __future__ import annotations

from pathlib import Path

import typer

from eggwatch.clikit import NotImplementedYet

gateway_app = typer.Typer(help="Device gateways: Modbus RTU serial and vendor MQTT.", no_args_is_help=True)


@gateway_app.command("serial")
def serial(config: Path = typer.Option(..., "--config", help="register-map YAML (CONTRACTS §5)")) -> None:
    """Poll Modbus RTU devices described by the config file and publish readings."""
    raise NotImplementedYet("eggwatch gateway serial")


@gateway_app.command("mqtt")
def mqtt(config: Path = typer.Option(..., "--config", help="vendor mapping YAML")) -> None:
    """Translate vendor MQTT topics/payloads described by the config file and publish readings."""
    raise NotImplementedYet("eggwatch gateway mqtt")
