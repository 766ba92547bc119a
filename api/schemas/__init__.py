"""Request and response bodies of the workforce API."""
