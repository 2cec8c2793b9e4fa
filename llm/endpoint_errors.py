"""What a failed call to an OpenAI-compatible endpoint means: worth retrying or not, and how to say it.

Chat and embeddings share one rule, so a flaky endpoint is retried the same way whichever step calls it:
rate limits, timeouts, refused connections and 5xx are transient; any other status (a bad key, an unknown
model, a request the server refuses) repeats however often it is sent.
"""

from __future__ import annotations

import openai


def describe_failure(exc: BaseException | None) -> str:
    """A short cause for a log line or an error message ("HTTP 500", "timed out")."""
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect"
    if isinstance(exc, openai.LengthFinishReasonError):
        return "answer cut off at the token limit"
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return "answer withheld by the server's content filter"
    return type(exc).__name__


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.RateLimitError | openai.APITimeoutError | openai.APIConnectionError):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500
