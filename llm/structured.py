"""Run one LLM reading step: cache, call with retries, validate, repair once, else the deterministic path.

Every step has a deterministic function with the same output schema. The
result says which path produced it, so a scorecard or alert built on it can be
traced, and a cycle with the endpoint down still completes and says so.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.utils import message_chunk_to_message
from langchain_core.runnables import Runnable
from pydantic import BaseModel, ValidationError
from tenacity import RetryError

from core.retrying import backoff
from llm.endpoint_errors import describe_failure, is_transient
from prompts.loader import Prompt

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
Method = Literal["json_schema", "json_mode", "function_calling"]
ProducedBy = Literal["llm", "llm_cache", "deterministic", "fallback"]
#: Cache marker for an answer that failed validation and repair; an outage is never cached, so it is retried.
REJECTED = "__rejected__"


class LlmCache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, *, step: str, model: str, output: dict[str, Any], tokens: int) -> None: ...


class StreamListener(Protocol):
    """Sees an answer while it is written: ``start`` before each attempt (a retry or the repair writes anew),
    then every chunk as it arrives."""

    def start(self) -> None: ...

    def chunk(self, chunk: AIMessageChunk) -> None: ...


@dataclass
class LlmStats:
    """Counters for one run, copied into its run record."""

    calls: int = 0
    tokens: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    notes: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)


@dataclass(frozen=True)
class StepResult(Generic[T]):
    output: T
    produced_by: ProducedBy


class AnswerRejected(ValueError):
    """The model's answer did not parse, did not match the schema, or claimed what the input does not say."""


@dataclass
class LlmReader:
    """Turns a prompt and variables into a validated pydantic output."""

    model: BaseChatModel | None
    model_name: str = "none"
    method: Method = "json_schema"
    max_attempts: int = 4
    backoff_max_seconds: float = 20.0
    cache: LlmCache | None = None
    stats: LlmStats = field(default_factory=LlmStats)

    def read(
        self,
        *,
        step: str,
        prompt: Prompt,
        variables: dict[str, str],
        schema: type[T],
        deterministic: Callable[[], T],
        check: Callable[[T], list[str]] | None = None,
    ) -> StepResult[T]:
        if self.model is None:
            return StepResult(deterministic(), "deterministic")
        key = self._key(step, prompt, variables, schema)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.stats.cache_hits += 1
            if REJECTED in hit:
                # The same input at temperature 0 was answered invalidly before; asking again would repeat it.
                self.stats.fallbacks += 1
                self.stats.note(f"{step}: reused an earlier rejected answer; used the deterministic path")
                return StepResult(deterministic(), "fallback")
            try:
                return StepResult(schema.model_validate(hit), "llm_cache")
            except ValidationError:
                log.warning("cached answer for %s no longer matches %s; asking again", step, schema.__name__)
        system, user = prompt.render({**variables, "schema": json.dumps(schema.model_json_schema())})
        messages: list[BaseMessage] = [SystemMessage(system), HumanMessage(user)]
        try:
            output, tokens = self._answer(messages, schema, check)
        except (RetryError, openai.APIError) as exc:
            cause = exc.last_attempt.exception() if isinstance(exc, RetryError) else exc
            return self._fallback(step, deterministic, f"model unavailable ({describe_failure(cause)})")
        except (AnswerRejected, openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as exc:
            # A truncated or filtered answer is an answer problem, not an outage: at temperature 0 it would repeat.
            if self.cache is not None:
                self.cache.put(key, step=step, model=self.model_name, output={REJECTED: str(exc)}, tokens=0)
            why = (
                f"answer rejected after one repair ({exc})"
                if isinstance(exc, AnswerRejected)
                else describe_failure(exc)
            )
            return self._fallback(step, deterministic, why)
        if self.cache is not None:
            self.cache.put(key, step=step, model=self.model_name, output=output.model_dump(mode="json"), tokens=tokens)
        return StepResult(output, "llm")

    def _fallback(self, step: str, deterministic: Callable[[], T], why: str) -> StepResult[T]:
        self.stats.fallbacks += 1
        message = f"{step}: {why}; used the deterministic path"
        log.warning(message)
        self.stats.note(message)
        return StepResult(deterministic(), "fallback")

    def _key(self, step: str, prompt: Prompt, variables: dict[str, str], schema: type[BaseModel]) -> str:
        material = json.dumps(
            [step, prompt.version, self.model_name, self.method, schema.__name__, variables], sort_keys=True
        )
        return hashlib.sha256(material.encode()).hexdigest()

    def answer(
        self,
        messages: list[BaseMessage],
        schema: type[T],
        check: Callable[[T], list[str]] | None = None,
        listener: StreamListener | None = None,
    ) -> tuple[T, int]:
        """A validated answer to a conversation the caller built (the copilot's tool loop), with one repair.

        No cache and no rule path: the caller owns both. Raises ``AnswerRejected`` when the repair fails too,
        ``RetryError`` or ``openai.APIError`` when the endpoint fails, as ``read`` handles them.
        """
        return self._answer(messages, schema, check, listener)

    def invoke(self, runnable: Runnable, messages: list[BaseMessage]) -> AIMessage:
        """One call of a bound model (tools bound, say) with this reader's retries and counters."""
        reply, _ = self._invoke(runnable, messages, None)
        return reply

    def _answer(
        self,
        messages: list[BaseMessage],
        schema: type[T],
        check: Callable[[T], list[str]] | None,
        listener: StreamListener | None = None,
    ) -> tuple[T, int]:
        """One answer, and one repair if it fails validation."""
        reply, tokens = self._call(messages, schema, listener)
        try:
            return self._validate(reply, schema, check), tokens
        except AnswerRejected as first:
            repair = [
                *messages,
                # The answer goes back as plain text: an assistant tool call with no tool result is invalid input.
                AIMessage(_answer_text(reply)),
                HumanMessage(
                    f"Your answer was rejected: {first}. Reply again with one JSON object that matches "
                    "the schema, with quotes copied exactly from the text."
                ),
            ]
            reply, more = self._call(repair, schema, listener)
            return self._validate(reply, schema, check), tokens + more

    def _call(
        self, messages: list[BaseMessage], schema: type[BaseModel], listener: StreamListener | None = None
    ) -> tuple[AIMessage, int]:
        assert self.model is not None
        bound: Any
        if self.method == "function_calling":
            bound = self.model.bind_tools([schema], tool_choice=schema.__name__)
        elif self.method == "json_mode":
            bound = self.model.bind(response_format={"type": "json_object"})
        else:
            bound = self.model.bind(
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()},
                }
            )
        return self._invoke(bound, messages, listener)

    def _invoke(
        self, bound: Runnable, messages: list[BaseMessage], listener: StreamListener | None
    ) -> tuple[AIMessage, int]:
        for attempt in backoff(
            is_transient, attempts=self.max_attempts, max_wait_seconds=self.backoff_max_seconds, log=log
        ):
            with attempt:
                self.stats.calls += 1
                reply = bound.invoke(messages) if listener is None else _streamed(bound, messages, listener)
        usage = getattr(reply, "usage_metadata", None) or {}
        tokens = int(usage.get("total_tokens", 0))
        self.stats.tokens += tokens
        return reply, tokens

    def _validate(self, reply: AIMessage, schema: type[T], check: Callable[[T], list[str]] | None) -> T:
        if self.method == "function_calling":
            calls = reply.tool_calls or []
            strays = [c["name"] for c in calls if c["name"] != schema.__name__]
            if strays:
                raise AnswerRejected(f"called tools outside policy: {', '.join(strays)}")
            if not calls:
                raise AnswerRejected("no structured answer")
            raw: Any = calls[0]["args"]
        else:
            content = reply.content if isinstance(reply.content, str) else json.dumps(reply.content)
            try:
                raw = json.loads(_strip_fences(content))
            except json.JSONDecodeError as exc:
                raise AnswerRejected(f"not JSON: {exc.msg}") from None
        try:
            output = schema.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "answer"
            raise AnswerRejected(f"{where}: {first['msg']}") from None
        problems = check(output) if check else []
        if problems:
            raise AnswerRejected("; ".join(problems[:3]))
        return output


def _streamed(bound: Runnable, messages: list[BaseMessage], listener: StreamListener) -> AIMessage:
    """The same reply as ``invoke`` gives, read as a stream so the listener sees it being written."""
    listener.start()
    whole: AIMessageChunk | None = None
    for chunk in bound.stream(messages):
        listener.chunk(chunk)
        whole = chunk if whole is None else whole + chunk
    if whole is None:
        raise AnswerRejected("the stream ended before any answer")
    reply = message_chunk_to_message(whole)
    assert isinstance(reply, AIMessage)
    return reply


def _answer_text(reply: AIMessage) -> str:
    if reply.tool_calls:
        return json.dumps(reply.tool_calls[0]["args"])
    return reply.content if isinstance(reply.content, str) else json.dumps(reply.content)


def _strip_fences(content: str) -> str:
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()
