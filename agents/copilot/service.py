"""The copilot as the doors call it (CLI, and later the API, MCP and OpenAI-compatible adapters).

``Copilot.open(settings)`` loads what is slow once (the embedder and the intents' example vectors, the
glossary, the approval policy, the knowledge base, the book's name directory); ``ask`` answers one question
about one account for one person; ``stream`` yields the answer's text in pieces and then the whole answer.
An account the person may not reach gets the same answer as one that does not exist.

With a model configured (``llm.factory.build_chat_model``), a turn runs on the model path
(``agents.copilot.model_turn``) and falls back to the deterministic one; without, nothing changes.

The stream contract (``Copilot.stream``), for both paths:

- ``Draft`` pieces come first, and only on the model path: the final answer's text as the model writes it,
  before it is verified. They are provisional. ``Draft.n`` numbers the attempts of the turn; when it
  changes (a retried call, the repair turn) the earlier draft text is void. A caller may show drafts (greyed,
  say) or ignore them; it must not keep them.
- Then ``str`` pieces: the verified answer's text, line by line. They are final and never taken back; joined,
  they are ``answer.answer``. When the model's answer failed and the deterministic path answered instead, these
  pieces are that answer (with its line saying so), and every draft before them is void.
- Last, the ``CopilotAnswer`` itself.

Our own overhead before the first streamed token (``python -m bench.copilot_stream_bench``: time to the first
draft piece through ``Copilot.stream`` against a scripted local OpenAI-compatible server, minus the delay the
server itself waits before each reply): p50 104-107 ms, p95 128-169 ms, max 137-187 ms (two runs of 30 turns
on a 30-account book, 200 ms of server delay per reply, two cores shared with other work, load average
2.2-3.8). It covers the access check, classification, the tool read, three HTTP round trips (the tool call,
"done", the streamed answer) and parsing the partial JSON; the target is under 300 ms.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from langgraph.graph.state import CompiledStateGraph
from sqlalchemy import Engine

from agents.checkpoints import open_checkpointer
from agents.copilot.classifier import Embedder, IntentClassifier
from agents.copilot.compose import check_intents
from agents.copilot.drafts import Draft
from agents.copilot.graph import CopilotContext, build_graph, thread_id_for
from agents.copilot.intents import load_intents
from agents.copilot.model_turn import ModelPath
from agents.copilot.schema import CopilotAnswer
from agents.copilot.verify import book_directory
from agents.copilot.word_vectors import HashedWordEmbedder
from approvals.policy import ApprovalPolicy, load_policy
from core.db import make_engine
from core.faithfulness import Directory
from core.glossary import Glossary, load_glossary
from core.identity import User
from core.settings import Settings
from knowledge_base.embeddings import EmbeddingSettingsError, embedder_from_settings
from knowledge_base.minilm import EmbeddingModelMissing
from llm.factory import build_chat_model, build_reader
from llm.structured import LlmStats
from tools.access import resolve_account
from tools.copilot_tools import KnowledgeSearch

logger = logging.getLogger(__name__)
#: How many text pieces a streamed answer is cut into: lines, as a terminal or an SSE client shows them.
LINES = re.compile(r"[^\n]*\n|[^\n]+$")
NO_SUCH_ACCOUNT = "No such account: {account}. Check the external id, or ask about one of your accounts."


def default_embedder(settings: Settings) -> Embedder:
    """The knowledge base's embedder (the offline MiniLM unless settings name an endpoint), loaded now so the
    first question does not pay for it; the hashed-word embedder when the model is not installed."""
    try:
        embedder = embedder_from_settings(settings)
        embedder.embed(["warm up"])
    except (EmbeddingModelMissing, EmbeddingSettingsError) as exc:
        logger.warning("copilot: %s; questions are matched by their words instead", exc)
        return HashedWordEmbedder()
    return embedder


def model_path(settings: Settings) -> ModelPath | None:
    """The settings' model with their method, retries and backoff, or None (the deterministic path alone)."""
    model = build_chat_model(settings)
    return ModelPath(build_reader(settings, model, stats=LlmStats())) if model is not None else None


@dataclass
class Copilot:
    settings: Settings
    engine: Engine
    classifier: IntentClassifier
    glossary: Glossary
    policy: ApprovalPolicy
    kb: KnowledgeSearch | None = None
    model: ModelPath | None = None
    _directory: Directory | None = field(default=None, repr=False)
    _owns_engine: bool = field(default=False, repr=False)
    #: The checkpointer stays open and the graph compiled for the copilot's life: a chat or a server pays once.
    _resources: ExitStack = field(default_factory=ExitStack, repr=False)
    _graph: CompiledStateGraph | None = field(default=None, repr=False)

    @classmethod
    def open(
        cls,
        settings: Settings,
        *,
        engine: Engine | None = None,
        embedder: Embedder | None = None,
        kb: KnowledgeSearch | None = None,
    ) -> Copilot:
        loaded = load_intents()
        check_intents(loaded.intents)
        classifier = IntentClassifier(
            loaded, embedder or default_embedder(settings), cache_dir=settings.data_dir / "copilot"
        )
        return cls(
            settings=settings,
            engine=engine or make_engine(settings.database_url),
            classifier=classifier,
            glossary=load_glossary(),
            policy=load_policy(),
            kb=kb,
            model=model_path(settings),
            _owns_engine=engine is None,
        )

    def directory(self) -> Directory:
        """Every name of the book by account, built once: the leak check of every answer reads it."""
        if self._directory is None:
            with self.engine.connect() as conn:
                self._directory = book_directory(conn)
        return self._directory

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    def ask(self, *, user: User, account: str, question: str, as_of: date | None = None) -> CopilotAnswer:
        """Answer ``question`` about the account with external id ``account`` as ``user`` sees it."""
        turn = self._turn(user, account, as_of)
        if isinstance(turn, CopilotAnswer):
            return turn
        context, config = turn
        state = self.graph().invoke({"question": question}, config, context=context)
        return CopilotAnswer.model_validate(state["answer"])

    def _turn(
        self, user: User, account: str, as_of: date | None, *, drafts: bool = False
    ) -> CopilotAnswer | tuple[CopilotContext, dict[str, Any]]:
        """The context and thread of a turn, or the answer for an account out of reach."""
        with self.engine.connect() as conn:
            ref = resolve_account(conn, user, account)
        if ref is None:
            return CopilotAnswer(answer=NO_SUCH_ACCOUNT.format(account=account), produced_by="deterministic")
        context = CopilotContext(
            engine=self.engine,
            user=user,
            account=ref,
            as_of=as_of or self.today(),
            classifier=self.classifier,
            glossary=self.glossary,
            policy=self.policy,
            kb=self.kb,
            directory=self.directory(),
            model=self.model,
            drafts=drafts,
        )
        return context, {"configurable": {"thread_id": thread_id_for(user.id, ref.id)}}

    def graph(self) -> CompiledStateGraph:
        if self._graph is None:
            saver = self._resources.enter_context(open_checkpointer(self.settings.database_url))
            self._graph = build_graph(saver)
        return self._graph

    def stream(
        self, *, user: User, account: str, question: str, as_of: date | None = None
    ) -> Iterator[Draft | str | CopilotAnswer]:
        """Draft pieces (model path only, provisional), then the verified text in lines, then the answer: the
        contract is in the module docstring."""
        turn = self._turn(user, account, as_of, drafts=True)
        if isinstance(turn, CopilotAnswer):
            answer = turn
        else:
            context, config = turn
            state: dict[str, Any] = {}
            for mode, chunk in self.graph().stream(
                {"question": question}, config, context=context, stream_mode=["custom", "values"]
            ):
                if mode == "custom" and isinstance(chunk, Draft):
                    yield chunk
                elif mode == "values":
                    state = chunk
            answer = CopilotAnswer.model_validate(state["answer"])
        yield from LINES.findall(answer.answer)
        yield answer

    def close(self) -> None:
        self._resources.close()
        self._graph = None
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Copilot:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def ask(
    settings_or_engine: Settings | Engine,
    *,
    user: User,
    account: str,
    question: str,
    as_of: date | None = None,
) -> CopilotAnswer:
    """One question, with everything opened and closed around it (a long-lived caller keeps a ``Copilot``)."""
    settings = settings_or_engine if isinstance(settings_or_engine, Settings) else Settings()
    engine = None if isinstance(settings_or_engine, Settings) else settings_or_engine
    if engine is not None:
        settings = settings.model_copy(update={"database_url": engine.url.render_as_string(hide_password=False)})
    with Copilot.open(settings, engine=engine) as copilot:
        return copilot.ask(user=user, account=account, question=question, as_of=as_of)
