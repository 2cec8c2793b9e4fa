"""No input is a 500: ids, numbers and text past what the database or the arithmetic holds are refused with 422.

Each case was a 500 on one backend or both: ids past 2^63 (SQLite) or 2^31 (Postgres), a NUL byte in text
(Postgres), a lone surrogate anywhere (the response could not even be encoded), money past what a decimal
context or a Numeric(14, 2) column holds. Every 422 has the one declared shape, ``{"detail": [{loc, msg,
type}]}``, whichever layer refused.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.bounds import MAX_EVIDENCE_ITEM, MAX_EVIDENCE_ITEMS, MAX_ID
from approvals.queue import ACCOUNT, APPROVAL, OFFER
from core.settings import Settings
from tests.integration.approval_support import NOW, POLICY, account_ids, book_with_people, propose, token_for

TOO_BIG_IDS = [2**31, 2**63, 2**64, 0, -1]


@pytest.fixture
def api(engine, database_url):
    people = book_with_people(engine)
    app = create_app(Settings(database_url=database_url), engine=engine, policy=POLICY, clock=lambda: NOW)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, people


def _headers(engine, user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(engine, user)}"}


def _external(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(ACCOUNT.c.external_id).order_by(ACCOUNT.c.id)).scalars().first()


def assert_declared_422(answer: Any, where: str) -> None:
    """A 422 in the declared shape whose first error names ``where`` (in its location or its message)."""
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for error in detail:
        assert {"loc", "msg", "type"} <= set(error), error
        assert isinstance(error["loc"], list) and isinstance(error["msg"], str), error
    first = detail[0]
    assert where in [*map(str, first["loc"]), first["msg"]] or where in first["msg"], detail


@pytest.mark.parametrize("big", TOO_BIG_IDS)
def test_ids_out_of_range_are_a_422(api, engine, big):
    client, people = api
    headers = _headers(engine, people["cro"])
    decision = {"decision": "approve", "reason": "fine"}
    for method, path, body in [
        ("GET", f"/api/approvals/{big}", None),
        ("POST", f"/api/approvals/{big}/decision", decision),
        ("GET", f"/api/offers/{big}", None),
    ]:
        answer = client.request(method, path, headers=headers, json=body)
        assert_declared_422(answer, "path")


def test_the_largest_id_is_still_a_404(api, engine):
    client, people = api
    answer = client.get(f"/api/offers/{MAX_ID}", headers=_headers(engine, people["cro"]))
    assert answer.status_code == 404, answer.text


@pytest.mark.parametrize("big", [2**31, 2**63])
def test_numbers_in_bodies_out_of_range_are_a_422(api, engine, big):
    client, people = api
    headers = _headers(engine, people["ae"])
    base = {"account": _external(engine), "kind": "discount", "terms": {"discount_pct": 8}, "rationale": "keep them"}
    assert_declared_422(client.post("/api/offers", headers=headers, json={**base, "contract_id": big}), "contract_id")
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    manager = _headers(engine, people["cs_manager"])
    stale = {"decision": "approve", "reason": "fine", "version": big}
    assert_declared_422(
        client.post(f"/api/approvals/{offer.approval_id}/decision", headers=manager, json=stale), "version"
    )


@pytest.mark.parametrize(
    ("kind", "terms", "where"),
    [
        ("discount", {"discount_amount": "1e999"}, "discount_amount"),
        ("discount", {"discount_amount": "1e13"}, "discount_amount"),
        ("service_credit", {"service_credit_amount": "1e40"}, "service_credit_amount"),
        ("expansion", {"seats_added": 2**63, "price_per_seat": "10"}, "seats_added"),
        ("expansion", {"seats_added": 900_000, "price_per_seat": "900000000"}, "price_per_seat"),
        ("renewal", {"renewal_arr": "1e400"}, "renewal_arr"),
    ],
)
def test_money_past_what_the_ledger_holds_is_a_422(api, engine, kind, terms, where):
    client, people = api
    body = {"account": _external(engine), "kind": kind, "terms": terms, "rationale": "keep them"}
    answer = client.post("/api/offers", headers=_headers(engine, people["ae"]), json=body)
    assert_declared_422(answer, where)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OFFER)).scalar_one() == 0


#: Text that is not text: a NUL byte (Postgres refuses it) and lone surrogates (no encoding holds them).
NOT_TEXT = ["a\x00b", "\ud800", "ok \udfff"]


def _raw(body: dict[str, Any]) -> bytes:
    """JSON as a client would send it, lone surrogates escaped as \\udXXX (``json.dumps`` does that)."""
    return json.dumps(body).encode()


@pytest.mark.parametrize("bad", NOT_TEXT)
def test_text_that_is_not_text_is_a_422_in_every_body(api, engine, bad):
    client, people = api
    headers = {**_headers(engine, people["ae"]), "content-type": "application/json"}
    base = {"account": _external(engine), "kind": "discount", "terms": {"discount_pct": 8}, "rationale": "keep them"}
    for body, where in [
        ({**base, "rationale": bad}, "rationale"),
        ({**base, "account": bad}, "account"),
        ({**base, "evidence": ["alert:1", bad]}, "evidence"),
        ({**base, "terms": {"discount_pct": 8, "exception": bad}}, "exception"),
        ({**base, "terms": {"discount_pct": 8, "renewal_on": bad}}, "renewal_on"),
    ]:
        assert_declared_422(client.post("/api/offers", headers=headers, content=_raw(body)), where)
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    manager = {**_headers(engine, people["cs_manager"]), "content-type": "application/json"}
    url = f"/api/approvals/{offer.approval_id}/decision"
    for body, where in [
        ({"decision": "reject", "reason": bad}, "reason"),
        ({"decision": "edit", "reason": "tidy", "terms": {"exception": bad}}, "exception"),
    ]:
        assert_declared_422(client.post(url, headers=manager, content=_raw(body)), where)
    admin = {**_headers(engine, people["admin"]), "content-type": "application/json"}
    event = {"type": "market_signal", "events": [{"account_external_id": bad}]}
    assert_declared_422(client.post("/events", headers=admin, content=_raw(event)), "account_external_id")
    with engine.connect() as conn:
        assert conn.execute(select(APPROVAL.c.status, APPROVAL.c.version)).one() == ("pending", 1)


def test_evidence_is_bounded_in_count_and_length(api, engine):
    client, people = api
    headers = _headers(engine, people["ae"])
    base = {"account": _external(engine), "kind": "discount", "terms": {"discount_pct": 8}, "rationale": "keep them"}
    for evidence in (["x" * (MAX_EVIDENCE_ITEM + 1)], ["alert:1"] * (MAX_EVIDENCE_ITEMS + 1)):
        assert_declared_422(
            client.post("/api/offers", headers=headers, json={**base, "evidence": evidence}), "evidence"
        )
    longest = ["x" * MAX_EVIDENCE_ITEM] * MAX_EVIDENCE_ITEMS
    assert client.post("/api/offers", headers=headers, json={**base, "evidence": longest}).status_code == 201


def test_refusals_past_the_request_models_have_the_declared_shape(api, engine):
    """What the domain refuses (terms it cannot price, an edit out of bounds, import rows) is a 422 like any other."""
    client, people = api
    no_contract = {
        "account": _external(engine),
        "kind": "discount",
        "contract_id": 99,
        "terms": {"discount_pct": 8},
        "rationale": "keep them",
    }
    assert_declared_422(
        client.post("/api/offers", headers=_headers(engine, people["ae"]), json=no_contract), "contract"
    )
    rows = {"type": "usage", "events": [{"account_external_id": "ACC-00001"}]}
    answer = client.post("/events", headers=_headers(engine, people["admin"]), json=rows)
    assert_declared_422(answer, "events")
    assert answer.json()["detail"][0]["loc"][:3] == ["body", "events", 0], answer.json()
    offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
    unpaired = {"decision": "edit", "reason": "tidy", "terms": {"waived_increase_pct": 5}}
    url = f"/api/approvals/{offer.approval_id}/decision"
    answer = client.post(url, headers=_headers(engine, people["cs_manager"]), json=unpaired)
    assert_declared_422(answer, "waived_increase_pct")


OFFER_BODY = '{{"account": "{a}", "kind": "discount", "rationale": "r", '


def _post_raw_offer(api, engine, body: str):
    """POST ``body`` as it is written (``{a}`` becomes an account's external id) to the offers route as the AE."""
    client, people = api
    return client.post(
        "/api/offers",
        content=body.format(a=_external(engine)),
        headers={**_headers(engine, people["ae"]), "content-type": "application/json"},
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        # The reviewer's log shows 5% while a last-wins parser would route and grant 50%.
        (OFFER_BODY + '"terms": {{"discount_pct": 5, "discount_pct": 50}}}}', "discount_pct"),
        (OFFER_BODY + '"account": "ACC-00001", "terms": {{"discount_pct": 5}}}}', "account"),
        (OFFER_BODY + '"terms": ' + "[" * 50_000 + "]" * 50_000 + "}}", "nested"),
    ],
    ids=["duplicate-term", "duplicate-account", "too-deep"],
)
def test_a_json_body_with_a_key_given_twice_or_nested_too_deep_is_a_422_naming_it(api, engine, body, named):
    answer = _post_raw_offer(api, engine, body)
    assert answer.status_code == 422, answer.text[:300]
    assert named in json.dumps(answer.json()["detail"]), answer.text[:300]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OFFER)).scalar_one() == 0


@pytest.mark.parametrize(
    "body",
    [
        "1e999999",
        '{{"account": "{a}", "kind": "discount", "rationale": "r", "contract_id": 1e999}}',
        "[-1e400]",
        '{{"account": "{a}", "kind": "discount", "rationale": "r", "contract_id": 1' + "0" * 5000 + "}}",
    ],
    ids=["bare-infinity", "infinite-field", "infinite-in-list", "int-past-the-digit-limit"],
)
def test_a_number_too_large_for_a_float_is_a_422_not_a_500(api, engine, body):
    """JSON reads 1e999 as infinity, and a 422 that echoes the input back cannot write it as JSON; an integer
    of 5,000 digits is past what Python converts at all. Each is the declared 422, not a 500 or a bare 400."""
    answer = _post_raw_offer(api, engine, body)
    assert answer.status_code == 422, answer.text[:300]
    assert answer.json()["detail"], answer.text[:300]


def test_terms_text_every_approver_reads_is_bounded(api, engine):
    """``renewal_on`` is a day; a megabyte in it would be shown on every approver's queue, as evidence once was."""
    client, people = api
    base = {"account": _external(engine), "kind": "renewal", "terms": {}, "rationale": "keep them"}
    headers = _headers(engine, people["ae"])
    for bad in ("x" * 100_000, "next year"):
        answer = client.post("/api/offers", headers=headers, json={**base, "terms": {"renewal_on": bad}})
        assert_declared_422(answer, "renewal_on")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OFFER)).scalar_one() == 0
