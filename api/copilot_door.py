"""The one copilot of an app, shared by every door that asks it (JSON and SSE, OpenAI-compatible, MCP, web page).

Opening a copilot loads the intents' example vectors, the glossary, the policy, the knowledge base and the
checkpointer, which takes long enough that no request should pay for it twice: the first question opens
it (as ``watchtower copilot`` does, with the deployment's knowledge base), the app's shutdown closes it. The
copilot answers an out-of-reach account with a sentence; the doors answer it with their own "not found"
instead, so they resolve the account first with the same rule (``tools.access``) the copilot applies.
"""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from sqlalchemy import Engine

from agents.copilot.service import Copilot
from api.bounds import not_text
from core.identity import User
from core.settings import Settings
from knowledge_base.open import open_knowledge_base
from knowledge_base.retrieval import KnowledgeBase
from tools.access import AccountRef, resolve_account


class CopilotHolder:
    """Opens the copilot on first use (once, whichever thread asks first) and closes it on shutdown."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._lock = threading.Lock()
        self._copilot: Copilot | None = None
        self._kb: KnowledgeBase | None = None

    def get(self) -> Copilot:
        with self._lock:
            if self._copilot is None:
                self._kb = open_knowledge_base(self._settings)
                copilot = Copilot.open(self._settings, engine=self._engine, kb=self._kb)
                copilot.graph()  # compiled here, under the lock, so two first questions do not build two
                self._copilot = copilot
            return self._copilot

    @property
    def opened(self) -> bool:
        return self._copilot is not None

    def close(self) -> None:
        with self._lock:
            if self._copilot is not None:
                self._copilot.close()
                self._copilot = None
            if self._kb is not None:
                self._kb.close()
                self._kb = None


def copilot_of(request: Request) -> Copilot:
    holder: CopilotHolder = request.app.state.copilot
    return holder.get()


CopilotDep = Annotated[Copilot, Depends(copilot_of)]


#: As long as the accounts table holds an external id.
MAX_EXTERNAL_ID = 128


def reach(engine: Engine, user: User, account: str) -> AccountRef | None:
    """The account ``user`` may ask about, or ``None`` when it is out of reach or does not exist (one answer).

    An id no account can have (past the column's length, a NUL byte Postgres refuses) is one that does not
    exist, rather than a database error: the OpenAI model id and the MCP argument reach here unchecked.
    """
    if len(account) > MAX_EXTERNAL_ID or not_text(account):
        return None
    with engine.connect() as conn:
        return resolve_account(conn, user, account)


def as_of_default(settings: Settings, now: datetime) -> date:
    """The date a question without one is asked on: today in the team's time zone, by the app's clock."""
    return now.astimezone(ZoneInfo(settings.timezone)).date()
