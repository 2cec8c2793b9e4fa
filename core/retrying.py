"""One retry policy for every call that leaves the process (model endpoints, mail and webhooks).

Exponential backoff with full jitter spreads the retries of many workers hitting the same
endpoint, and each wait is logged at WARNING so an operator can see a flaky dependency before
it becomes an outage. Callers decide what is worth retrying and how often.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tenacity import Retrying, before_sleep_log, retry_if_exception, stop_after_attempt, wait_random_exponential


def backoff(
    retryable: Callable[[BaseException], bool],
    *,
    attempts: int,
    max_wait_seconds: float,
    log: logging.Logger,
) -> Retrying:
    """A tenacity loop that does not re-raise: the caller turns `RetryError` into its own failure."""
    return Retrying(
        retry=retry_if_exception(retryable),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=0.5, max=max_wait_seconds),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=False,
    )
