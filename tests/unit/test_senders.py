"""Secrets in the senders' configuration never show in a repr, a str or a log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from actions.outbox import senders_from
from actions.senders import SmtpSender, WebhookSender
from core.settings import Settings

PASSWORD = "smtp-pass-Qx81"
HOOK = "https://hooks.slack.example/services/T0SECRET/B0SECRET/xoxSECRET"


def _settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        smtp_host="mail.example",
        smtp_from="csm@vendor.example",
        smtp_username="csm",
        smtp_password=PASSWORD,
        slack_webhook_url=HOOK,
        _env_file=None,
    )


def test_configured_senders_keep_their_secrets_out_of_repr_and_str() -> None:
    senders = senders_from(_settings())
    smtp, hook = senders["email"], senders["slack"]
    assert isinstance(smtp, SmtpSender) and isinstance(hook, WebhookSender)
    shown = " ".join([repr(senders), str(smtp), str(hook), f"{smtp!r} {hook}"])
    assert PASSWORD not in shown and "SECRET" not in shown
    assert "mail.example" in shown and "**********" in shown
    # The secrets are still there for the one place that needs them.
    assert smtp.password is not None and smtp.password.get_secret_value() == PASSWORD
    assert hook.url.get_secret_value() == HOOK


def test_a_plain_string_is_wrapped_so_a_hand_built_sender_is_safe_too() -> None:
    smtp = SmtpSender("mail.example", 587, "csm@vendor.example", username="csm", password=PASSWORD)  # type: ignore[arg-type]
    hook = WebhookSender(HOOK)  # type: ignore[arg-type]
    assert PASSWORD not in repr(smtp) and "SECRET" not in repr(hook)


def test_logging_a_sender_or_the_request_line_httpx_writes_masks_the_webhook(caplog: pytest.LogCaptureFixture) -> None:
    senders = senders_from(_settings())
    caplog.set_level(logging.DEBUG)
    logging.getLogger("watchtower.test").info("senders %s %r", senders, senders["slack"])
    # What httpx itself logs for every request, with the URL as an httpx.URL argument.
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d %s"', "POST", httpx.URL(HOOK), "HTTP/1.1", 200, "OK")
    assert PASSWORD not in caplog.text and "SECRET" not in caplog.text
    assert "HTTP Request: POST https://hooks.slack.example/***" in caplog.text
