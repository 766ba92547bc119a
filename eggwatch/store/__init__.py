"""Telemetry stores (InfluxDB v1 HTTP API, or the embedded store) behind one interface."""

from eggwatch.store.base import Agg, Point, Query, Series, TelemetryStore

__all__ = ["Agg", "Point", "Query", "Series", "TelemetryStore"]
