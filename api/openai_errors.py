"""Errors of the OpenAI-compatible door in OpenAI's own shape, so its clients read them as they read OpenAI's:
``{"error": {"message": ..., "type": ..., "param": ..., "code": ...}}``."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

PREFIX = "/v1/"


class OpenAIError(Exception):
    def __init__(
        self, status: int, message: str, *, kind: str = "invalid_request_error", code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.code = code


def error_response(exc: OpenAIError) -> JSONResponse:
    body = {"error": {"message": exc.message, "type": exc.kind, "param": None, "code": exc.code}}
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(body, status_code=exc.status, headers=headers)


def handle_openai_error(request: Request, exc: OpenAIError) -> JSONResponse:
    return error_response(exc)


def unauthorized(message: str) -> OpenAIError:
    return OpenAIError(401, message, code="invalid_api_key")
