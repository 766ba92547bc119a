"""Generates the Grafana dashboard JSON models in ``dashboards/json`` (run ``python -m dashboards.generator``).

The JSON files are what Grafana loads (file provisioning) or ``eggwatch dashboards push`` uploads;
they are committed, and a test checks they match this generator, so a dashboard is changed here.
"""
