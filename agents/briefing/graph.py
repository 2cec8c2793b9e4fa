"""The weekly briefing graph: gather_facts -> write_with_model | write_from_template -> check_narrative ->
(write_with_model once more) -> render -> store (with delivery).

The facts are read deterministically (``playbooks.briefing_facts``). With a model configured the narrative is
the model's, written from the facts record as JSON; ``check_narrative`` traces every number, name and date of
it to the record. A failing narrative is written again once, the model told what failed; a second failure, or
a model that cannot be reached, gives the template narrative. ``produced_by`` records which: ``model``,
``model_after_retry``, ``template`` (no model) or ``template_after_model_failed``, with the checker's findings.
Storing replaces the week's briefing for the audience and, in the same transaction, writes its internal messages
once per week.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypedDict

import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command
from sqlalchemy import Engine
from tenacity import RetryError

from agents.briefing.delivery import deliver
from agents.briefing.narrative import (
    ModelNarrative,
    findings,
    headline,
    model_facts_json,
    template_narrative,
    without_citations,
)
from agents.briefing.render import render_html, render_markdown
from agents.briefing.store import store_briefing
from llm.endpoint_errors import describe_failure
from llm.structured import AnswerRejected, LlmReader
from playbooks.briefing_facts import BriefingFacts, briefing_facts
from prompts.loader import load_prompt

log = logging.getLogger(__name__)

ProducedBy = Literal["model", "model_after_retry", "template", "template_after_model_failed"]
PROMPT = "briefing/model"
#: Model attempts before the template narrative is used: the first answer and one regeneration.
MODEL_ATTEMPTS = 2


class BriefingInput(TypedDict):
    audience: str
    as_of: date


class BriefingOutput(TypedDict, total=False):
    briefing_id: int
    produced_by: ProducedBy
    findings: list[str]
    markdown: str
    html: str
    facts: dict[str, Any]
    messages: list[int]


class BriefingState(BriefingInput, BriefingOutput, total=False):
    narrative: str
    attempts: int
    #: The model's last answer, sent back with the findings when it writes again.
    last_answer: str


@dataclass
class BriefingContext:
    engine: Engine
    #: None, or a reader without a model: the template writes the narrative.
    reader: LlmReader | None
    now: datetime
    #: Where the web archive lives, for the link in the Slack message.
    web_base_url: str
    deliver: bool = True


def _facts(state: BriefingState) -> BriefingFacts:
    return BriefingFacts.model_validate(state["facts"])


def gather_facts(
    state: BriefingState, runtime: Runtime[BriefingContext]
) -> Command[Literal["write_with_model", "write_from_template"]]:
    ctx = runtime.context
    with ctx.engine.connect() as conn:
        facts = briefing_facts(conn, audience=state["audience"], as_of=state["as_of"])
    has_model = ctx.reader is not None and ctx.reader.model is not None
    return Command(
        goto="write_with_model" if has_model else "write_from_template",
        update={"facts": facts.model_dump(mode="json"), "attempts": 0, "findings": []},
    )


def write_with_model(
    state: BriefingState, runtime: Runtime[BriefingContext]
) -> Command[Literal["check_narrative", "write_from_template"]]:
    reader = runtime.context.reader
    assert reader is not None
    facts = _facts(state)
    system, user = load_prompt(PROMPT).render_all(
        {
            "audience_label": "leadership" if facts.scope.owner_csm is None else f"the CSM {facts.scope.owner_csm}",
            "as_of": facts.as_of.isoformat(),
            "facts": model_facts_json(facts),
            "schema": json.dumps(ModelNarrative.model_json_schema()),
        }
    )
    messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
    attempts = state.get("attempts", 0)
    if attempts and state.get("last_answer") is not None:
        problems = "; ".join(state.get("findings", [])[-10:])
        messages += [
            AIMessage(state["last_answer"]),
            HumanMessage(
                f"Your narrative was rejected because it states what the record does not: {problems}. Write it "
                "again with one JSON object, copying every number, name and date from the record and citing "
                "existing fact ids."
            ),
        ]
    try:
        answer, _ = reader.answer(messages, ModelNarrative)
    except (RetryError, openai.APIError) as exc:
        cause = exc.last_attempt.exception() if isinstance(exc, RetryError) else exc
        why = f"model unavailable ({describe_failure(cause)})"
        return Command(goto="write_from_template", update={"findings": [*state.get("findings", []), why]})
    except (AnswerRejected, openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
        why = f"answer rejected ({exc})" if isinstance(exc, AnswerRejected) else describe_failure(exc)
        return Command(goto="write_from_template", update={"findings": [*state.get("findings", []), why]})
    return Command(
        goto="check_narrative",
        update={"narrative": answer.narrative, "last_answer": answer.model_dump_json(), "attempts": attempts + 1},
    )


def check_narrative(
    state: BriefingState, runtime: Runtime[BriefingContext]
) -> Command[Literal["write_with_model", "write_from_template", "render"]]:
    problems = findings(state["narrative"], _facts(state), require_citations=True)
    attempts = state["attempts"]
    if not problems:
        return Command(goto="render", update={"produced_by": "model" if attempts == 1 else "model_after_retry"})
    noted = [*state.get("findings", []), *(f"attempt {attempts}: {problem}" for problem in problems)]
    log.warning("briefing %s %s: model narrative failed the check: %s", state["audience"], state["as_of"], problems)
    return Command(
        goto="write_with_model" if attempts < MODEL_ATTEMPTS else "write_from_template", update={"findings": noted}
    )


def write_from_template(state: BriefingState) -> dict[str, Any]:
    facts = _facts(state)
    text = template_narrative(facts)
    tried = state.get("attempts", 0) > 0 or bool(state.get("findings"))
    own = findings(text, facts)
    if own:
        # The template states what its facts do not: a bug, said here so a running system shows it too.
        log.error("briefing template narrative states what its facts do not: %s", "; ".join(own[:5]))
    return {
        "narrative": text,
        "produced_by": "template_after_model_failed" if tried else "template",
        "findings": [*state.get("findings", []), *(f"template: {problem}" for problem in own)],
    }


def render(state: BriefingState) -> dict[str, Any]:
    facts = _facts(state)
    shown = without_citations(state["narrative"])
    return {
        "markdown": render_markdown(
            facts,
            title=headline(facts),
            narrative=shown,
            produced_by=state["produced_by"],
            findings=state.get("findings", []),
        ),
        "html": render_html(
            facts,
            title=headline(facts),
            narrative=shown,
            produced_by=state["produced_by"],
            findings=state.get("findings", []),
        ),
    }


def store_node(state: BriefingState, runtime: Runtime[BriefingContext]) -> dict[str, Any]:
    """The briefing and its internal messages in one transaction: a process killed between them would leave a
    stored week without its messages, and the scheduler skips a stored week, so they would never be queued."""
    ctx = runtime.context
    facts = _facts(state)
    summary = without_citations(state["narrative"])
    ids: list[int] = []
    with ctx.engine.begin() as conn:
        briefing_id = store_briefing(
            conn,
            facts=facts,
            title=headline(facts),
            summary=summary,
            markdown=state["markdown"],
            html=state["html"],
            produced_by=state["produced_by"],
            findings=state.get("findings", []),
            now=ctx.now,
        )
        if ctx.deliver:
            ids = deliver(
                conn,
                facts=facts,
                briefing_id=briefing_id,
                title=headline(facts),
                summary=summary,
                markdown=state["markdown"],
                link=f"{ctx.web_base_url.rstrip('/')}/briefings/{briefing_id}",
                now=ctx.now,
            )
    return {"briefing_id": briefing_id, "messages": ids}


def builder() -> StateGraph:
    graph = StateGraph(
        BriefingState, context_schema=BriefingContext, input_schema=BriefingInput, output_schema=BriefingOutput
    )
    graph.add_node("gather_facts", gather_facts)
    graph.add_node("write_with_model", write_with_model)
    graph.add_node("check_narrative", check_narrative)
    graph.add_node("write_from_template", write_from_template)
    graph.add_node("render", render)
    graph.add_node("store", store_node)
    graph.add_edge(START, "gather_facts")
    graph.add_edge("write_from_template", "render")
    graph.add_edge("render", "store")
    graph.add_edge("store", END)
    return graph


def build_graph(checkpointer: Any = None, store: Any = None) -> CompiledStateGraph:
    return builder().compile(checkpointer=checkpointer, store=store)
