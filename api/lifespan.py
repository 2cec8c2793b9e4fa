"""What lives as long as the app: the MCP sessions' task group, and the copilot, closed on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with app.state.mcp.running():
        try:
            yield
        finally:
            await to_thread.run_sync(app.state.copilot.close)
