"""Who may ask the copilot about which account, on a seeded book with one real user per role."""

from __future__ import annotations

from sqlalchemy import func, select

from approvals.queue import ACCOUNT
from tests.integration.approval_support import account_ids, book_with_people, propose
from tools.access import reachable, reachable_accounts, resolve_account


def test_csm_reaches_only_owned_accounts_and_others_look_absent(engine):
    people = book_with_people(engine)
    csm = people["csm"]
    owned = account_ids(engine, owner=csm.email)
    everyone = account_ids(engine)
    others = sorted(set(everyone) - set(owned))
    assert owned and others
    with engine.connect() as conn:
        assert reachable_accounts(conn, csm) == owned
        assert all(reachable(conn, csm, a) for a in owned)
        assert not any(reachable(conn, csm, a) for a in others)
        foreign = conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.id == others[0])).scalar_one()
        # Another CSM's account and one that does not exist get the same answer.
        assert resolve_account(conn, csm, foreign) is None
        assert resolve_account(conn, csm, "ACC-99999") is None
        assert not reachable(conn, csm, 10_000_000)
        own = conn.execute(select(ACCOUNT.c.external_id).where(ACCOUNT.c.id == owned[0])).scalar_one()
        assert resolve_account(conn, csm, own).id == owned[0]


def test_overseers_reach_every_account(engine):
    people = book_with_people(engine)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(ACCOUNT)).scalar_one()
        for role in ("cs_manager", "cro", "admin"):
            assert reachable_accounts(conn, people[role]) is None
            assert sum(reachable(conn, people[role], a) for a in account_ids(engine)) == total
        assert not reachable(conn, people["admin"], 10_000_000)


def test_finance_and_legal_reach_accounts_of_offers_waiting_for_them(engine):
    people = book_with_people(engine)
    first, second, third = account_ids(engine)[:3]
    with engine.connect() as conn:
        assert reachable_accounts(conn, people["finance"]) == []
        assert reachable_accounts(conn, people["legal"]) == []
    propose(engine, first, {"discount_pct": 15}, by=people["ae"])  # finance decides above 10%
    propose(engine, second, {"discount_pct": 5}, by=people["ae"])  # CS manager only
    propose(engine, third, {"payment_terms_days": 45}, kind="payment_terms", by=people["ae"])
    with engine.connect() as conn:
        finance = reachable_accounts(conn, people["finance"])
        assert first in finance and second not in finance
        assert not reachable(conn, people["legal"], first)


def test_ae_reaches_accounts_of_their_own_waiting_offers(engine):
    people = book_with_people(engine)
    first, second = account_ids(engine)[:2]
    propose(engine, first, {"discount_pct": 5}, by=people["ae"])
    with engine.connect() as conn:
        assert reachable(conn, people["ae"], first)
        assert not reachable(conn, people["ae"], second)
