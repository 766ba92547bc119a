"""The error answers every protected route can give, written into the OpenAPI schema.

FastAPI documents a route's success and its 422 only.  A client generated from the schema (or a
person reading /docs) should also see the 401 (no or bad token), 403 (role), 404 (an id in the
path or the body that names nothing, or, for a supervisor, an object outside their units), the 400 for a
body that is not JSON, and the shape of
every error body, ``{"detail": "..."}``, which the routes all share.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"type": "string", "title": "Detail"}},
    "required": ["detail"],
}
REF = {"$ref": "#/components/schemas/Error"}
WHY = {
    "400": "Bad request: a body that is not JSON, or a value that cannot be applied (the detail says why)",
    "401": "Not authenticated: no token, or a bad or expired one",
    "403": "Your role may not do this",
    "404": "An id in the path or the body names nothing (for a supervisor: also nothing outside their units)",
    "409": "Conflicts with existing data (the detail says with what)",
    "429": "Too many attempts: wait a minute",
    "503": "A store or key it needs is unavailable (the detail says which)",
}


def document_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` add the shared error responses to each operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_error_responses(build())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def add_error_responses(schema: dict[str, Any]) -> None:
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path, operations in schema.get("paths", {}).items():
        for op in operations.values():
            responses = op.setdefault("responses", {})
            if op.get("security"):
                responses.setdefault("401", {})
                responses.setdefault("403", {})
            if "{" in path or "requestBody" in op:  # an id in the path, or in the body, names nothing
                responses.setdefault("404", {})
            if "requestBody" in op:
                responses.setdefault("400", {})  # a body that is not JSON at all (FastAPI's own 400)
            for code, response in responses.items():
                if code in WHY:
                    if response.get("description") in (None, "", _standard_phrase(code)):
                        response["description"] = WHY[code]
                    response.setdefault("content", {"application/json": {"schema": REF}})


def _standard_phrase(code: str) -> str:
    from http import HTTPStatus

    return HTTPStatus(int(code)).phrase
