"""The two languages users read (zh-CN first), and how a request names one.

``?lang=`` takes ``zh``/``en`` and the BCP 47 tags browsers and the page itself write (``zh-CN``,
``zh_Hans``, ``en-US``, any case): the primary subtag decides.  Other languages are still refused
with a 422 that names the two.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator

Lang = Literal["zh", "en"]


def primary(value: object) -> object:
    """``zh-CN`` → ``zh``, ``EN_us`` → ``en``; not a string: unchanged (left to be refused)."""
    if isinstance(value, str):
        return value.replace("_", "-").split("-", 1)[0].lower()
    return value


LangParam = Annotated[Lang, BeforeValidator(primary)]
