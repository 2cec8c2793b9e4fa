"""What every response carries (security headers), how the session cookie is set, where flash messages come
from, and what a browser sees on an error."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.settings import Settings
from tests.integration.approval_support import NOW, PASSWORD, POLICY, account_ids, book_with_people, propose

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
INLINE = re.compile(r"<style|<script|\sstyle=|\son[a-z]+=", re.I)


@pytest.fixture
def people(engine):
    return book_with_people(engine)


def _app(engine, database_url, **settings):
    return create_app(Settings(database_url=database_url, **settings), engine=engine, policy=POLICY, clock=lambda: NOW)


def _signed_in(client: TestClient, username: str = "cs-manager") -> str:
    signed = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    return signed.headers["set-cookie"]


def test_every_response_carries_the_security_headers(engine, database_url, people):
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    with TestClient(_app(engine, database_url), base_url="https://testserver") as client:
        answers = [
            client.get("/health"),
            client.get("/login"),
            client.get("/", follow_redirects=False),
            client.get("/api/approvals"),
            client.get("/no-such-page", headers=HTML),
            client.post("/login", data={"username": "x", "password": "y"}),
        ]
        _signed_in(client)
        answers += [client.get("/"), client.get(f"/approvals/{offer.approval_id}"), client.get("/outbox")]
        answers.append(client.get("/static/watchtower.css"))
    for answer in answers:
        headers = answer.headers
        where = f"{answer.request.method} {answer.request.url.path} ({answer.status_code})"
        csp = headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, where
        assert "style-src 'self'" in csp and "'unsafe-inline'" not in csp, where
        assert headers.get("x-frame-options") == "DENY", where
        assert headers.get("x-content-type-options") == "nosniff", where
        assert headers.get("referrer-policy") == "same-origin", where
    pages = [a for a in answers if a.headers.get("content-type", "").startswith("text/html")]
    assert len(pages) >= 6
    for answer in pages:  # the policy allows no inline style or script, so the pages must have none
        assert not INLINE.search(answer.text), (answer.request.url.path, INLINE.search(answer.text))
        assert '<link rel="stylesheet" href="/static/watchtower.css">' in answer.text
    assert answers[-1].status_code == 200 and answers[-1].headers["content-type"].startswith("text/css")


def test_the_session_cookie_is_secure_by_default_even_over_plain_http(engine, database_url, people):
    with TestClient(_app(engine, database_url), base_url="http://testserver") as client:
        cookie = _signed_in(client)
    assert "watchtower_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    with TestClient(_app(engine, database_url, cookie_secure=False), base_url="http://testserver") as client:
        cookie = _signed_in(client)
        assert "Secure" not in cookie
        assert (
            client.get("/approvals", follow_redirects=False).status_code == 200
        )  # the dev cookie comes back over http


@pytest.mark.parametrize(
    ("setting", "secure", "noted"), [(None, True, False), (True, True, False), (False, False, True)]
)
def test_watchtower_web_sends_secure_cookies_unless_told_not_to(setting, secure, noted):
    """On a loopback address too: behind a TLS proxy on the same host the app listens on 127.0.0.1."""
    from api.cookies import cookie_security

    chosen, note = cookie_security(setting)
    assert chosen is secure and bool(note) is noted


def test_flash_messages_come_from_the_server_never_from_the_query(engine, database_url, people):
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    planted = "Your session expired, call +1 555 0100 to unlock"
    with TestClient(_app(engine, database_url), base_url="https://testserver") as client:
        assert planted not in client.get("/login", params={"error": planted, "message": planted}).text
        _signed_in(client)
        for path in ("/", "/outbox", f"/approvals/{offer.approval_id}"):
            page = client.get(path, params={"error": planted, "message": planted})
            assert page.status_code == 200 and planted not in page.text, path
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        done = client.post(
            f"/approvals/{offer.approval_id}/decision",
            data={"decision": "approve", "reason": "fine", "csrf": csrf},
            follow_redirects=False,
        )
        assert done.status_code == 303 and "message=" not in done.headers["location"]
        after = client.get(done.headers["location"])
        assert f"Approval {offer.approval_id}: offer {offer.offer_id} approved" in after.text
        assert "approved" not in re.sub(r"<[^>]+>", "", client.get("/").text.split("<main>")[1])  # shown once
        client.cookies.set("watchtower_flash", "message:" + planted, domain="testserver")
        assert planted not in client.get("/").text  # a flash cookie the server did not sign is ignored


def test_browsers_get_html_error_pages_and_the_api_json(engine, database_url, people):
    token_free = {"Accept": "application/json"}
    with TestClient(_app(engine, database_url), base_url="https://testserver") as client:
        missing = client.get("/no-such-page", headers=HTML)
        assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in missing.text
        _signed_in(client)
        hidden = client.get("/approvals/999999", headers=HTML)
        assert hidden.status_code == 404 and hidden.headers["content-type"].startswith("text/html")
        assert "no approval 999999 you can see" in hidden.text and 'href="/"' in hidden.text
        forged = client.post(
            "/approvals/1/decision", data={"decision": "approve", "reason": "x", "csrf": "no"}, headers=HTML
        )
        assert forged.status_code == 403 and forged.headers["content-type"].startswith("text/html")
        bad_page = client.get("/approvals?limit=0", headers=HTML)
        assert bad_page.status_code == 422 and bad_page.headers["content-type"].startswith("text/html")
        assert "limit" in bad_page.text
        api = client.get("/api/approvals", headers=HTML)  # the API answers JSON whatever the Accept header says
        assert api.status_code == 401 and api.json()["detail"]
        assert client.get("/no-such-page", headers=token_free).json() == {"detail": "Not Found"}
        assert client.get("/api/approvals/1", headers=HTML).headers["content-type"].startswith("application/json")
