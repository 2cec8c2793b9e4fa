"""The OpenAPI schema as the app really answers: its security schemes and the statuses its middleware adds.

The routes declare what they refuse themselves (401, 403, 404, 409, 422);
what happens before a route runs is added here: the bearer token every JSON
route needs (the web pages' session cookie is declared beside it, though those
pages are not in the schema), a body that is not JSON at all (400, before
FastAPI can say more), and one past the size limit (413).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.deps import SESSION_COOKIE

SECURITY_DESCRIPTIONS = {
    "bearerToken": "A token from `watchtower tokens create`, sent as `Authorization: Bearer <token>`.",
    "sessionCookie": "The web pages' session, set by signing in at /login; their forms also post its CSRF token.",
}
SECURITY_SCHEMES = {
    "bearerToken": {"type": "http", "scheme": "bearer", "description": SECURITY_DESCRIPTIONS["bearerToken"]},
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": SECURITY_DESCRIPTIONS["sessionCookie"],
    },
}
PROBLEM = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
#: What any operation that takes a body may answer before its route runs.
BODY_REFUSALS = {
    "400": {"description": "The body could not be read as JSON at all.", "content": PROBLEM},
    "413": {"description": "The body is larger than the limit.", "content": PROBLEM},
}


def _signed_in(path: str) -> bool:
    return path.startswith("/api/") or path == "/events"


def complete_schema(app: FastAPI) -> dict[str, Any]:
    """The app's schema, built once: FastAPI's from the routes, completed with the above."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                operation["security"] = [{"bearerToken": []}] if _signed_in(path) else []
                if "requestBody" in operation:
                    operation["responses"].update(BODY_REFUSALS)
        app.openapi_schema = schema
    return app.openapi_schema
