"""eggwatch api."""
