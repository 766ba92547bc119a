"""Small helpers shared by the component CLIs."""

from __future__ import annotations

import logging
import sys
from typing import NoReturn


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    print(f"eggwatch: error: {message}", file=sys.stderr)
    sys.exit(code)


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
