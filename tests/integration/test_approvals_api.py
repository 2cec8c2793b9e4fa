"""The HTTP API and web pages: auth everywhere but health, CSM visibility, decisions, 409s, events, CSRF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, insert, select

from approvals.queue import ACCOUNT
from core.audit import AUDIT
from core.models import MarketSignal, OutboxMessage
from tests.integration.api_support import api_routes, app_with_people, bearer
from tests.integration.approval_support import NOW, PASSWORD, account_ids, propose

SIGNALS = MarketSignal.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


@pytest.fixture
def api(engine, database_url):
    with app_with_people(engine, database_url) as served:
        yield served


def test_every_endpoint_but_health_needs_auth(api):
    client, _ = api
    assert client.get("/health").json() == {"status": "ok"}
    for method, path in [
        ("GET", "/api/approvals"),
        ("GET", "/api/approvals/1"),
        ("POST", "/api/approvals/1/decision"),
        ("POST", "/api/offers"),
        ("POST", "/events"),
        ("GET", "/api/openapi.json"),
    ]:
        response = client.request(method, path, json={})
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
    bad = client.get("/api/approvals", headers={"Authorization": "Bearer wt_not-a-token"})
    assert bad.status_code == 401 and "unknown" in bad.json()["detail"]
    assert client.get("/docs").status_code == 404 and client.get("/api/docs").status_code == 404
    for path in ("/approvals", "/outbox", "/approvals/1"):
        page = client.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_offer_to_decision_over_http(api, engine):
    client, people = api
    ae, finance, cro = (bearer(engine, people[r]) for r in ("ae", "finance", "cro"))
    assert client.get("/api/approvals", headers=ae).json()["items"] == []
    created = client.post(
        "/api/offers",
        headers=ae,
        json={
            "account": _external(engine),
            "kind": "discount",
            "terms": {"discount_pct": 25},
            "rationale": "Champion left; keep the renewal",
            "evidence": ["alert:7"],
        },
    )
    assert created.status_code == 201, created.text
    approval_id = created.json()["approval_id"]
    queue = client.get("/api/approvals", headers=finance, params={"status": "pending", "role": "finance"}).json()
    assert [i["id"] for i in queue["items"]] == [approval_id] and queue["total"] == 1
    assert client.get("/api/approvals", headers=finance, params={"role": "cro"}).json()["items"] == []
    detail = client.get(f"/api/approvals/{approval_id}", headers=finance).json()
    assert detail["evidence"] == ["alert:7"] and detail["account_context"]["external_id"] == _external(engine)
    assert [g["key"] for g in detail["chain"]] == ["finance", "cro"]

    early = client.post(
        f"/api/approvals/{approval_id}/decision", headers=cro, json={"decision": "approve", "reason": "ok"}
    )
    assert early.status_code == 409 and "must approve before" in early.json()["detail"]
    wrong = client.post(f"/api/approvals/{approval_id}/decision", headers=finance, json={"decision": "yes"})
    assert wrong.status_code == 422 and "'approve', 'edit', 'reject'" in wrong.json()["detail"][0]["msg"]
    stale = client.post(
        f"/api/approvals/{approval_id}/decision",
        headers=finance,
        json={"decision": "approve", "reason": "ok", "version": detail["version"] + 5},
    )
    assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]
    own = client.post(f"/api/approvals/{approval_id}/decision", headers=ae, json={"decision": "approve", "reason": "x"})
    assert own.status_code == 403
    step = client.post(
        f"/api/approvals/{approval_id}/decision",
        headers=finance,
        json={"decision": "approve", "reason": "within guidance", "version": detail["version"]},
    )
    assert step.status_code == 200 and step.json()["status"] == "pending"
    final = client.post(
        f"/api/approvals/{approval_id}/decision", headers=cro, json={"decision": "approve", "reason": "ok"}
    )
    assert final.json()["status"] == "approved" and final.json()["settled"]
    trail = client.get(f"/api/approvals/{approval_id}", headers=cro).json()["audit"]
    assert [e["action"] for e in trail] == ["create", "route", "approve", "approve", "settle"]


def _external(engine):
    with engine.connect() as conn:
        return conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id).limit(1)).scalar_one()


def test_a_csm_sees_only_their_own_accounts(api, engine):
    client, people = api
    mine = account_ids(engine, owner=people["csm"].email)
    theirs = [a for a in account_ids(engine) if a not in mine]
    assert mine and theirs
    own = propose(engine, mine[0], {"discount_pct": 5}, by=people["ae"])
    other = propose(engine, theirs[0], {"discount_pct": 5}, by=people["ae"])
    csm = bearer(engine, people["csm"])
    assert [i["id"] for i in client.get("/api/approvals", headers=csm).json()["items"]] == [own.approval_id]
    assert client.get(f"/api/approvals/{other.approval_id}", headers=csm).status_code == 404
    manager = bearer(engine, people["cs_manager"])
    assert {i["id"] for i in client.get("/api/approvals", headers=manager).json()["items"]} == {
        own.approval_id,
        other.approval_id,
    }


def test_pagination(api, engine):
    client, people = api
    ids = [propose(engine, a, {"discount_pct": 3}, by=people["ae"]).approval_id for a in account_ids(engine)[:5]]
    headers = bearer(engine, people["cs_manager"])
    pages = [client.get("/api/approvals", headers=headers, params={"limit": 2, "offset": o}).json() for o in (0, 2, 4)]
    assert [i["id"] for p in pages for i in p["items"]] == ids and {p["total"] for p in pages} == {5}


def test_events_are_validated_like_an_import(api, engine):
    client, people = api
    headers = bearer(engine, people["admin"])
    event = {
        "external_id": "EVT-API-1",
        "account_external_id": _external(engine),
        "kind": "funding",
        "published_on": "2026-11-20",
        "title": "Raises a Series C",
    }
    ok = client.post("/events", headers=headers, json={"type": "market_signal", "events": [event]})
    assert ok.status_code == 202, ok.text
    assert ok.json()["inserted"] == 1
    again = client.post("/events", headers=headers, json={"type": "market_signal", "events": [event]})
    assert again.json()["unchanged"] == 1
    bad = client.post(
        "/events",
        headers=headers,
        json={"type": "market_signal", "events": [{**event, "external_id": "EVT-API-2"}, {**event, "kind": "rumour"}]},
    )
    assert bad.status_code == 422
    [refused] = bad.json()["detail"]
    assert refused["loc"] == ["body", "events", 1, "kind"] and re.search(r"item 2, field 'kind'", refused["msg"])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SIGNALS)).scalar_one() == 1 + _seeded_signals(engine)
    assert client.post("/events", headers=headers, json={"type": "gossip", "events": [event]}).status_code == 422
    csm = client.post(
        "/events", headers=bearer(engine, people["csm"]), json={"type": "market_signal", "events": [event]}
    )
    assert csm.status_code == 403 and "admin token" in csm.json()["detail"]


def _seeded_signals(engine):
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(SIGNALS).where(SIGNALS.c.external_id != "EVT-API-1")
        ).scalar_one()


def test_no_api_route_can_change_audit_rows(api, engine):
    client, people = api
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    with engine.connect() as conn:
        before = conn.execute(select(AUDIT).order_by(AUDIT.c.id)).all()
    routes = [(sorted(r.methods or ()), r.path) for r in api_routes(client.app.routes)]
    assert len(routes) > 10 and ("/api/approvals/{approval_id}", ["GET"]) in [(p, m) for m, p in routes]
    assert not [p for methods, p in routes if {"PUT", "PATCH", "DELETE"} & set(methods)]
    assert not [p for _, p in routes if "audit" in p]
    headers = bearer(engine, people["cs_manager"])
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, f"/api/approvals/{offer.approval_id}", headers=headers).status_code == 405
    client.post(
        f"/api/approvals/{offer.approval_id}/decision", headers=headers, json={"decision": "approve", "reason": "ok"}
    )
    with engine.connect() as conn:
        after = conn.execute(select(AUDIT).order_by(AUDIT.c.id)).all()
    assert after[: len(before)] == before and len(after) > len(before)


def test_web_login_and_csrf(api, engine):
    client, people = api
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    assert client.post("/login", data={"username": "cs-manager", "password": "wrong"}).status_code == 200
    assert "watchtower_session" not in client.cookies
    signed = client.post("/login", data={"username": "cs-manager", "password": PASSWORD}, follow_redirects=False)
    assert signed.status_code == 303 and "watchtower_session" in client.cookies
    page = client.get("/approvals")
    assert f'id="approval-{offer.approval_id}"' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    forged = client.post(
        f"/approvals/{offer.approval_id}/decision", data={"decision": "approve", "reason": "x", "csrf": "forged"}
    )
    assert forged.status_code == 403
    done = client.post(
        f"/approvals/{offer.approval_id}/decision", data={"decision": "approve", "reason": "fine", "csrf": csrf}
    )
    assert done.status_code == 200 and "approved" in done.text
    assert f'id="approval-{offer.approval_id}"' not in client.get("/approvals").text


def _login(client, username):
    client.cookies.clear()
    client.post("/login", data={"username": username, "password": PASSWORD})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/outbox").text).group(1)


def test_outbox_drafts_are_approved_on_the_web_and_audited(api, engine):
    client, people = api
    mine, other = account_ids(engine, owner=people["csm"].email)[0], account_ids(engine)[-1]
    assert mine != other
    with engine.begin() as conn:
        ids = [
            conn.execute(
                insert(OUTBOX)
                .values(
                    account_id=account,
                    audience="customer",
                    channel="email",
                    recipient=f"champion{account}@customer.test",
                    subject=f"Checking in {account}",
                    body="Hello",
                    status="drafted",
                    created_on=NOW.date(),
                )
                .returning(OUTBOX.c.id)
            ).scalar_one()
            for account in (mine, other)
        ]
    csrf = _login(client, "finance")
    assert "finance does not approve customer emails" in client.get("/outbox").text
    refused = client.post(f"/outbox/{ids[0]}/decision", data={"decision": "approve", "reason": "x", "csrf": csrf})
    assert "not a draft you may approve" in refused.text

    csrf = _login(client, "csm")
    page = client.get("/outbox").text
    assert f'id="message-{ids[0]}"' in page and f'id="message-{ids[1]}"' not in page
    assert (
        "not a draft you may approve"
        in client.post(f"/outbox/{ids[1]}/decision", data={"decision": "approve", "reason": "x", "csrf": csrf}).text
    )
    done = client.post(
        f"/outbox/{ids[0]}/decision", data={"decision": "approve", "reason": "tone is right", "csrf": csrf}
    )
    assert f"Message {ids[0]}: approved" in done.text
    with engine.connect() as conn:
        status = conn.execute(select(OUTBOX.c.status, OUTBOX.c.approved_by).where(OUTBOX.c.id == ids[0])).one()
        event = conn.execute(select(AUDIT).where(AUDIT.c.entity == "outbox_message")).mappings().one()
    assert tuple(status) == ("approved", "csm")
    assert (event["action"], event["actor"], event["reason"]) == ("approve", "csm", "tone is right")
    assert event["before"] == {"status": "drafted"} and event["after"] == {"status": "approved"}


def test_sign_in_only_follows_local_paths(api):
    client, _ = api
    for target, expected in (("/outbox", "/outbox"), ("//evil.test/x", "/"), ("https://evil.test", "/")):
        response = client.post(
            "/login", data={"username": "legal", "password": PASSWORD, "next": target}, follow_redirects=False
        )
        assert response.headers["location"] == expected


def test_offers_the_policy_does_not_cover_or_cannot_price_are_answered_plainly(api, engine):
    client, people = api
    headers = bearer(engine, people["ae"])
    body = {"account": _external(engine), "kind": "payment_terms", "rationale": "asked for net-45"}
    uncovered = client.post("/api/offers", headers=headers, json={**body, "terms": {"payment_terms_days": 45}})
    assert uncovered.status_code == 201
    assert uncovered.json()["status"] == "rejected" and "no approval rule matches" in uncovered.json()["message"]
    typo = client.post("/api/offers", headers=headers, json={**body, "terms": {"payment_days": 45}})
    assert typo.status_code == 422 and typo.json()["detail"][0]["loc"] == ["body", "terms", "payment_days"]
    elsewhere = client.post("/api/offers", headers=bearer(engine, people["csm"]), json={**body, "account": "NOPE-1"})
    assert elsewhere.status_code == 404
