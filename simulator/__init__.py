"""eggwatch simulator."""
