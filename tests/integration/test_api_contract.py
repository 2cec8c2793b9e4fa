"""The JSON API's contract: the OpenAPI schema types every body, lists page, offers list, edits are checked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from api.bounds import MAX_ID, MAX_TEXT
from api.openapi import SECURITY_DESCRIPTIONS
from approvals.queue import ACCOUNT, OFFER
from approvals.terms import OfferTerms
from core.models import Alert
from scorecards.weekly import ScoringConfig, score_book
from tests.integration.api_support import app_with_people, bearer
from tests.integration.approval_support import account_ids, propose
from tests.integration.helpers import AS_OF

ALERT = Alert.__table__  # type: ignore[attr-defined]


@pytest.fixture
def api(engine, database_url):
    with app_with_people(engine, database_url) as served:
        yield served


#: The only bodies left as free-form JSON objects: audit snapshots, an edit's changed terms, import rows
#: (checked by the importer, which also reads flattened keys), and FastAPI's own error context.
FREE_FORM = {
    "AuditEventPublic.before",
    "AuditEventPublic.after",
    "DecisionRecord.edits",
    "EventBatch.events[]",
    "ValidationError.ctx",
    # Term name to the money it gives away: the names are the offer terms', the values typed as money.
    "ConcessionPublic.parts",
    # The arguments a copilot tool was called with, recorded as given (an attempt to name another account shows).
    "ToolCallMade.arguments",
}


def _free_form(schema: dict[str, Any], where: str) -> list[str]:
    found = [where] if schema.get("type") == "object" and "properties" not in schema else []
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += _free_form(sub, where)
    if "items" in schema:
        found += _free_form(schema["items"], f"{where}[]")
    for name, sub in schema.get("properties", {}).items():
        found += _free_form(sub, f"{where}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        found += _free_form(schema["additionalProperties"], f"{where}{{}}")
    return found


def _refs(schema: dict[str, Any]) -> list[str]:
    return [schema["$ref"]] if "$ref" in schema else [ref for sub in schema.get("oneOf", []) for ref in _refs(sub)]


def test_the_openapi_schema_types_every_body_and_status(api, engine):
    client, people = api
    schema = client.get("/api/openapi.json", headers=bearer(engine, people["csm"])).json()
    operations = [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]
    assert {(m, p) for m, p, _ in operations} >= {
        ("get", "/api/approvals"),
        ("post", "/api/approvals/{approval_id}/decision"),
        ("get", "/api/offers"),
        ("get", "/api/offers/{offer_id}"),
        ("post", "/events"),
        ("post", "/api/copilot/{account}/messages"),
    }
    for method, path, op in operations:
        answers = {code: r["content"]["application/json"]["schema"] for code, r in op["responses"].items()}
        for code, body in answers.items():
            assert _refs(body), (method, path, code, body)  # a named model, never a bare object
        if "requestBody" in op:
            assert _refs(op["requestBody"]["content"]["application/json"]["schema"]), (method, path)
        if path.startswith("/api/"):
            assert "401" in answers, (method, path)
    components = schema["components"]["schemas"]
    assert {w for name, s in components.items() for w in _free_form(s, name)} == FREE_FORM
    assert components["ApprovalPublic"]["properties"]["status"]["enum"] == ["pending", "approved", "rejected"]
    assert components["OfferPublic"]["properties"]["status"]["enum"] == ["proposed", "approved", "rejected"]
    assert schema["components"]["securitySchemes"] == {
        "bearerToken": {"type": "http", "scheme": "bearer", "description": SECURITY_DESCRIPTIONS["bearerToken"]},
        "sessionCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": "watchtower_session",
            "description": SECURITY_DESCRIPTIONS["sessionCookie"],
        },
    }
    for method, path, op in operations:
        statuses = set(op["responses"])
        signed_in = path.startswith("/api/") or path == "/events"
        assert op.get("security") == ([{"bearerToken": []}] if signed_in else []), (method, path)
        if "requestBody" in op:
            assert {"400", "413", "422"} <= statuses, (method, path, statuses)
        if op.get("parameters") or "requestBody" in op:
            assert "422" in statuses, (method, path)
        for param in op.get("parameters", []):
            if param["in"] == "path" and param["schema"]["type"] == "integer":
                assert param["schema"]["minimum"] == 1 and param["schema"]["maximum"] == MAX_ID, (path, param)
            elif param["in"] == "path":
                assert param["schema"]["maxLength"] <= MAX_TEXT, (path, param)
    decision = schema["paths"]["/api/approvals/{approval_id}/decision"]["post"]["requestBody"]
    assert decision["content"]["application/json"]["schema"]["discriminator"]["propertyName"] == "decision"
    assert components["EditRequest"]["properties"]["terms"]["$ref"] == "#/components/schemas/TermsEdit"
    assert set(components["TermsEdit"]["properties"]) == set(OfferTerms.model_fields)


def test_a_method_a_path_does_not_take_is_a_405_naming_every_method_it_does(api):
    client, _ = api
    for method, path, allowed in [
        ("OPTIONS", "/api/offers", "GET, POST"),
        ("DELETE", "/api/offers/1", "GET"),
        ("GET", "/api/approvals/1/decision", "POST"),
    ]:
        answer = client.request(method, path)
        assert answer.status_code == 405 and answer.headers["allow"] == allowed, (method, path, answer.headers)


def test_offers_list_pages_newest_first_and_shows_a_csm_only_their_own(api, engine):
    client, people = api
    mine = account_ids(engine, owner=people["csm"].email)
    others = [a for a in account_ids(engine) if a not in mine]
    offers = [propose(engine, a, {"discount_pct": 4}, by=people["ae"]) for a in [*others[:4], mine[0]]]
    manager = bearer(engine, people["cs_manager"])
    pages = [client.get("/api/offers", headers=manager, params={"limit": 2, "offset": o}).json() for o in (0, 2, 4)]
    assert [i["id"] for p in pages for i in p["items"]] == [o.offer_id for o in reversed(offers)]
    assert {p["total"] for p in pages} == {5} and [p["offset"] for p in pages] == [0, 2, 4]
    first = pages[0]["items"][0]
    assert first["terms"]["discount_pct"] == 4 and first["status"] == "proposed"
    assert first["approval_id"] == offers[-1].approval_id
    assert first["requester"] == {"name": "ae", "kind": "person", "launched_by": None}

    csm = bearer(engine, people["csm"])
    own = client.get("/api/offers", headers=csm).json()
    assert [i["id"] for i in own["items"]] == [offers[-1].offer_id] and own["total"] == 1
    assert client.get(f"/api/offers/{offers[0].offer_id}", headers=csm).status_code == 404
    assert client.get(f"/api/offers/{offers[-1].offer_id}", headers=csm).json()["account"]["id"] == mine[0]
    client.post(
        f"/api/approvals/{offers[0].approval_id}/decision", headers=manager, json={"decision": "reject", "reason": "no"}
    )
    rejected = client.get("/api/offers", headers=manager, params={"status": "rejected"}).json()
    assert [i["id"] for i in rejected["items"]] == [offers[0].offer_id]
    assert client.get("/api/offers", headers=manager, params={"status": "maybe"}).status_code == 422


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"offset": 2**63}, {"limit": "ten"}, {"status": "open"}],
)
def test_list_bounds_are_a_422_not_a_500(api, engine, params):
    client, people = api
    headers = bearer(engine, people["cs_manager"])
    for path in ("/api/approvals", "/api/offers"):
        answer = client.get(path, headers=headers, params=params)
        assert answer.status_code == 422, (path, params, answer.text)
        assert answer.json()["detail"][0]["loc"][0] == "query"


def test_an_edit_is_checked_before_it_reaches_the_policy(api, engine):
    client, people = api
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    manager = bearer(engine, people["cs_manager"])
    url = f"/api/approvals/{offer.approval_id}/decision"
    for terms, where in [
        ({"discount_pct": -5}, "discount_pct"),
        ({"discount_pct": "nan"}, "discount_pct"),
        ({"term_months": 1.5}, "term_months"),
        ({"payment_days": 45}, "payment_days"),
        ({"multi_year": None}, "multi_year"),
        ({}, "terms"),
    ]:
        answer = client.post(url, headers=manager, json={"decision": "edit", "reason": "tidy", "terms": terms})
        assert answer.status_code == 422, (terms, answer.text)
        assert where in answer.json()["detail"][0]["loc"], (terms, answer.json())
    extra = client.post(url, headers=manager, json={"decision": "approve", "reason": "ok", "version": "one"})
    assert extra.status_code == 422
    edited = client.post(
        url,
        headers=manager,
        json={"decision": "edit", "reason": "net-45 instead", "terms": {"payment_terms_days": 45}, "version": 1},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json() | {"message": ""} == {
        "approval_id": offer.approval_id,
        "offer_id": offer.offer_id,
        "status": "approved",
        "group": "cs_manager",
        "version": 2,
        "settled": True,
        "message": "",
        "resumed": False,
    }
    with engine.connect() as conn:
        terms = conn.execute(select(OFFER.c.terms).where(OFFER.c.id == offer.offer_id)).scalar_one()
    assert terms == {"discount_pct": 5, "payment_terms_days": 45}


def test_an_offer_body_is_typed(api, engine):
    client, people = api
    with engine.connect() as conn:
        external = conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id)).scalars().first()
    headers = bearer(engine, people["ae"])
    body = {"account": external, "kind": "discount", "terms": {"discount_pct": 8}, "rationale": "keep them"}
    created = client.post("/api/offers", headers=headers, json=body)
    assert created.status_code == 201 and created.json()["status"] == "pending"
    for bad, where in [
        ({**body, "kind": "bribe"}, ["body", "kind"]),
        ({**body, "terms": {"discount_pct": 150}}, ["body", "terms", "discount_pct"]),
        ({**body, "rationale": ""}, ["body", "rationale"]),
        ({**body, "colour": "red"}, ["body", "colour"]),
    ]:
        answer = client.post("/api/offers", headers=headers, json=bad)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == where, answer.text
    detail = client.get(f"/api/offers/{created.json()['offer_id']}", headers=headers).json()
    assert detail["terms"]["discount_pct"] == 8 and detail["terms"]["payment_terms_days"] is None


def test_an_approval_reads_whole_with_scorecards_alerts_and_decisions(api, engine):
    client, people = api
    config = ScoringConfig.load()
    score_book(engine, config, AS_OF - timedelta(days=30))
    score_book(engine, config, AS_OF)
    account = account_ids(engine)[0]
    with engine.begin() as conn:
        conn.execute(
            insert(ALERT).values(
                account_id=account,
                agent="relationship",
                kind="risk",
                type="champion_departure",
                reason="left",
                severity="high",
                title="Champion left",
                opened_on=AS_OF,
                last_seen_on=AS_OF,
            )
        )
    offer = propose(engine, account, {"discount_pct": 25, "term_months": 12}, by=people["ae"])
    finance = bearer(engine, people["finance"])
    url = f"/api/approvals/{offer.approval_id}"
    edit = {"decision": "edit", "reason": "22 is enough", "terms": {"discount_pct": 22, "term_months": None}}
    assert client.post(f"{url}/decision", headers=finance, json=edit).status_code == 200
    listed = client.get("/api/approvals", headers=finance).json()["items"][0]
    assert listed["health"]["band"] in ("Green", "Yellow", "Orange", "Red") and listed["health"]["trend"] is not None
    detail = client.get(url, headers=finance)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    context = body["account_context"]
    assert context["score_reasons"] and context["scored_on"] == AS_OF.isoformat()
    assert [a["title"] for a in context["open_alerts"]] == ["Champion left"]
    assert [(d["by"], d["decision"], d["edits"]) for d in body["decisions"]] == [
        ("finance", "edit", {"discount_pct": 22.0, "term_months": None})
    ]
    assert [g["key"] for g in body["chain"]] == ["finance", "cro"] and body["chain"][0]["satisfied_at"]
    assert [e["action"] for e in body["audit"]] == ["create", "route", "edit"]  # an edit is audited once
