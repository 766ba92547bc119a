"""eggwatch: egg-production monitoring and IoT telemetry for laying-hen parks."""

__version__ = "0.1.0"
