from __future__ import annotations

import os
from pathlib import Path

import pytest

from eggwatch.settings import ConfigError, known_variables, load_settings, unknown_variables


def test_defaults(data_dir: Path) -> None:
    s = load_settings()
    assert s.site == "jinji" and s.influx_db == "eggwatch" and s.influx_url is None
    assert s.broker.host == "127.0.0.1" and s.broker.port == 1883
    assert s.sql_url.endswith("eggwatch.db")


def test_secret_key_generated_once_into_data_dir(data_dir: Path) -> None:
    k1 = load_settings().secret_key
    k2 = load_settings().secret_key
    assert k1 == k2 and len(k1) >= 32
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600


def test_secret_key_file_never_seen_half_written(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two processes starting on a fresh data dir: the file was created empty, then written; the
    # other one read it empty in between ("holds a key that is too short; delete it", which
    # would lose the key the first one uses) or failed with FileExistsError.
    import secrets

    key_file = data_dir / "secret.key"
    make = secrets.token_urlsafe

    def check_then_make(n: int) -> str:
        assert not key_file.exists(), "the key file exists before its key is written"
        return make(n)

    monkeypatch.setattr(secrets, "token_urlsafe", check_then_make)
    assert load_settings().secret_key == key_file.read_text().encode()


def test_secret_key_made_meanwhile_by_another_process_wins(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secrets

    key_file = data_dir / "secret.key"
    theirs = secrets.token_urlsafe(48)
    make = secrets.token_urlsafe

    def other_process_first(n: int) -> str:
        key_file.write_text(theirs)  # after this process found no file, before it placed its own
        return make(n)

    monkeypatch.setattr(secrets, "token_urlsafe", other_process_first)
    assert load_settings().secret_key == theirs.encode()
    assert [p.name for p in data_dir.iterdir()] == ["secret.key"]  # no temporary file left


def test_secret_key_made_where_hard_links_are_not_supported(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some network shares refuse hard links (EPERM): the key is then created in place, as before.
    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    key = load_settings().secret_key
    assert key == (data_dir / "secret.key").read_bytes() and len(key) >= 32
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    assert [p.name for p in data_dir.iterdir()] == ["secret.key"]


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"EGGWATCH_SECRET_KEY": "changeme"}, "too weak"),
        ({"EGGWATCH_MQTT_URL": "http://x:1883"}, "mqtt://"),
        ({"EGGWATCH_INFLUX_URL": "influx:8086"}, "http"),
        ({"EGGWATCH_SITE": "Jin Ji"}, "[a-z0-9_-]"),
        ({"EGGWATCH_SITE": "j" * 65}, "at most 64"),  # the alert table's site column
        (
            {
                "EGGWATCH_INFLUX_URL": "http://h:8086",
                "EGGWATCH_INFLUX_TOKEN": "t",
                "EGGWATCH_INFLUX_USER": "u",
                "EGGWATCH_INFLUX_PASSWORD": "p",
            },
            "not both",
        ),
        ({"EGGWATCH_INFLUX_TOKEN": "t"}, "EGGWATCH_INFLUX_URL"),
        # A port that is no port: ingest spooled forever against :99999, or died with a traceback.
        ({"EGGWATCH_INFLUX_URL": "http://127.0.0.1:8086x"}, "EGGWATCH_INFLUX_URL has a bad port"),
        ({"EGGWATCH_INFLUX_URL": "http://127.0.0.1:99999"}, "EGGWATCH_INFLUX_URL has a bad port"),
    ],
)
def test_refuses_bad_config(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], fragment: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert fragment in str(exc.value) and "\n" not in str(exc.value)


def test_mqtt_url_with_credentials(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EGGWATCH_MQTT_URL", "mqtt://gw%40h7:s3cret@broker:1884")
    b = load_settings().broker
    assert (b.host, b.port, b.username, b.password) == ("broker", 1884, "gw@h7", "s3cret")
    assert "s3cret" not in str(b)


def test_a_misspelt_variable_is_named_with_the_likeliest_meant_one(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"EGGWATCH_INFLUXDB_URL": "http://influx:8086", "EGGWATCH_SITE": "a", "EGGWATCH_TEST_X": "1"}
    assert unknown_variables({**env, "PATH": "/bin"}) == [
        "EGGWATCH_INFLUXDB_URL (did you mean EGGWATCH_INFLUX_URL?)"
    ]
    monkeypatch.setenv("EGGWATCH_INFLUXDB_URL", "http://influx:8086")
    with caplog.at_level("WARNING", logger="eggwatch.settings"):
        load_settings()
        load_settings()  # said once a process
    said = [r.getMessage() for r in caplog.records if "EGGWATCH_INFLUXDB_URL" in r.getMessage()]
    assert said == [
        "EGGWATCH_INFLUXDB_URL (did you mean EGGWATCH_INFLUX_URL?) is not an eggwatch setting: ignored"
    ]


def test_every_variable_the_api_reads_is_known() -> None:
    from api.config import ApiConfig

    assert {f"EGGWATCH_{name.upper()}" for name in ApiConfig.model_fields} <= known_variables()


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("a" * 32, "distinct"),
        ("changemechangemechangemechangeme", "distinct"),
        ("0123456789abcdef" * 2, "pattern"),
        ("Xy7#Xy7#Xy7#Xy7#Xy7#Xy7#Xy7#Xy7#Xy7", "distinct"),
        ("k9Qz-T4wLp2Rv8Nc" * 3, "pattern"),
        ("my-super-secret-key-for-eggwatch-2026", "placeholder"),
        ("Please-Change-Me-Before-Prod-2026-01", "placeholder"),
        ("short-but-random-7Gq", "shorter"),
    ],
)
def test_refuses_low_entropy_secret_keys(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, key: str, why: str
) -> None:
    monkeypatch.setenv("EGGWATCH_SECRET_KEY", key)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    msg = str(exc.value)
    assert "too weak" in msg and why in msg and "\n" not in msg and key not in msg


def test_accepts_random_secret_keys(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    keys = [secrets.token_urlsafe(32) for _ in range(200)] + [secrets.token_hex(16) for _ in range(200)]
    keys += [secrets.token_hex(32), secrets.token_urlsafe(48), "k3y-for-tests-" + "x" * 30]
    for key in keys:
        monkeypatch.setenv("EGGWATCH_SECRET_KEY", key)
        assert load_settings().secret_key == key.encode()


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("EGGWATCH_MQTT_URL", "mqtt://gw:s3cr/et@broker:1883"),  # "/" not percent-encoded
        ("EGGWATCH_MQTT_URL", "mqtt://gw:s3cr#et@broker:1883"),
        ("EGGWATCH_MQTT_URL", "mqtt://gw:s3cr@et@broker:99999"),  # "@" not percent-encoded
        ("EGGWATCH_MQTT_URL", "mqtt://gw:s3cret@broker:99999"),
        ("EGGWATCH_MQTT_URL", "tcp://gw:s3cret@broker:1883"),
        ("EGGWATCH_INFLUX_URL", "ftp://admin:s3cret@influx:8086"),
        ("EGGWATCH_INFLUX_URL", "http://admin:s3cret@influx:8086x"),
    ],
)
def test_a_bad_url_is_refused_without_printing_its_password(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, name: str, url: str
) -> None:
    # The error line goes to the terminal and the service's log: the password must not.
    monkeypatch.setenv(name, url)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert name in str(exc.value) and "***" in str(exc.value)
    assert "s3cr" not in str(exc.value) and "et@" not in str(exc.value)


@pytest.mark.parametrize(
    "content",
    [b"\0" * 64, b"\xff" * 64, b"a" * 64, b"ab" * 32, bytes(range(128, 192)), b"x" * 30 + b"\n" + b"y" * 33],
    ids=["zeros", "not-utf8", "one-char", "pattern", "binary", "two-lines"],
)
def test_a_key_file_with_corrupt_content_is_refused(data_dir: Path, content: bytes) -> None:
    """A key file was only length-checked: 64 NUL bytes (a file zeroed by a crash) were a key, and
    bytes that are not UTF-8 were a traceback.  What the file holds is checked like a key."""
    key_file = data_dir / "secret.key"
    key_file.write_bytes(content)
    with pytest.raises(ConfigError, match=rf"{key_file} does not hold a usable key \(.+\); restore it"):
        load_settings().secret_key  # noqa: B018


def test_a_written_key_file_with_a_final_newline_is_read(data_dir: Path) -> None:
    import secrets

    key = secrets.token_urlsafe(48)
    (data_dir / "secret.key").write_text(key + "\n")
    assert load_settings().secret_key == key.encode()
