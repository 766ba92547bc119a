"""The one-command demo: the composition root that wires every component together."""
