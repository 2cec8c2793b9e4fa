"""Signing in does the same work for every username, so response times do not tell which users exist.

The test counts scrypt runs instead of timing requests: a count does not flake
on a busy machine, and one hash more or less is exactly the difference a
stopwatch would have seen (an unknown user used to cost two, a user without a
password none).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import update

from core.identity import USER, add_user, login
from tests.integration.approval_support import NOW, PASSWORD, book_with_people


def test_every_login_runs_the_password_hash_exactly_once(engine, monkeypatch):
    book_with_people(engine)
    with engine.begin() as conn:
        add_user(conn, username="api-only", role="finance", now=NOW)  # a user with tokens and no password
        add_user(conn, username="gone", role="legal", password=PASSWORD, now=NOW)
        conn.execute(update(USER).where(USER.c.username == "gone").values(active=False))
    real = hashlib.scrypt
    calls: list[int] = []

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    work = {}
    for case, username, password in [
        ("unknown user", "nobody-here", "whatever-it-is"),
        ("wrong password", "finance", "wrong-password"),
        ("right password", "finance", PASSWORD),
        ("no password set", "api-only", "whatever-it-is"),
        ("deactivated", "gone", PASSWORD),
    ]:
        calls.clear()
        with engine.begin() as conn:
            login(conn, username, password, now=NOW)
        work[case] = len(calls)
    assert work == dict.fromkeys(work, 1), work
