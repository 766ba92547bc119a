"""Config validation: errors name file, line and field; shipped examples load; read plans merge."""

from __future__ import annotations

from pathlib import Path

import pytest

from eggwatch.settings import ConfigError
from gateway.mqtt_config import load_mqtt_config
from gateway.plan import plan_device, transaction_s
from gateway.serial_config import BusConfig, DeviceConfig, load_serial_config

ROOT = Path(__file__).resolve().parents[2]

CONTRACT_EXAMPLE = """\
site: jinji                   # optional; else EGGWATCH_SITE
buses:
  - port: /dev/ttyUSB0        # a device path or any pyserial URL (socket://, rfc2217://)
    baudrate: 9600
    parity: N                 # N | E | O
    stopbits: 1
    timeout_s: 0.5
    devices:
      - unit: house-07
        device: climate-1
        slave: 1
        poll_s: 10
        registers:            # holding registers (function 3) unless `function: input` (4)
          - {address: 0, type: int16,   scale: 0.1, metric: temp_c}
          - {address: 2, type: uint32,  word_order: big, metric: eggs_total, tags: {row: "03"}}
          - {address: 4, type: float32, word_order: big, metric: nh3_ppm}
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "gw.yaml"
    p.write_text(text)
    return p


def test_the_contract_example_loads(tmp_path: Path) -> None:
    cfg = load_serial_config(write(tmp_path, CONTRACT_EXAMPLE))
    dev = cfg.buses[0].devices[0]
    assert cfg.site == "jinji" and dev.registers[1].tags == {"row": "03"}
    assert [(b.start, b.count) for b in plan_device(dev)] == [(0, 1), (2, 4)]


@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ("type: float32", "type: float64", 16, "registers[2].type", "int16"),
        ("metric: nh3_ppm", "metric: ammonia", 16, "registers[2].metric", "unknown metric"),
        ("address: 4", "address: 3", 9, "devices[0]", "overlaps"),
        ("parity: N ", "parity: X ", 5, "buses[0].parity", "'N'"),
        ("slave: 1\n", "slave: 300\n", 11, "devices[0].slave", "247"),
        ("unit: house-07", "unit: House 7", 9, "devices[0].unit", "[a-z0-9_-]"),
        ("unit: house-07", 'unit: "house-07\\n"', 9, "devices[0].unit", "[a-z0-9_-]"),  # "$" before "\n"
        ('row: "03"', "Row: 3", 15, "registers[1].tags", "tag key"),
        ("poll_s: 10", "poll_s: 10\n        colour: red", 13, "devices[0].colour", "Extra inputs"),
        # 7 data bits is Modbus ASCII framing: an RTU frame's bytes above 0x7f cannot go over it.
        ("stopbits: 1", "stopbits: 1\n    bytesize: 7", 7, "buses[0].bytesize", "8 data bits"),
    ],
)
def test_errors_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str, words: str
) -> None:
    assert old in CONTRACT_EXAMPLE
    path = write(tmp_path, CONTRACT_EXAMPLE.replace(old, new, 1))
    with pytest.raises(ConfigError) as err:
        load_serial_config(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert field in msg and words in msg and "\n" not in msg


def test_bytesize_8_may_still_be_written() -> None:
    assert BusConfig.model_validate({"port": "x", "bytesize": 8, "devices": [_device_dict()]}).bytesize == 8


def test_yaml_syntax_and_missing_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"gw.yaml:3: not valid YAML"):
        load_serial_config(write(tmp_path, "buses:\n  - port: x\n   bad: [\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_serial_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="duplicate key 'port'"):
        load_serial_config(write(tmp_path, "buses:\n  - port: a\n    port: b\n"))


def test_shipped_examples_load() -> None:
    serial = sorted((ROOT / "firmware_stubs").glob("*/gateway.yaml")) + sorted(
        (ROOT / "gateway/examples").glob("serial-*.yaml")
    )
    mqtt = sorted((ROOT / "gateway/examples").glob("mqtt-*.yaml"))
    assert len(serial) >= 5 and len(mqtt) >= 2
    for p in serial:
        load_serial_config(p)
    for p in mqtt:
        load_mqtt_config(p)


def _device(regs: list[dict[str, object]]) -> DeviceConfig:
    return DeviceConfig.model_validate(
        {"unit": "u", "device": "d", "slave": 1, "poll_s": 1, "registers": regs}
    )


def test_plan_merges_contiguous_same_function_and_splits_at_125() -> None:
    regs: list[dict[str, object]] = [
        {"address": a, "type": "uint32", "metric": "eggs_total", "tags": {"row": str(a)}}
        for a in range(0, 260, 2)
    ]
    regs.append({"address": 0, "type": "int16", "metric": "temp_c", "function": "input"})
    regs.append({"address": 1, "type": "int16", "metric": "rh_pct", "function": "input"})
    regs.append({"address": 5, "type": "int16", "metric": "nh3_ppm", "function": "input"})  # gap: own read
    blocks = plan_device(_device(regs))
    holding = [(b.start, b.count) for b in blocks if b.function == 3]
    assert holding == [(0, 124), (124, 124), (248, 12)]  # 32-bit values never split across reads
    assert [(b.start, b.count) for b in blocks if b.function == 4] == [(0, 2), (5, 1)]
    assert all(b.count <= 125 for b in blocks)


def test_rtu_timing() -> None:
    bus9600 = BusConfig.model_validate({"port": "x", "baudrate": 9600, "devices": [_device_dict()]})
    assert bus9600.bits_per_char == 10
    assert bus9600.frame_gap_s == pytest.approx(3.5 * 10 / 9600)
    fast = BusConfig.model_validate(
        {"port": "x", "baudrate": 115200, "parity": "E", "devices": [_device_dict()]}
    )
    assert fast.frame_gap_s == 0.00175 and fast.bits_per_char == 11
    block = plan_device(bus9600.devices[0])[0]
    # 8-byte request + 5+2 byte answer, 10 bits a byte, plus two 3.5-character gaps
    assert transaction_s(bus9600, block) == pytest.approx((15 + 7) * 10 / 9600)


def _device_dict() -> dict[str, object]:
    return {
        "unit": "u",
        "device": "d",
        "slave": 1,
        "poll_s": 1,
        "registers": [{"address": 0, "type": "int16", "metric": "temp_c"}],
    }


def test_mqtt_config_errors_name_the_line(tmp_path: Path) -> None:
    text = (ROOT / "gateway/examples/mqtt-flat-json.yaml").read_text()
    p = write(tmp_path, text.replace("from_unit: m3", "from_unit: gallons"))
    with pytest.raises(ConfigError, match=r"gw.yaml:\d+: mappings\[2\]\.fields\[0\]: .*gallons"):
        load_mqtt_config(p)
    p = write(tmp_path, text.replace('unit: "house-{house}"', 'unit: "house-{barn}"', 1))
    with pytest.raises(ConfigError, match=r"mappings\[0\]: unit uses \['barn'\]"):
        load_mqtt_config(p)
    homie = (ROOT / "gateway/examples/mqtt-homie.yaml").read_text()
    p = write(
        tmp_path,
        homie.replace("repeat: {every_s: 300, for_s: 86400}", "repeat: {every_s: 300, for_s: 60}", 1),
    )
    with pytest.raises(ConfigError, match=r"gw.yaml:\d+: mappings\[0\]\.repeat: .*for_s \(60\) is shorter"):
        load_mqtt_config(p)


def _serial(tmp_path: Path, register: str, publish: str = "{}") -> Path:
    return write(
        tmp_path,
        "buses:\n- port: /dev/null\n  devices:\n"
        f"  - {{unit: u, device: d, slave: 1, poll_s: 1, registers: [{register}]}}\n"
        f"publish: {publish}\n",
    )


@pytest.mark.parametrize(
    ("register", "publish", "words"),
    [
        ("{address: 0, type: int16, metric: temp_c, tags: {1: x}}", "{}", "tag key 1 must be a name"),
        ("{address: 0, type: int16, metric: temp_c, tags: {row: null}}", "{}", "tag row has no value"),
        ("{address: 0, type: int16, metric: temp_c, tags: {row: yes}}", "{}", "quote the value"),
        ("{address: 0, type: int16, metric: temp_c, scale: .nan}", "{}", "scale: Input should be a finite"),
        ("{address: 0, type: int16, metric: temp_c, offset: .inf}", "{}", "offset: Input should be a finite"),
        (
            "{address: 0, type: int16, metric: temp_c}",
            "{spool_max_mb: .inf}",
            "spool_max_mb: Input should be",
        ),
        ("{address: 0, type: int16, metric: temp_c}", "{spool_max_mb: 0.5}", "cannot hold two full batches"),
    ],
)
def test_serial_values_that_could_only_fail_later_are_refused_at_load(
    tmp_path: Path, register: str, publish: str, words: str
) -> None:
    # before: a TypeError traceback, a tag published as "None", NaN readings, an OverflowError at run time
    with pytest.raises(ConfigError) as err:
        load_serial_config(_serial(tmp_path, register, publish))
    assert words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("mapping", "words"),
    [
        ("{name: a, topic: 'x/{h}/env', unit: 'House-{h}', device: d, fields: [{path: t, metric: temp_c}]}",
         "unit 'House-{h}' must give [a-z0-9_-]+"),
        ("{name: a, topic: 'x/{h}/env', unit: 'h-{h}', device: 'env/1', fields: [{path: t, metric: temp_c}]}",
         "device 'env/1' must give"),
        ("{name: a, topic: 'x/{h}/env', unit: 'h-{h}', device: d, tags: {Row: '{h}'}, fields: [{path: t, metric: temp_c}]}",
         "tag key 'Row' is reserved or not"),
        ("{name: a, topic: 'x/{h}/env', unit: 'h-{h}', device: d, tags: {site: x}, fields: [{path: t, metric: temp_c}]}",
         "tag key 'site' is reserved"),
        ("{name: a, topic: 'x/{h}/env', unit: 'h-{h}', device: d, fields: [{path: t, metric: temp_c, tags: {Row: '1'}}]}",
         "tag key 'Row' is reserved"),
        ("{name: a, topic: 'x/{h}/env', unit: 'h-{h}', device: d, fields: [{path: t, metric: temp_c, tags: {row: null}}]}",
         "tag row has no value"),
        ("{name: a, topic: 'x/{h}/env', unit: 'h-{h}', device: d, fields: [{path: t, metric: temp_c, scale: .nan}]}",
         "Input should be a finite number"),
    ],
)  # fmt: skip
def test_mqtt_templates_and_tags_that_could_only_give_dead_letters_are_refused_at_load(
    tmp_path: Path, mapping: str, words: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_mqtt_config(write(tmp_path, f"mappings:\n- {mapping}\n"))
    assert words in str(err.value) and "\n" not in str(err.value)


def test_mqtt_templates_whose_captures_fill_in_are_accepted(tmp_path: Path) -> None:
    cfg = load_mqtt_config(
        write(
            tmp_path,
            "mappings:\n- {name: a, topic: 'x/{h}/{d}', unit: 'house-{h}', device: '{d}', "
            "tags: {row: 'r{h}'}, fields: [{path: t, metric: temp_c, tags: {probe: 3}}]}\n",
        )
    )
    assert cfg.mappings[0].fields[0].tags == {"probe": "3"}


def test_an_unusable_spool_dir_is_one_line_at_check_and_at_run_time(tmp_path: Path) -> None:
    import subprocess
    import sys

    from gateway.publisher import prepare_dir

    (tmp_path / "file").write_text("")
    bad = tmp_path / "file" / "spool"  # under a regular file: cannot be created, even as root
    with pytest.raises(ConfigError, match=f"spool directory {bad}: Not a directory"):
        prepare_dir(bad)
    reg = "{address: 0, type: int16, metric: temp_c}"
    config = _serial(tmp_path, reg, f"{{spool_dir: '{bad}'}}")
    res = subprocess.run(
        [sys.executable, "-m", "eggwatch.cli", "gateway", "serial", "--check", "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert res.returncode == 2 and res.stderr.strip().splitlines() == [
        f"eggwatch: error: configuration: spool directory {bad}: Not a directory"
    ]


def test_mqtt_check_prints_each_mapping_and_its_repeat() -> None:
    import subprocess
    import sys

    res = subprocess.run(
        [sys.executable, "-m", "eggwatch.cli", "gateway", "mqtt", "--check", "--config",
         str(ROOT / "gateway/examples/mqtt-homie.yaml")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == (
        "homie-temperature: homie/+/air/temperature → house-{house}/homie-climate "
        "(1 fields, repeated every 300 s for 86400 s)"
    )
    assert lines[-1].endswith("homie-scale (1 fields)")  # the bird scale is not repeated


def test_check_creates_no_spool_dir(tmp_path: Path) -> None:
    """--check may run as another user or before a volume is mounted: it inspects, it does not create."""
    import subprocess
    import sys

    spool = tmp_path / "var" / "spool" / "gw"
    reg = "{address: 0, type: int16, metric: temp_c}"
    config = _serial(tmp_path, reg, f"{{spool_dir: '{spool}'}}")
    res = subprocess.run(
        [sys.executable, "-m", "eggwatch.cli", "gateway", "serial", "--check", "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert not (tmp_path / "var").exists()


def test_check_dir_refuses_a_file_on_the_way_and_a_read_only_parent(tmp_path: Path) -> None:
    import os

    from gateway.publisher import check_dir

    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="Not a directory"):
        check_dir(tmp_path / "file" / "spool")
    with pytest.raises(ConfigError, match="Not a directory"):
        check_dir(tmp_path / "file")
    check_dir(tmp_path / "a" / "b")  # missing parts are fine: run time creates them
    assert not (tmp_path / "a").exists()
    if os.geteuid() != 0:  # root may write anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        with pytest.raises(ConfigError, match="Permission denied"):
            check_dir(ro / "spool")


@pytest.mark.parametrize(
    ("device", "publish", "where"),
    [
        ("{unit: u, device: d, slave: yes, poll_s: 1, registers: [{address: 0, type: int16, metric: temp_c}]}",
         "{}", "devices[0].slave"),
        ("{unit: u, device: d, slave: 1, poll_s: on, registers: [{address: 0, type: int16, metric: temp_c}]}",
         "{}", "devices[0].poll_s"),
        ("{unit: u, device: d, slave: 1, poll_s: 1, registers: [{address: no, type: int16, metric: temp_c}]}",
         "{}", "registers[0].address"),
        ("{unit: u, device: d, slave: 1, poll_s: 1, registers: [{address: 0, type: int16, metric: temp_c, scale: true}]}",
         "{}", "registers[0].scale"),
        ("{unit: u, device: d, slave: 1, poll_s: 1, registers: [{address: 0, type: int16, metric: temp_c}]}",
         "{batch_size: yes}", "publish.batch_size"),
    ],
)  # fmt: skip
def test_a_yaml_boolean_is_not_taken_for_a_number(
    tmp_path: Path, device: str, publish: str, where: str
) -> None:
    # Before: pydantic took yes/on/true as 1 and no/off/false as 0: `slave: yes` polled slave 1.
    p = write(tmp_path, f"buses:\n- port: /dev/null\n  devices:\n  - {device}\npublish: {publish}\n")
    with pytest.raises(ConfigError) as err:
        load_serial_config(p)
    assert f"{where}: " in str(err.value) and "is a YAML boolean" in str(err.value)


@pytest.mark.parametrize(
    ("replace", "by", "where"),
    [
        ("{path: t, metric: temp_c}", "{path: t, metric: temp_c, scale: yes}", "fields[0].scale"),
        ("{path: t, metric: temp_c}", "{path: t, metric: temp_c, offset: off}", "fields[0].offset"),
        ('device: "env-1"', 'device: "env-1"\n    repeat: {every_s: on}', "repeat.every_s"),
        ("mappings:", "source: {qos: no}\nmappings:", "source.qos"),
    ],
)
def test_a_yaml_boolean_is_not_taken_for_a_number_in_the_mqtt_config(
    tmp_path: Path, replace: str, by: str, where: str
) -> None:
    text = (ROOT / "gateway/examples/mqtt-flat-json.yaml").read_text()
    assert replace in text
    with pytest.raises(ConfigError) as err:
        load_mqtt_config(write(tmp_path, text.replace(replace, by, 1)))
    assert f"{where}: " in str(err.value) and "is a YAML boolean" in str(err.value)


def test_a_timeout_shorter_than_the_answer_on_the_wire_is_refused(tmp_path: Path) -> None:
    # Before: accepted; 120 registers at 9600 Bd take 0.27 s on the wire, so with timeout_s 0.2
    # every poll failed as "timeout: no answer in 0.2s" while the device was answering.
    regs = ", ".join(
        f"{{address: {i}, type: int16, metric: temp_c, tags: {{probe: p{i}}}}}" for i in range(120)
    )
    text = (
        "buses:\n- port: /dev/null\n  baudrate: 9600\n  timeout_s: TIMEOUT\n  devices:\n"
        f"  - {{unit: u, device: d, slave: 1, poll_s: 1, registers: [{regs}]}}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_serial_config(write(tmp_path, text.replace("TIMEOUT", "0.2")))
    assert (
        "buses[0]: timeout_s 0.2 is shorter than the 0.271 s a read of 120 registers from u/d takes"
        in str(err.value)
    )
    assert load_serial_config(write(tmp_path, text.replace("TIMEOUT", "0.3"))).buses[0].timeout_s == 0.3


@pytest.mark.parametrize("kind", ["serial", "mqtt"])
def test_check_refuses_the_environment_the_gateway_would_refuse_at_start(tmp_path: Path, kind: str) -> None:
    # Before: --check read only the file and said nothing (exit 0) where the gateway then stopped
    # at once: an EGGWATCH_SITE that is no topic level, a data directory under a regular file.
    import os
    import subprocess
    import sys

    config = ROOT / "gateway/examples" / ("serial-house.yaml" if kind == "serial" else "mqtt-flat-json.yaml")
    (tmp_path / "file").write_text("")
    spool = tmp_path / "file" / "gateway" / f"{kind}-{config.stem}"
    for env, line in [
        ({"EGGWATCH_SITE": "Bad/site"}, "EGGWATCH_SITE must match [a-z0-9_-]+, got 'Bad/site'"),
        ({"EGGWATCH_DATA_DIR": str(tmp_path / "file")}, f"spool directory {spool}: Not a directory"),
    ]:
        res = subprocess.run(
            [sys.executable, "-m", "eggwatch.cli", "gateway", kind, "--check", "--config", str(config)],
            capture_output=True, text=True, timeout=60, check=False, env={**os.environ, **env},
        )  # fmt: skip
        assert res.returncode == 2 and res.stderr.strip().splitlines() == [
            f"eggwatch: error: configuration: {line}"
        ], res.stderr
