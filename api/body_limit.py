"""No request body past a limit is read: refused by its declared length up front, or once the bytes that
arrive (a chunked body declares none) pass the limit. Either way 413, before anything parses it."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.openai_errors import PREFIX as OPENAI_PREFIX
from api.openai_errors import OpenAIError, error_response


class BodyLimit:
    """ASGI middleware holding every HTTP request body to ``max_bytes``."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self, scope: Scope) -> JSONResponse:
        message = f"the request body is larger than {self.max_bytes:,} bytes"
        if scope["path"].startswith(OPENAI_PREFIX):
            return error_response(OpenAIError(413, message, code="request_too_large"))
        return JSONResponse({"detail": message}, status_code=413)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # Raised where the app reads the body, so its own handlers answer; caught below otherwise.
                    raise HTTPException(413, f"the request body is larger than {self.max_bytes:,} bytes")
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await self._too_large(scope)(scope, receive, send)
