"""Signing in is throttled per user and per address, with a growing backoff, in the database (so every worker
process shares it), and each lockout is audited."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from core.audit import AUDIT
from core.login_throttle import LoginPolicy, load_login_policy
from core.settings import Settings
from tests.integration.approval_support import NOW, PASSWORD, POLICY, book_with_people

LIMITS = load_login_policy()


class Clock:
    """A clock the test moves forward, so lockouts expire without sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def site(engine, database_url):
    people = book_with_people(engine)
    clock = Clock(NOW)
    app = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=clock)
    return app, clock, people


def _client(app, address: str = "203.0.113.7") -> TestClient:
    return TestClient(app, base_url="https://testserver", client=(address, 50000))


def _sign_in(client: TestClient, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=False)


def test_the_shipped_limits_are_sane():
    assert isinstance(LIMITS, LoginPolicy)
    assert 3 <= LIMITS.user_address.max_failures < LIMITS.address.max_failures
    assert LIMITS.user_address.max_failures < LIMITS.user.max_failures
    assert LIMITS.lockout_seconds <= LIMITS.lockout_max_seconds


def test_a_user_is_locked_out_after_repeated_failures_with_a_growing_backoff(site, engine):
    app, clock, _ = site
    limit = LIMITS.user.max_failures
    with _client(app) as client:
        for n in range(limit):
            # each failure from a different address, so only the per-user limit can trip; the last one locks
            with _client(app, f"198.51.100.{n + 1}") as elsewhere:
                expected = 429 if n == limit - 1 else 200
                assert _sign_in(elsewhere, "finance", "wrong-password").status_code == expected
        locked = _sign_in(client, "finance")  # even the right password is refused while locked
        assert locked.status_code == 429, locked.text
        first = int(locked.headers["retry-after"])
        assert first == LIMITS.lockout_seconds and "try again in" in locked.text
        assert "watchtower_session" not in locked.cookies
        clock.now += timedelta(seconds=first + 1)
        for n in range(limit):
            with _client(app, f"198.51.101.{n + 1}") as elsewhere:
                assert _sign_in(elsewhere, "finance", "wrong-password").status_code in (200, 429)
        second = _sign_in(client, "finance")
        assert second.status_code == 429 and int(second.headers["retry-after"]) == 2 * first
        clock.now += timedelta(seconds=2 * first + 1)
        assert _sign_in(client, "finance").status_code == 303
    with engine.connect() as conn:
        events = conn.execute(select(AUDIT).where(AUDIT.c.action == "lockout")).mappings().all()
    assert [e["after"]["key"] for e in events][:2] == ["user:finance", "user:finance"]
    assert all(e["actor_kind"] == "system" and e["entity"] == "login_throttle" for e in events)


def test_a_stranger_cannot_lock_a_named_approver_out_from_one_address(site):
    app, _, _ = site
    with _client(app, "192.0.2.66") as stranger, _client(app, "192.0.2.67") as approver:
        for _ in range(LIMITS.user_address.max_failures):
            _sign_in(stranger, "finance", "wrong-password")
        assert _sign_in(stranger, "finance").status_code == 429  # the stranger's own guesses stop here
        assert _sign_in(approver, "finance").status_code == 303


def test_an_address_is_locked_out_across_usernames_known_or_not(site):
    app, _, _ = site
    names = ["finance", "legal", "no-such-user", "ae", "cro", "ghost"]
    with _client(app, "192.0.2.9") as sprayer, _client(app, "192.0.2.10") as colleague:
        answers = []
        for n in range(LIMITS.address.max_failures):
            answers.append(_sign_in(sprayer, names[n % len(names)], f"guess-{n}").status_code)
        assert set(answers) <= {200, 429}
        blocked = _sign_in(sprayer, "admin")
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert _sign_in(colleague, "admin").status_code == 303


def test_an_unknown_username_is_throttled_exactly_like_a_known_one(site):
    app, _, _ = site
    outcomes = {}
    for username in ("finance", "not-a-user"):
        seen = []
        for n in range(LIMITS.user.max_failures + 1):
            with _client(app, f"198.18.{len(outcomes)}.{n + 1}") as client:
                answer = _sign_in(client, username, "wrong-password")
                seen.append((answer.status_code, answer.headers.get("retry-after")))
        outcomes[username] = seen
    assert outcomes["finance"] == outcomes["not-a-user"]
    assert outcomes["finance"][-1][0] == 429


def test_the_throttle_outlives_the_app_that_counted(site, engine, database_url):
    app, clock, _ = site
    for n in range(LIMITS.user.max_failures):
        with _client(app, f"198.51.100.{n + 1}") as client:
            _sign_in(client, "legal", "wrong-password")
    another = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=clock)
    with _client(another) as client:
        assert _sign_in(client, "legal").status_code == 429
