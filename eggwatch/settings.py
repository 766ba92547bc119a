"""Runtime configuration from ``EGGWATCH_*`` environment variables (CONTRACTS §2).

Settings are built by :func:`load_settings`, never at import time, so tests and sub-commands can
set the environment first.  Insecure or contradictory values are refused with a one-line
:class:`ConfigError` that the CLI prints before exiting non-zero.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

from pydantic import AfterValidator, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# \Z, not $: "$" also matches before a final newline.
SITE_RE = re.compile(r"^[a-z0-9_-]+\Z")
_WEAK_SECRETS = {"secret", "changeme", "change-me", "password", "eggwatch", "default", "test"}
MIN_SECRET_LEN = 32
# A random key of 32+ characters has many distinct ones: 32 hex digits have fewer than 8 with a
# probability of 4e-8, token_urlsafe(32) practically never.
MIN_SECRET_DISTINCT = 8
# Words that mark a placeholder someone forgot to replace (6+ letters: a random 43-character
# token_urlsafe key contains one of them by chance with a probability below 1e-6).
_PLACEHOLDER_WORDS = (
    "changeme", "change-me", "change_me", "secret", "password", "passwd", "placeholder", "example",
    "default", "eggwatch", "insecure", "replace",
)  # fmt: skip


def _period(s: str) -> int:
    """The shortest ``p`` with ``s[i] == s[i + p]`` for every ``i`` (KMP failure function)."""
    fail = [0] * len(s)
    k = 0
    for i in range(1, len(s)):
        while k and s[i] != s[k]:
            k = fail[k - 1]
        if s[i] == s[k]:
            k += 1
        fail[i] = k
    return len(s) - (fail[-1] if s else 0)


def secret_weakness(raw: str) -> str | None:
    """Why ``raw`` is not an acceptable secret key, or ``None``.  Simple rules, each for a key
    someone typed rather than generated: too short, too few distinct characters, a short pattern
    repeated, a placeholder word."""
    if raw.lower() in _WEAK_SECRETS or len(raw) < MIN_SECRET_LEN:
        return f"shorter than {MIN_SECRET_LEN} characters"
    if len(set(raw)) < MIN_SECRET_DISTINCT:
        return f"fewer than {MIN_SECRET_DISTINCT} distinct characters"
    if _period(raw) <= len(raw) // 2:
        return "a short pattern repeated"
    low = raw.lower()
    word = next((w for w in _PLACEHOLDER_WORDS if w in low), None)
    if word is not None:
        return f"contains the placeholder word {word!r}"
    return None


# EGGWATCH_* variables that are not :class:`Settings` fields: the API's pay policy and token
# settings (``api.config.ApiConfig``, a test keeps this list complete), the compose file's image tag
# and Grafana's provisioning.  The tests' own servers are EGGWATCH_TEST_*.
OTHER_VARIABLES = frozenset({
    "EGGWATCH_MIN_WAGE_TIER", "EGGWATCH_MIN_WAGE_MONTHLY", "EGGWATCH_MIN_WAGE_HOURLY",
    "EGGWATCH_POVERTY_LINE_YEARLY", "EGGWATCH_TOKEN_TTL_MINUTES", "EGGWATCH_LOGIN_ATTEMPTS_PER_MINUTE",
    "EGGWATCH_COUNT_TOLERANCE_PCT", "EGGWATCH_VERSION", "EGGWATCH_GRAFANA_PG_HOST",
    "EGGWATCH_GRAFANA_INFLUX_URL",
})  # fmt: skip
_TEST_PREFIX = "EGGWATCH_TEST_"
_warned: set[str] = set()


# The SQL tables that record a site (alerts) hold 64 characters.
MAX_SITE_LEN = 64


def check_site(v: str | None) -> str | None:
    """A site id as used in topics (``[a-z0-9_-]+``); ``None`` means "take EGGWATCH_SITE"."""
    if v is not None and not SITE_RE.match(v):
        raise ValueError(f"site {v!r} must match [a-z0-9_-]+")
    if v is not None and len(v) > MAX_SITE_LEN:
        raise ValueError(f"site {v[:20]!r}... is {len(v)} characters; at most {MAX_SITE_LEN}")
    return v


# For config files whose optional ``site:`` falls back to EGGWATCH_SITE.
OptionalSite = Annotated[str | None, AfterValidator(check_site)]


# A URL's password: from the ":" after the user name to the last "@" (so an unencoded "/", "#",
# "?" or "@" in it, which urlsplit would cut at, is still covered).
_URL_PASSWORD = re.compile(r"(//[^/@:]*:).*@")


def redact_url(url: str) -> str:
    """``url`` for an error message: its password, if any, replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\1***@", url, count=1)


def _hint(url: str) -> str:
    return " (percent-encode / # ? @ in the user name or password)" if "@" in url else ""


class ConfigError(Exception):
    """Bad configuration: the message is one line meant for the operator."""


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """An MQTT broker parsed from ``mqtt://[user:pass@]host:port`` (``mqtts://`` for TLS)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ConfigError(
                f"EGGWATCH_MQTT_URL must start with mqtt:// or mqtts://, got {redact_url(url)!r}"
            )
        if not parts.hostname:
            raise ConfigError(f"EGGWATCH_MQTT_URL has no host: {redact_url(url)!r}")
        try:
            port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        except ValueError as exc:
            raise ConfigError(f"EGGWATCH_MQTT_URL has a bad port: {redact_url(url)!r}{_hint(url)}") from exc
        if parts.path not in ("", "/"):
            raise ConfigError(f"EGGWATCH_MQTT_URL must not have a path: {redact_url(url)!r}{_hint(url)}")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        if password and not user:
            raise ConfigError("EGGWATCH_MQTT_URL has a password but no user name")
        return cls(parts.hostname, port, user, password, parts.scheme == "mqtts")

    def __str__(self) -> str:  # never prints the password
        auth = f"{self.username}:***@" if self.username else ""
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{auth}{self.host}:{self.port}"


class Settings(BaseSettings):
    """All ``EGGWATCH_*`` variables.  Use :func:`load_settings` to build one."""

    model_config = SettingsConfigDict(
        env_prefix="EGGWATCH_", extra="ignore", frozen=True, populate_by_name=True
    )

    mqtt_url: str | None = None
    influx_url: str | None = None
    influx_db: str = "eggwatch"
    influx_token: SecretStr | None = None
    influx_user: str | None = None
    influx_password: SecretStr | None = None
    database_url: str | None = None
    data_dir: Path = Path("./var")
    site: str = "jinji"
    secret_key_value: SecretStr | None = Field(default=None, validation_alias="EGGWATCH_SECRET_KEY")

    @field_validator("site")
    @classmethod
    def _site(cls, v: str) -> str:
        if not SITE_RE.match(v):
            raise ValueError(f"EGGWATCH_SITE must match [a-z0-9_-]+, got {v!r}")
        if len(v) > MAX_SITE_LEN:
            raise ValueError(f"EGGWATCH_SITE is {len(v)} characters; at most {MAX_SITE_LEN}")
        return v

    @field_validator("database_url")
    @classmethod
    def _database(cls, v: str | None) -> str | None:
        # A misspelt scheme, or a driver that is not installed, would otherwise surface as a
        # traceback from the first command that connects: the dialect and its driver are looked
        # up here (importing the driver costs what the first connection would anyway).
        if not v:
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            dialect = make_url(v.replace("postgresql://", "postgresql+psycopg://", 1)).get_dialect()
        except (ArgumentError, ValueError) as exc:
            raise ValueError(f"EGGWATCH_DATABASE_URL is not a usable SQLAlchemy URL: {exc}") from None
        try:
            dialect.import_dbapi()
        except ImportError as exc:
            raise ValueError(
                f"EGGWATCH_DATABASE_URL needs the database driver {exc.name or exc}, which is not installed"
            ) from None
        return v

    @field_validator("influx_db")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v or any(c in v for c in '"\n\\'):
            raise ValueError(f"EGGWATCH_INFLUX_DB is not a usable database name: {v!r}")
        return v

    @field_validator("influx_url")
    @classmethod
    def _influx(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"EGGWATCH_INFLUX_URL must be an http(s):// URL, got {redact_url(v)!r}")
        try:
            parts.port  # noqa: B018  (raises for a port that is not 0-65535)
        except ValueError:
            raise ValueError(f"EGGWATCH_INFLUX_URL has a bad port: {redact_url(v)!r}") from None
        return v.rstrip("/")

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        BrokerAddress.parse(v)  # raises ConfigError with a clear message
        return v

    @field_validator("secret_key_value")
    @classmethod
    def _secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or v.get_secret_value() == "":
            return None
        why = secret_weakness(v.get_secret_value())
        if why is not None:
            raise ValueError(
                f"EGGWATCH_SECRET_KEY is too weak ({why}): use at least {MIN_SECRET_LEN} random "
                "characters, e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'` "
                "(or leave it unset to generate one into the data dir)"
            )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.influx_token and (self.influx_user or self.influx_password):
            raise ValueError("set EGGWATCH_INFLUX_TOKEN or EGGWATCH_INFLUX_USER/PASSWORD, not both")
        if bool(self.influx_user) != bool(self.influx_password):
            raise ValueError("EGGWATCH_INFLUX_USER and EGGWATCH_INFLUX_PASSWORD go together")
        if (self.influx_token or self.influx_user) and not self.influx_url:
            raise ValueError("InfluxDB credentials are set but EGGWATCH_INFLUX_URL is not")
        return self

    # -- derived values -------------------------------------------------------------------------

    @property
    def broker(self) -> BrokerAddress:
        """The configured broker, or the local default (``demo`` uses its embedded broker instead)."""
        return BrokerAddress.parse(self.mqtt_url or "mqtt://127.0.0.1:1883")

    @property
    def sql_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'eggwatch.db').resolve()}"

    def path(self, *parts: str) -> Path:
        """A path under the data dir, its parent created."""
        p = self.data_dir.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    @cached_property
    def secret_key(self) -> bytes:
        """Signing/encryption key: from the environment, or generated once into the data dir."""
        if self.secret_key_value is not None:
            return self.secret_key_value.get_secret_value().encode()
        key_file = self.data_dir / "secret.key"
        try:
            if not key_file.exists():
                key_file.parent.mkdir(parents=True, exist_ok=True)
                _create_key(key_file)
            key = key_file.read_bytes().strip()
        except OSError as exc:  # a data dir that is a file, read-only, not ours: one line, no traceback
            why = "not a directory" if isinstance(exc, FileExistsError) else exc.strerror or exc
            raise ConfigError(
                f"cannot keep the secret key in {key_file}: {why}; set "
                "EGGWATCH_SECRET_KEY or make EGGWATCH_DATA_DIR a writable directory"
            ) from None
        if len(key) < MIN_SECRET_LEN:
            raise ConfigError(f"{key_file} holds a key that is too short; delete it to regenerate")
        if flaw := _key_file_flaw(key):
            raise ConfigError(
                f"{key_file} does not hold a usable key ({flaw}); restore it from a backup (a new "
                "key cannot open what this one sealed), or delete it to generate a new one"
            )
        return key

    def configured_secret_key(self) -> bytes | None:
        """The key if one is set or was generated before, else ``None``: for ``eggwatch db upgrade``,
        which needs an existing key to re-seal fields and must not make up a new one (it would not
        open them)."""
        if self.secret_key_value is None and not (self.data_dir / "secret.key").exists():
            return None
        return self.secret_key


def _key_file_flaw(key: bytes) -> str | None:
    """Why the (stripped) content of a key file is not a key, or ``None``.  Only the length was
    checked: 64 NUL bytes (a file zeroed by a crash) were taken as the key.  A generated key is
    64 URL-safe characters; one written by hand may be any printable ASCII without spaces.  No
    placeholder words here: a generated key must never be refused for a word it holds by chance."""
    if not all(0x21 <= b <= 0x7E for b in key):
        return "not one line of printable ASCII"
    text = key.decode("ascii")
    if len(set(text)) < MIN_SECRET_DISTINCT:
        return f"fewer than {MIN_SECRET_DISTINCT} distinct characters"
    if _period(text) <= len(text) // 2:
        return "a short pattern repeated"
    return None


def _create_key(key_file: Path) -> None:
    """Write a new random key to ``key_file`` unless another process does first.  Written whole
    under a temporary name, then hard-linked into place: a process starting at the same moment
    finds no key or the whole key, never an empty file, and the first link wins for all."""
    key = secrets.token_urlsafe(48)
    tmp = key_file.with_name(f".{key_file.name}.{secrets.token_hex(8)}")
    _write_new(tmp, key)
    try:
        os.link(tmp, key_file)
    except FileExistsError:
        pass  # another process's key is in place: use it
    except OSError:  # a file system without hard links (some network shares): create it in place
        with contextlib.suppress(FileExistsError):
            _write_new(key_file, key)
    finally:
        tmp.unlink()


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def known_variables() -> frozenset[str]:
    """Every ``EGGWATCH_*`` variable some part of eggwatch reads."""
    fields = {
        str(f.validation_alias) if isinstance(f.validation_alias, str) else f"EGGWATCH_{name.upper()}"
        for name, f in Settings.model_fields.items()
    }
    return frozenset(fields) | OTHER_VARIABLES


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """``EGGWATCH_*`` variables in ``environ`` that nothing reads, each with the likeliest meant one:
    pydantic-settings ignores them, so ``EGGWATCH_INFLUXDB_URL=…`` would silently leave ingest on
    the embedded store."""
    known = known_variables()
    out = []
    for name in sorted(environ):
        if name.startswith("EGGWATCH_") and name not in known and not name.startswith(_TEST_PREFIX):
            close = difflib.get_close_matches(name, known, n=1)
            out.append(f"{name} (did you mean {close[0]}?)" if close else name)
    return out


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment (plus explicit overrides), or raise :class:`ConfigError`.
    Variables nothing reads are logged as a warning (a typo must not pass for a default)."""
    for name in unknown_variables(os.environ):
        if name not in _warned:  # once a process: commands load their settings more than once
            _warned.add(name)
            logging.getLogger("eggwatch.settings").warning("%s is not an eggwatch setting: ignored", name)
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = str(err.get("msg", exc)).removeprefix("Value error, ")
        raise ConfigError(msg) from None
    except ConfigError:
        raise
