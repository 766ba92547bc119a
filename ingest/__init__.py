"""eggwatch ingest."""
