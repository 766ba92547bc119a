"""eggwatch gateway."""
