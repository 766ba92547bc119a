"""The web page served at ``/`` by ``eggwatch api`` and ``eggwatch demo`` (see routes.py)."""

from api.web.routes import router

__all__ = ["router"]
