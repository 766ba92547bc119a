"""docker-compose.yml, Dockerfile and .env.example, checked without Docker (it cannot run here):
the compose file is valid against the Compose Specification's JSON schema (vendored, see
compose-spec.SOURCE.md), every eggwatch service runs a real CLI command, every mounted file
exists, every secret must come from .env, and the Dockerfile is multi-stage and non-root."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import typer
import yaml

from eggwatch.cli import app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
EGGWATCH = {name: s for name, s in SERVICES.items() if str(s.get("image", "")).startswith("eggwatch:")}
_VAR = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def env_example() -> dict[str, str]:
    out = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""
    if isinstance(node, str):

        def one(m: re.Match[str]) -> str:
            name, op, arg = m.group(1), m.group(2), m.group(3)
            if env.get(name):
                return env[name]
            if op and op.endswith("?"):
                raise AssertionError(f"required variable {name} unset: {arg}")
            return arg if op and op.endswith("-") else ""

        return _VAR.sub(one, node).replace("$$", "$")
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    return node


def test_compose_file_is_valid_against_the_compose_spec_schema() -> None:
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
    doc = interpolate(COMPOSE, {k: "x" * 32 for k in env_example()} | {"EGGWATCH_VERSION": "0.1.0"})
    # The spec declares draft 2019-09 by an old spelling of its URI ("http://…/schema#") that
    # jsonschema no longer looks up: name the draft rather than let it guess the latest.
    assert "2019-09" in schema["$schema"]
    errors = sorted(jsonschema.Draft201909Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_every_required_secret_comes_from_env_and_has_no_working_default() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = env_example()
    assert required <= set(example), required - set(example)
    secrets = {k for k in example if re.search(r"PASSWORD|SECRET", k)}
    assert secrets <= required | {k for k in secrets if k.startswith("MQTT_PASSWORD_")}
    for key in secrets:
        assert example[key] == "CHANGE-ME", key  # a placeholder, never a usable value
    with pytest.raises(AssertionError, match="required variable"):
        interpolate(COMPOSE, {})  # compose refuses to start without them


def test_images_are_pinned() -> None:
    for name, service in SERVICES.items():
        image = service["image"]
        _repo, _, tag = image.partition(":")
        assert tag and tag != "latest" and re.search(r"\d+\.\d+", tag), (name, image)


def _parse(args: list[str]) -> Any:
    """Parse a command line the way `eggwatch` would, without running it (unknown options fail)."""
    group = typer.main.get_command(app)
    ctx = group.make_context("eggwatch", list(args))
    cmd: Any = group
    while hasattr(cmd, "resolve_command"):  # a group: descend into the sub-command
        rest = [*getattr(ctx, "protected_args", getattr(ctx, "_protected_args", [])), *ctx.args]
        name, sub, rest = cmd.resolve_command(ctx, rest)
        assert sub is not None and name is not None, args
        ctx = sub.make_context(name, rest, parent=ctx)
        cmd = sub
    return ctx


@pytest.mark.parametrize("name", sorted(EGGWATCH))
def test_every_eggwatch_service_runs_a_real_cli_command(name: str) -> None:
    command = EGGWATCH[name]["command"]
    ctx = _parse(command)
    assert ctx.command.callback is not None
    assert not ctx.args, f"{name}: unexpected arguments {ctx.args}"


def test_two_ingest_replicas_share_one_subscription_group() -> None:
    ingest = [s for s in EGGWATCH.values() if s["command"][0] == "ingest"]
    assert len(ingest) == 2
    assert all(s["command"][1:3] == ["--group", "ingest"] for s in ingest)
    # Distinct, stable client ids: one persistent session and one (locked) spool each.
    ids = {s["command"][s["command"].index("--client-id") + 1] for s in ingest}
    assert len(ids) == 2
    assert len({s["volumes"][0] for s in ingest}) == 2  # each its own spool


def test_every_mounted_file_exists() -> None:
    mounts = [(name, v) for name, s in SERVICES.items() for v in s.get("volumes", [])]
    binds = [(name, v.split(":")[0]) for name, v in mounts if v.startswith("./")]
    assert len(binds) >= 8
    for name, source in binds:
        assert (ROOT / source).exists(), f"{name}: {source} is missing"
    named = {v.split(":")[0] for _, v in mounts if not v.startswith(("./", "/"))}
    assert named <= set(COMPOSE["volumes"]), named - set(COMPOSE["volumes"])


def test_healthchecks_guard_every_dependency() -> None:
    for name, service in SERVICES.items():
        for dep, cond in service.get("depends_on", {}).items():
            condition = cond["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[dep], f"{name} waits for {dep}, which has no healthcheck"
            else:
                assert condition == "service_completed_successfully", (name, dep)
                assert SERVICES[dep]["restart"] == "no", dep
    assert SERVICES["api"]["healthcheck"]["test"]


def test_mounted_gateway_park_and_alerts_files_are_valid() -> None:
    from analytics.alerts.config import load_alerts_config
    from eggwatch.park import load_park
    from eggwatch.settings import load_settings
    from gateway.serial_config import load_serial_config

    load_alerts_config(ROOT / "deploy" / "eggwatch" / "alerts.yaml", load_settings())
    config = load_serial_config(ROOT / "deploy" / "gateway" / "serial.yaml")
    park = load_park(ROOT / "deploy" / "eggwatch" / "park.yaml")
    units = {h.unit for h in park.houses} | {line.unit for line in park.lines}
    assert {d.unit for bus in config.buses for d in bus.devices} <= units
    serial = SERVICES["gateway-serial"]
    assert serial["profiles"] == ["serial"] and serial["devices"]
    # Its MQTT user may publish for every unit its config names.
    acl = (ROOT / "deploy" / "mosquitto" / "acl").read_text()
    user = re.search(r"mqtt://([\w-]+):", serial["environment"]["EGGWATCH_MQTT_URL"]).group(1)  # type: ignore[union-attr]
    section = acl.split(f"user {user}\n")[1].split("\nuser ")[0]
    for unit in {d.unit for bus in config.buses for d in bus.devices}:
        assert f"topic write eggwatch/v1/{park.site}/{unit}/+" in section


def test_mqtt_users_have_passwords_and_acl_sections() -> None:
    passwd_env = SERVICES["mosquitto-passwd"]["environment"]
    users = {
        k.removeprefix("MQTT_PASSWORD_").lower().replace("_", "-")
        for k in passwd_env
        if k.startswith("MQTT_PASSWORD_")
    }
    acl_users = set(re.findall(r"^user (\S+)$", (ROOT / "deploy" / "mosquitto" / "acl").read_text(), re.M))
    assert users == acl_users
    for name, service in EGGWATCH.items():
        url = service.get("environment", {}).get("EGGWATCH_MQTT_URL")
        if url:
            assert re.match(r"mqtt://([\w-]+):", url).group(1) in users, name  # type: ignore[union-attr]


def test_grafana_gets_every_variable_its_provisioning_needs() -> None:
    lines = (ROOT / "dashboards" / "provisioning" / "datasources" / "eggwatch.yaml").read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    needed = set(re.findall(r"\$\{(\w+)\}", text))
    assert needed <= set(SERVICES["grafana"]["environment"]), needed - set(SERVICES["grafana"]["environment"])


def test_dockerfile_is_multi_stage_non_root_without_build_tools() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert len(stages) >= 2
    final = stages[-1]
    assert re.search(r"^USER (?!root|0)\S+", final, re.M)
    assert "COPY --from=build" in final
    assert not re.search(r"apt-get install|gcc|build-essential|pip install", final)
    assert re.search(r'^ENTRYPOINT \["eggwatch"\]', final, re.M)
    ignore = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".env", "var"} <= set(ignore)


def check_secrets(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = ROOT / "deploy" / "check-secrets.sh"
    return subprocess.run(
        ["/bin/sh", str(script)], env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True
    )


def test_preflight_refuses_placeholders_and_short_secrets() -> None:
    example = env_example()
    secrets = {k for k in example if re.search(r"PASSWORD|SECRET_KEY", k)}
    r = check_secrets(example)
    assert r.returncode == 2
    assert {k for k in secrets if f"{k} is still the CHANGE-ME placeholder" in r.stderr} == secrets, r.stderr
    good = example | {k: secrets_value(k) for k in secrets}
    assert check_secrets(good).returncode == 0
    short = check_secrets(good | {"POSTGRES_PASSWORD": "x" * 15, "EGGWATCH_SECRET_KEY": "y" * 31})
    assert short.returncode == 2
    assert (
        "POSTGRES_PASSWORD is shorter than 16" in short.stderr
        and "EGGWATCH_SECRET_KEY is shorter than 32" in short.stderr
    )
    assert check_secrets({}).returncode == 2  # no .env at all


def secrets_value(name: str) -> str:
    return "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"[: 32 if name == "EGGWATCH_SECRET_KEY" else 20]


def test_every_service_waits_for_the_preflight() -> None:
    def needs(name: str) -> set[str]:
        deps = set(SERVICES[name].get("depends_on", {}))
        return deps | {d for dep in deps for d in needs(dep)}

    assert SERVICES["preflight"]["env_file"] == ".env"
    assert all("preflight" in needs(name) for name in SERVICES if name != "preflight"), [
        name for name in SERVICES if name != "preflight" and "preflight" not in needs(name)
    ]


def test_the_readme_push_command_gives_the_datasources_every_variable_they_need() -> None:
    """deploy/README.md's `docker compose run` for a Grafana run elsewhere, as compose would run
    it: its service's environment must fill the datasource provisioning file (the api's did not:
    "needs the environment variable EGGWATCH_GRAFANA_INFLUX_URL", exit 2)."""
    from eggwatch.grafana import load_datasources

    readme = (ROOT / "deploy" / "README.md").read_text()
    m = re.search(r"`docker compose run --rm ([\w-]+)((?: [^`]+)?)`", readme[readme.index("run elsewhere") :])
    assert m, "the README gives no push command"
    env = env_example() | {
        "INFLUXDB_READ_USER_PASSWORD": "r" * 20,
        "POSTGRES_GRAFANA_PASSWORD": "p" * 20,
        "GRAFANA_PUSH_URL": "https://grafana.example",
        "GRAFANA_PUSH_TOKEN": "glsa_test",
        "GRAFANA_INFLUX_URL": "http://192.0.2.10:8086",
        "GRAFANA_PG_HOST": "192.0.2.10:5432",
    }
    service = interpolate(SERVICES[m.group(1)], env)
    args = m.group(2).split() or service["command"]
    ctx = _parse(args)
    assert ctx.command.name == "push" and ctx.params["datasources"], args
    sources = {ds["uid"]: ds for ds in load_datasources(ROOT / "dashboards", service["environment"])}
    assert sources["eggwatch-influxdb"]["url"] == "http://192.0.2.10:8086"
    assert sources["eggwatch-postgres"]["url"] == "192.0.2.10:5432"
    assert sources["eggwatch-influxdb"]["secureJsonData"]["password"] == "r" * 20
