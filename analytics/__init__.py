"""eggwatch analytics."""
