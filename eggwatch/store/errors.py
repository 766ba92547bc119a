"""Errors shared by the telemetry stores."""

from __future__ import annotations

from eggwatch.settings import ConfigError


class StoreUnavailable(Exception):
    """The store cannot be reached (or keeps failing) after retries: buffer and try again later."""


class StoreCredentialsRefused(ConfigError):
    """InfluxDB 1.x refused the user and password themselves (401), at start: the configuration is
    wrong, and waiting (spooling) would never mend it.  A ConfigError: every command's one line."""


class StoreServerError(StoreUnavailable):
    """The store answered, but kept failing on this request with an internal error (HTTP 500).

    Usually an outage like any other; when the same data keeps failing while the server is
    healthy, the data is the problem (see ``InfluxStore.isolate``).  ``message`` is the server's.
    """

    def __init__(self, text: str, message: str) -> None:
        super().__init__(text)
        self.message = message


class StoreRejected(Exception):
    """The store refused some points for good (bad data, not an outage); the rest landed.

    ``rejected`` holds ``(line, server's reason)`` pairs.
    """

    def __init__(self, rejected: list[tuple[str, str]]) -> None:
        super().__init__(f"{len(rejected)} point(s) refused, first: {rejected[0][1] if rejected else ''}")
        self.rejected = rejected
