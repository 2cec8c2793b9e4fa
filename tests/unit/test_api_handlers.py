"""Every handler and dependency of the app is a plain function, so FastAPI runs it in its thread pool.

They all reach the database (or the graph) synchronously; one of them as
``async def`` would run that work on the event loop and stall every request.
The behaviour itself (a decision waiting on a lock while health and the
queues are answered) is shown in tests/integration/test_api_not_blocking.py.
"""

from __future__ import annotations

import inspect

from fastapi.dependencies.models import Dependant

from api.app import create_app
from core.settings import Settings
from tests.integration.api_support import api_routes


def _calls(dependant: Dependant) -> list[object]:
    calls = [dependant.call] if dependant.call is not None else []
    for sub in dependant.dependencies:
        calls.extend(_calls(sub))
    return calls


#: Coroutine handlers that keep the event loop free by handing every blocking call to the thread pool, each
#: with its reason. The OpenAI-compatible door reads its raw body itself (so a body it cannot read is refused
#: in OpenAI's error shape, not FastAPI's), then runs the reach check and the copilot in
#: ``run_in_threadpool``; a streamed answer is a plain iterator, which Starlette also drains in the pool.
AWAITS_ONLY_THE_BODY = {"/v1/chat/completions: chat_completions"}


def test_no_handler_or_dependency_is_a_coroutine(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    routes = list(api_routes(app.routes))
    assert {"/api/approvals/{approval_id}/decision", "/approvals/{approval_id}/decision", "/outbox"} <= {
        r.path for r in routes
    }
    coroutines = sorted(
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for route in routes
        for call in _calls(route.dependant)
        if inspect.iscoroutinefunction(call)
    )
    assert [c for c in coroutines if c not in AWAITS_ONLY_THE_BODY] == []
    ours = [h for h in app.exception_handlers.values() if h.__module__.startswith("api.")]
    assert ours and not [h for h in ours if inspect.iscoroutinefunction(h)]
