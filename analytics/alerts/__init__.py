"""Alerts: the lifecycle of detector findings (open → acknowledged → resolved), routing to the
supervisor on shift, delivery over MQTT, webhooks (generic, WeCom, DingTalk) and e-mail through a
persistent outbox, the alert API, and the live analytics loop.  See ``README.md``.
"""
