"""Load a YAML file into a pydantic model with errors that name the file, the line and the field.

PyYAML's composed node tree keeps the line of every key and list item.  We build the plain Python
value from that tree ourselves, remembering the line of every path, so a pydantic error at
``buses[0].devices[2].registers[1].type`` can be reported as ``gw.yaml:17``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from eggwatch.settings import ConfigError

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[str | int, ...]


def _build(node: yaml.Node, loader: yaml.SafeLoader, path: Path_, lines: dict[Path_, int]) -> object:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[object, object] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                raise ConfigError(f"line {key_node.start_mark.line + 1}: mapping keys must be scalars")
            if key in out:
                raise ConfigError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            sub = (*path, str(key))
            out[key] = _build(value_node, loader, sub, lines)
            lines[sub] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, loader, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_yaml(text: str) -> tuple[object, dict[Path_, int]]:
    """The document in ``text`` and the line of every path in it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        return (None if node is None else _build(node, loader, (), lines)), lines
    finally:
        loader.dispose()


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line_of(loc: tuple[str | int, ...], lines: dict[Path_, int]) -> int | None:
    for n in range(len(loc), -1, -1):
        key = tuple(str(p) if isinstance(p, str) else p for p in loc[:n])
        if key in lines:
            return lines[key]
    return None


def load_model(path: Path, model: type[M]) -> M:
    """Parse ``path`` into ``model``; any problem is one :class:`ConfigError` line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.start} is 0x{exc.object[exc.start]:02x})"
        ) from None
    try:
        doc, lines = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{path}{where}: not valid YAML: {problem}") from None
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except RecursionError:  # `a: &a [*a]`: an anchor inside itself never ends
        raise ConfigError(f"{path}: an anchor refers to itself (or the nesting is far too deep)") from None
    if doc is None:  # an empty file: every field takes its default
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _line_of(loc, lines)
        where = f"{path}:{line}" if line else str(path)
        msg = str(err["msg"]).removeprefix("Value error, ")
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{where}: {_dotted(loc)}: {msg}{more}") from None
