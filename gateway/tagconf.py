"""Tags, name templates and scales in the gateways' YAML, checked at load time.

What can be checked before the first reading is checked here, so a config that could only ever
produce dead letters (a tag key ``Row``, a unit template ``House-{h}``) is refused with one line.
"""

from __future__ import annotations

import re

from eggwatch import metrics
from eggwatch.wire import MAX_TAG_VALUE_LEN, RESERVED_TAGS, TAG_KEY_RE, WireError, _check_tags

CAPTURE = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_LEVEL_CHARS = re.compile(r"[a-z0-9_-]*\Z")


def tag_strings(v: object) -> object:
    """YAML reads ``row: 03`` as a number: numbers become strings.  A missing value (``row:``) or
    a yes/no (a YAML boolean) is refused rather than published as "None" or "True"."""
    if not isinstance(v, dict):
        return v
    out: dict[object, object] = {}
    for k, x in v.items():
        if not isinstance(k, str):
            raise ValueError(f"tag key {k!r} must be a name like row ([a-z][a-z0-9_]*)")
        if x is None:
            raise ValueError(f"tag {k} has no value")
        if isinstance(x, bool):
            raise ValueError(f"tag {k}: {x!r} is a YAML boolean; quote the value")
        out[k] = str(x) if isinstance(x, int | float) else x
    return out


def not_a_boolean(v: object) -> object:
    """For models without boolean fields: pydantic would take ``yes``/``on``/``true`` as 1 and
    ``no``/``off``/``false`` as 0 (``slave: yes`` would poll slave 1), so a YAML boolean is refused."""
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is a YAML boolean (yes/no/on/off/true/false), not a value for this field")
    return v


def check_tags(v: object) -> object:
    """Fixed tags, as the wire would check them."""
    try:
        _check_tags(v)
    except WireError as exc:
        raise ValueError(exc.detail) from None
    return v


def check_level_template(what: str, template: str) -> str:
    """A unit/device template: its fixed part must already be a topic level's characters
    (captures are lowercased when filled); without captures it must be a whole level."""
    fixed = CAPTURE.sub("", template)
    if not _LEVEL_CHARS.match(fixed) or template == "":
        raise ValueError(
            f"{what} {template!r} must give [a-z0-9_-]+ (an MQTT topic level); {{name}} fills in"
        )
    return template


def check_tag_templates(tags: dict[str, str]) -> dict[str, str]:
    """Tag keys are fixed: they must be valid; values are templates whose fixed part must be valid."""
    for k, v in tags.items():
        if not TAG_KEY_RE.match(k) or k in RESERVED_TAGS:
            raise ValueError(f"tag key {k!r} is reserved or not [a-z][a-z0-9_]*")
        fixed = CAPTURE.sub("", v)
        if not CAPTURE.search(v):
            check_tags({k: v})
        elif len(fixed) > MAX_TAG_VALUE_LEN or not fixed.isprintable() or "\\" in fixed:
            raise ValueError(f"tag {k}={v!r} must give a printable string of 1-64 chars without a backslash")
    return tags


def check_whole_scale(metric: str, scale: float, offset: float) -> None:
    """An integer metric (a count) takes whole numbers: a fractional scale or offset would make
    values that are refused (or, once, silently rounded), so it is refused at load."""
    if metrics.REGISTRY[metric].integer and (scale != int(scale) or offset != int(offset)):
        raise ValueError(
            f"{metric} takes whole numbers: scale and offset must be whole (got {scale:g}, {offset:g})"
        )
