"""Loading a YAML config: files that are not text or never end are one ConfigError line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from eggwatch.settings import ConfigError
from eggwatch.yamlconf import load_model


class _Any(BaseModel):
    a: object = None


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\xff\xfe bad", "not UTF-8 text (byte 0 is 0xff)"),  # was a UnicodeDecodeError traceback
        (
            b"a: &a [*a]\n",
            "an anchor refers to itself (or the nesting is far too deep)",
        ),  # was a RecursionError traceback
    ],
)
def test_unreadable_yaml_is_one_config_error_line(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as err:
        load_model(path, _Any)
    assert str(err.value) == f"{path}: {words}"
