"""The OpenAI-compatible door: ``GET /v1/models`` and ``POST /v1/chat/completions``, behind the bearer tokens.

The account is the model: ``/v1/models`` lists ``watchtower-copilot:<external id>`` for every account the
token's person may reach, so a chat client (Open WebUI, the official SDKs) picks an account by picking a
model and needs no code. The question is the last user message; earlier messages are not read (the copilot
keeps its own conversation per person and account, and a client's history, which anyone can write, cannot
steer it). The answer's citations come back twice: structured, as ``citations`` on the message (the last
chunk's delta when streaming), and as numbered sources appended to the text for clients that show only
text. Errors are in OpenAI's shape (``api.openai_errors``).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy import Engine, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from agents.copilot.drafts import Draft
from agents.copilot.schema import Citation, CopilotAnswer
from agents.copilot.service import Copilot
from api.bounds import not_text
from api.copilot_door import CopilotDep, as_of_default, reach
from api.copilot_models import MAX_QUESTION
from api.deps import AppSettings, Clock, Db, bearer_user
from api.openai_errors import OpenAIError, unauthorized
from api.openai_models import (
    MODEL_PREFIX,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    Choice,
    ChunkChoice,
    Delta,
    ModelCard,
    ModelList,
)
from api.sse import HEADERS, MEDIA_TYPE
from api.strict_json import parse_body
from core.identity import User
from core.models import Account
from tools.access import AccountRef, reachable_accounts

log = logging.getLogger(__name__)
ACCOUNT = Account.__table__  # type: ignore[attr-defined]

router = APIRouter(prefix="/v1", tags=["openai"], include_in_schema=False)


def openai_user(request: Request, engine: Db, clock: Clock) -> User:
    """The bearer token's person; a refusal in OpenAI's shape, which its clients turn into their auth error."""
    try:
        return bearer_user(request, engine, clock)
    except HTTPException as exc:
        raise unauthorized(str(exc.detail)) from None


OpenAIUser = Annotated[User, Depends(openai_user)]


def model_id(external_id: str) -> str:
    return f"{MODEL_PREFIX}{external_id}"


@router.get("/models")
def list_models(user: OpenAIUser, engine: Db, clock: Clock) -> ModelList:
    """One model per account the person may reach, in external-id order."""
    with engine.connect() as conn:
        allowed = reachable_accounts(conn, user)
        query = select(ACCOUNT.c.external_id, ACCOUNT.c.name).order_by(ACCOUNT.c.external_id)
        if allowed is not None:
            query = query.where(ACCOUNT.c.id.in_(allowed))
        rows = conn.execute(query).all()
    created = int(clock().timestamp())
    return ModelList(
        data=[ModelCard(id=model_id(r.external_id), created=created, name=f"{r.name} ({r.external_id})") for r in rows]
    )


@router.get("/models/{model}")
def read_model(model: str, user: OpenAIUser, engine: Db, clock: Clock) -> ModelCard:
    """One model, if its account is in reach (``client.models.retrieve``)."""
    ref = _account(engine, user, model)
    return ModelCard(
        id=model_id(ref.external_id), created=int(clock().timestamp()), name=f"{ref.name} ({ref.external_id})"
    )


def _read_request(body: bytes) -> ChatRequest:
    try:
        return ChatRequest.model_validate(parse_body(body))
    except json.JSONDecodeError as exc:
        raise OpenAIError(400, f"the body is not JSON: {exc.msg}", code="invalid_json") from None
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(map(str, first["loc"])) or "body"
        raise OpenAIError(400, f"{where}: {first['msg']}", code="invalid_value") from None


def _question(chat: ChatRequest) -> str:
    users = [m for m in chat.messages if m.role == "user"]
    question = users[-1].text().strip() if users else ""
    if not question:
        raise OpenAIError(400, "messages: end the conversation with a user message that asks a question")
    if len(question) > MAX_QUESTION:
        raise OpenAIError(400, f"messages: the last user message is longer than {MAX_QUESTION} characters")
    problem = not_text(question)
    if problem:
        raise OpenAIError(400, f"messages: the last user message {problem}")
    return question


def _account(engine: Engine, user: User, model: str) -> AccountRef:
    external = model.removeprefix(MODEL_PREFIX) if model.startswith(MODEL_PREFIX) else None
    ref = reach(engine, user, external) if external else None
    if ref is None:
        raise OpenAIError(
            404, f"The model `{model}` does not exist or you do not have access to it.", code="model_not_found"
        )
    return ref


def sources_text(citations: list[Citation]) -> str:
    """The citations as numbered lines, matching the [n] marks of the answer, for clients that show only text."""
    if not citations:
        return ""
    lines = [f"[{n}] {c.source} {c.id} ({c.account}): \u201c{c.quote}\u201d" for n, c in enumerate(citations, 1)]
    return "\n\nSources:\n" + "\n".join(lines)


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    request: Request, user: OpenAIUser, engine: Db, settings: AppSettings, clock: Clock, copilot: CopilotDep
) -> ChatCompletion | StreamingResponse:
    """Read by hand rather than by FastAPI so a body it cannot read is refused in OpenAI's shape too."""
    try:
        body = await request.body()
    except StarletteHTTPException as exc:  # the body limit, raised as the body is read
        raise OpenAIError(exc.status_code, str(exc.detail), code="request_too_large") from None
    chat = _read_request(body)
    question = _question(chat)
    ref = await run_in_threadpool(_account, engine, user, chat.model)
    now = clock()
    as_of = as_of_default(settings, now)
    reply = Reply(f"chatcmpl-{uuid.uuid4().hex}", int(now.timestamp()), chat.model)
    if chat.stream:
        pieces = copilot.stream(user=user, account=ref.external_id, question=question, as_of=as_of)
        return StreamingResponse(reply.chunks(pieces), media_type=MEDIA_TYPE, headers=HEADERS)
    answer = await run_in_threadpool(_ask, copilot, user, ref, question, as_of)
    return reply.whole(answer)


def _ask(copilot: Copilot, user: User, ref: AccountRef, question: str, as_of: date) -> CopilotAnswer:
    return copilot.ask(user=user, account=ref.external_id, question=question, as_of=as_of)


class Reply:
    """One completion's id, time and model, written whole or as chunks."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self.id = completion_id
        self.created = created
        self.model = model

    def whole(self, answer: CopilotAnswer) -> ChatCompletion:
        message = AssistantMessage(content=answer.answer + sources_text(answer.citations), citations=answer.citations)
        return ChatCompletion(id=self.id, created=self.created, model=self.model, choices=[Choice(message=message)])

    def _chunk(self, delta: Delta, finish: bool = False) -> str:
        chunk = ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(delta=delta, finish_reason="stop" if finish else None)],
        )
        return f"data: {chunk.model_dump_json(exclude_none=True)}\n\n"

    def chunks(self, pieces: Iterator[Draft | str | CopilotAnswer]) -> Iterator[str]:
        """The role, the text piece by piece, the numbered sources, then the citations with ``stop``.

        Only verified text is sent: an OpenAI client appends every delta and cannot take one back, so a
        model's unverified draft pieces are not passed on.
        """
        yield self._chunk(Delta(role="assistant", content=""))
        try:
            final: CopilotAnswer | None = None
            for piece in pieces:
                if isinstance(piece, CopilotAnswer):
                    final = piece
                elif isinstance(piece, Draft):
                    continue
                else:
                    yield self._chunk(Delta(content=piece))
        except Exception:  # the stream has started: end it with an error event OpenAI's clients raise on
            log.exception("the copilot failed while streaming an answer for model %s", self.model)
            error = {"error": {"message": "the copilot failed; ask again", "type": "server_error", "code": None}}
            yield f"data: {json.dumps(error)}\n\n"
            return
        citations = final.citations if final else []
        if citations:
            yield self._chunk(Delta(content=sources_text(citations)))
        yield self._chunk(Delta(citations=citations), finish=True)
        yield "data: [DONE]\n\n"
