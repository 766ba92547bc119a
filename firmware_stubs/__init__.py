"""eggwatch firmware_stubs."""
