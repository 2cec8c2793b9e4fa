"""One turn of the copilot on its model path: tool rounds, a structured answer, verification, one repair.

- The model gets the account-bound read tools (``CopilotTools.as_langchain_tools``; the book-level tool only
  when the question's intent reads the book) and ``propose_offer`` only when the offer rules would propose one
  now. It may call them for at most ``max_rounds`` rounds. A call of any other name is refused (the model is
  told, the call is recorded with the refusal) and never run; arguments cannot name an account, because no
  tool takes one: each runs on the account, person and date the turn is bound to.
- Every tool result goes back wrapped by ``prompts.loader.untrusted``: customers' words are data, and the
  system prompt (``prompts/copilot_system.md``) says so.
- Then the final answer, as JSON in the settings' structured method (``llm.structured``: retries with backoff
  on transient errors), is checked with the copilot's verifier against this turn's tool results. A failing
  answer gets one repair turn that lists the problems; a second failure, or an endpoint that fails after its
  retries, returns no answer and says why, and the graph answers on the deterministic path instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine
from tenacity import RetryError

from agents.copilot.schema import Citation, CopilotAnswer, ToolCallMade
from core.glossary import Glossary
from core.identity import User
from llm.endpoint_errors import describe_failure
from llm.structured import AnswerRejected, LlmReader, StreamListener
from prompts.loader import load_prompt, untrusted
from tools.access import AccountRef
from tools.copilot_tools import TOOLS, CopilotTools, KnowledgeSearch, NoKnowledgeBase

log = logging.getLogger(__name__)

PROMPT = "copilot_system"
PROPOSE = "propose_offer"
#: Tools that read more than the account in scope; bound only when the question's intent reads them.
BOOK_TOOLS = frozenset({"book"})
#: Rounds of tool calls before the model must answer.
MAX_ROUNDS = 4


class ModelAnswer(BaseModel):
    """The copilot's answer: every claim followed by [n], n the 1-based position of its citation."""

    model_config = ConfigDict(extra="ignore")

    answer: str = Field(min_length=1, description="The answer, a few sentences, each claim followed by [n].")
    citations: list[Citation] = Field(
        default_factory=list,
        description="Sources of the claims: source and id of a tool result's source, the account's external id, "
        "and a quote copied exactly from that source's text.",
    )


class OfferArguments(BaseModel):
    """No amount and no account: the team's offer rules size the offer for the account in scope."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True)
class ModelPath:
    """How the copilot reaches its model: the reader (method, retries, backoff) and the round limit."""

    reader: LlmReader
    max_rounds: int = MAX_ROUNDS


@dataclass(frozen=True)
class Proposal:
    """What ``propose_offer`` did: the state it leaves for the graph and the result the model reads."""

    update: dict[str, Any]
    result: BaseModel | None
    why_not: str | None


@dataclass
class TurnScope:
    """What the turn is bound to; none of it comes from the question or from the model."""

    engine: Engine
    user: User
    account: AccountRef
    as_of: date
    glossary: Glossary
    kb: KnowledgeSearch | None
    #: The read tools the model may call.
    tools: frozenset[str]
    #: Proposes the rule-sized save offer through the approvals queue; None when the rules allow none now.
    propose: Callable[[], Proposal] | None = None


@dataclass
class ModelTurn:
    """The verified answer, or why there is none; always what was called and what it changed."""

    answer: CopilotAnswer | None
    failure: str | None
    calls: list[ToolCallMade] = field(default_factory=list)
    results: list[BaseModel] = field(default_factory=list)
    #: State written by ``propose_offer``, kept whether or not the answer is used.
    offer_update: dict[str, Any] = field(default_factory=dict)


def bound_tools(scope: TurnScope) -> list[BaseTool]:
    """The schemas the model is shown; the calls are run by ``_run_call``, never by these objects."""
    with scope.engine.connect() as conn:
        tools = CopilotTools(conn, scope.user, scope.account, scope.as_of).as_langchain_tools()
    shown = [t for t in tools if t.name in scope.tools]
    if scope.propose is not None:
        shown.append(
            StructuredTool.from_function(
                lambda **_: None,
                name=PROPOSE,
                description="Propose the save offer the team's rules size for this account into the approvals "
                "queue. Takes no amount; people approve or reject it later.",
                args_schema=OfferArguments,
            )
        )
    return shown


def run_model_turn(
    path: ModelPath,
    scope: TurnScope,
    question: str,
    check: Callable[[CopilotAnswer, Sequence[BaseModel]], list[str]],
    listener: StreamListener | None = None,
) -> ModelTurn:
    """Ask, let the model read, verify its answer; ``check`` lists what is wrong with an answer."""
    reader = path.reader
    assert reader.model is not None
    turn = ModelTurn(answer=None, failure=None)
    schemas = bound_tools(scope)
    names = {t.name for t in schemas}
    system, user = load_prompt(PROMPT).render_all(
        {
            "account_name": scope.account.name,
            "account_id": scope.account.external_id,
            "as_of": scope.as_of.isoformat(),
            "max_rounds": str(path.max_rounds),
            "glossary": "\n".join(f"  - {t.term}: {t.wording}" for t in scope.glossary.terms.values()),
            "question": question,
            "schema": json.dumps(ModelAnswer.model_json_schema()),
        }
    )
    messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
    try:
        with_tools = reader.model.bind_tools(schemas)
        for _ in range(path.max_rounds):
            reply = reader.invoke(with_tools, messages)
            if not reply.tool_calls:
                break  # ready to answer; the answer itself is asked for in the structured method below
            messages.append(AIMessage(content=reply.content, tool_calls=reply.tool_calls))
            for call in reply.tool_calls:
                messages.append(_run_call(scope, names, call, turn))

        def verified(answer: ModelAnswer) -> list[str]:
            return check(_as_copilot_answer(answer, turn), turn.results)

        answer, _ = reader.answer(messages, ModelAnswer, verified, listener)
    except (RetryError, openai.APIError) as exc:
        cause = exc.last_attempt.exception() if isinstance(exc, RetryError) else exc
        turn.failure = f"model unavailable ({describe_failure(cause)})"
    except (AnswerRejected, openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
        turn.failure = (
            f"answer rejected after one repair ({exc})" if isinstance(exc, AnswerRejected) else describe_failure(exc)
        )
    else:
        turn.answer = _as_copilot_answer(answer, turn)
    if turn.failure:
        log.warning("copilot %s: %s; answering on the deterministic path", scope.account.external_id, turn.failure)
    return turn


def _as_copilot_answer(answer: ModelAnswer, turn: ModelTurn) -> CopilotAnswer:
    return CopilotAnswer(
        answer=answer.answer, citations=answer.citations, produced_by="model", tool_calls=list(turn.calls)
    )


def _run_call(scope: TurnScope, names: set[str], call: dict[str, Any], turn: ModelTurn) -> ToolMessage:
    """Run one tool call the model asked for, or refuse it; the model reads the reply either way."""
    name, arguments, call_id = call["name"], dict(call.get("args") or {}), call.get("id") or call["name"]
    if name not in names:
        why = f"{name} is not one of your tools"
        turn.calls.append(ToolCallMade(tool=name, arguments=arguments, refused=why))
        return ToolMessage(f"Refused: {why} ({', '.join(sorted(names))}).", tool_call_id=call_id, status="error")
    turn.calls.append(ToolCallMade(tool=name, arguments=arguments))
    if name == PROPOSE:
        assert scope.propose is not None
        proposal = scope.propose()
        turn.offer_update = {**turn.offer_update, **proposal.update}
        if proposal.result is not None:
            turn.results.append(proposal.result)
        said = {"proposed_offer_id": proposal.update.get("offer_id"), "why_not": proposal.why_not}
        if proposal.result is not None:
            said["offers"] = proposal.result.model_dump(mode="json")
        return ToolMessage(untrusted(json.dumps(said), source=PROPOSE), tool_call_id=call_id)
    try:
        with scope.engine.connect() as conn:
            result = CopilotTools(conn, scope.user, scope.account, scope.as_of, scope.kb).call(name, **arguments)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        return ToolMessage(f"Invalid arguments: {first['msg']}", tool_call_id=call_id, status="error")
    except NoKnowledgeBase as exc:
        return ToolMessage(f"Not available: {exc}", tool_call_id=call_id, status="error")
    turn.results.append(result)
    return ToolMessage(
        untrusted(json.dumps(result.model_dump(mode="json")), source=f"tool {name}"), tool_call_id=call_id
    )


def read_tools(intent_tools: Sequence[str]) -> frozenset[str]:
    """Every account-bound read tool, and a book-level one only when the intent reads it."""
    return frozenset(t for t in TOOLS if t not in BOOK_TOOLS or t in intent_tools)
