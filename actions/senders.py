"""Deliver outbox messages: email over SMTP, team notifications to a Slack-compatible incoming webhook.

Both retry transient failures (refused or dropped connections, timeouts, SMTP
4xx, HTTP 429 and 5xx) with bounded, jittered backoff; a permanent refusal
(SMTP 5xx, HTTP 4xx) fails at once. Either way the caller keeps the message
in the outbox with the error, so nothing is lost.

The SMTP password and the webhook URL (whose path is the credential) are kept as
``SecretStr``: a sender's repr, an error and a log line show asterisks or the
host, never the secret. httpx logs each request's full URL at INFO, so every
webhook URL a sender holds is also masked in the ``httpx`` logger's records.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any, Literal, Protocol

import httpx
from pydantic import SecretStr
from tenacity import RetryError

from core.retrying import backoff

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """The message could not be delivered; the text says why and after how many attempts."""


@dataclass(frozen=True)
class Outgoing:
    id: int
    recipient: str
    recipient_name: str | None
    subject: str
    body: str


class Sender(Protocol):
    channel: str

    def send(self, message: Outgoing) -> None: ...


@dataclass(frozen=True)
class Retry:
    attempts: int = 3
    backoff_max_seconds: float = 10.0

    def run(self, what: str, call: Callable[[], None], retryable: Callable[[BaseException], bool]) -> None:
        try:
            for attempt in backoff(
                retryable, attempts=self.attempts, max_wait_seconds=self.backoff_max_seconds, log=log
            ):
                with attempt:
                    call()
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise SendFailed(f"{what}: {_describe(cause)} (after {self.attempts} attempts)") from cause


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"SMTP {exc.smtp_code} {text}".strip()
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, _TransientSmtp | _TransientHttp):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if exc is not None else "unknown error"


def _secret(value: SecretStr | str | None) -> SecretStr | None:
    return SecretStr(value) if isinstance(value, str) else value


class _MaskSecretUrls(logging.Filter):
    """Rewrites a log record's arguments that carry a known secret URL to its scheme and host."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets and isinstance(record.args, tuple):
            record.args = tuple(self._masked(arg) for arg in record.args)
        return True

    def _masked(self, arg: Any) -> Any:
        text = str(arg) if isinstance(arg, str | httpx.URL) else None
        if text is None or not any(secret in text for secret in self.secrets):
            return arg
        for secret in self.secrets:
            text = text.replace(secret, _public_part(secret))
        return text


def _public_part(url: str) -> str:
    """What may be shown of a secret URL: its scheme, host and port (a Slack webhook's credential is its path)."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}/***"


#: One filter for the process; each WebhookSender adds its URL (kept in memory, as the sender itself keeps it).
_MASK = _MaskSecretUrls()


class _TransientSmtp(Exception):
    """An SMTP 4xx answer: try again later."""


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int
    from_address: str
    username: str | None = None
    #: A plain string is wrapped on construction, so repr() and tracebacks show asterisks.
    password: SecretStr | None = None
    security: Literal["none", "starttls", "ssl"] = "starttls"
    timeout: float = 15.0
    retry: Retry = Retry()
    channel: str = "email"

    def __post_init__(self) -> None:
        object.__setattr__(self, "password", _secret(self.password))

    def send(self, message: Outgoing) -> None:
        email = EmailMessage()
        email["From"] = self.from_address
        email["To"] = formataddr((message.recipient_name or "", message.recipient))
        email["Subject"] = _one_line(message.subject)
        email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}")
        email.set_content(message.body)

        def deliver() -> None:
            try:
                self._deliver(email)
            except smtplib.SMTPResponseException as exc:
                if 400 <= exc.smtp_code < 500:
                    raise _TransientSmtp(_describe(exc)) from exc
                raise

        try:
            self.retry.run(f"SMTP {self.host}:{self.port}", deliver, _smtp_transient)
        except (smtplib.SMTPException, OSError) as exc:
            raise SendFailed(f"SMTP {self.host}:{self.port}: {_describe(exc)}") from exc

    def _deliver(self, email: EmailMessage) -> None:
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password.get_secret_value() if self.password else "")
            client.send_message(email)


def _smtp_transient(exc: BaseException) -> bool:
    """4xx answers, dropped or refused connections and timeouts; an SMTP 5xx (also an OSError) is final."""
    if isinstance(exc, _TransientSmtp | smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)


class _TransientHttp(Exception):
    """HTTP 429 or 5xx from the webhook."""


def _one_line(text: str) -> str:
    """A header on one line: a line break would be refused by the email library (it would start a header of
    its own), stopping the send; a subject can carry one from an imported name or an edit on approval."""
    return " ".join(text.split())


def _slack_text(text: str) -> str:
    """Text as Slack shows it, never as its controls: names come from customer data, and in a Slack message
    ``<!channel>`` notifies a whole channel and ``<url|label>`` disguises a link. Slack's three escapes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class WebhookSender:
    """Slack incoming webhooks (and the many services that accept the same ``{"text": ...}`` body)."""

    #: The whole URL is the credential; a plain string is wrapped on construction.
    url: SecretStr
    timeout: float = 15.0
    retry: Retry = Retry()
    channel: str = "slack"

    def __post_init__(self) -> None:
        url = _secret(self.url)
        if url is None:
            raise ValueError("WebhookSender needs a webhook URL")
        object.__setattr__(self, "url", url)
        # Registered on the httpx logger when first used, not at import: importing this module changes nothing.
        if _MASK not in logging.getLogger("httpx").filters:
            logging.getLogger("httpx").addFilter(_MASK)
        _MASK.secrets.add(url.get_secret_value())

    def send(self, message: Outgoing) -> None:
        payload = {"text": f"*{_slack_text(message.subject)}*\n{_slack_text(message.body)}"}

        def post() -> None:
            response = httpx.post(self.url.get_secret_value(), json=payload, timeout=self.timeout)
            if response.status_code == 429 or response.status_code >= 500:
                raise _TransientHttp(f"HTTP {response.status_code}")
            response.raise_for_status()

        try:
            self.retry.run("webhook", post, lambda exc: isinstance(exc, _TransientHttp | httpx.TransportError))
        except httpx.HTTPError as exc:
            raise SendFailed(f"webhook: {_describe(exc)}") from exc
