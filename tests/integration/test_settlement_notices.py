"""The requester hears once when their offer is settled: the decision, who decided and why.

Through the web form, the JSON API and the CLI, as people decide; a person's
offer tells them at their own address, an agent's or a play's tells the CSM
who owns the account.
"""

from __future__ import annotations

from sqlalchemy import select, update
from typer.testing import CliRunner

from approvals.queue import ACCOUNT, APPROVAL, Actor
from cli.main import app as cli
from core.identity import USER
from core.models import OutboxMessage
from tests.integration.api_support import app_with_people, bearer, web_login
from tests.integration.approval_support import account_ids, book_with_people, propose

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


def _notices(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(OUTBOX).where(OUTBOX.c.dedupe_key.like("offer-settled:%")).order_by(OUTBOX.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def test_a_person_requester_is_told_once_with_the_decision_the_decider_and_the_reason(engine, database_url):
    with app_with_people(engine, database_url) as (client, people):
        with engine.begin() as conn:
            conn.execute(update(USER).where(USER.c.username == "cs-manager").values(display_name="Morgan Reyes"))
        offer = propose(engine, account_ids(engine)[0], {"discount_pct": 5}, by=people["ae"])
        csrf = web_login(client, "cs-manager")
        url = f"/approvals/{offer.approval_id}/decision"
        rejected = client.post(url, data={"decision": "reject", "reason": "no budget left", "csrf": csrf})
        assert rejected.status_code == 200
        client.post(url, data={"decision": "reject", "reason": "again", "csrf": csrf})  # refused: already settled
        notices = _notices(engine)
    assert len(notices) == 1
    notice = notices[0]
    assert notice["recipient"] == "ae@example.test" and notice["audience"] == "internal"
    assert "was rejected" in notice["subject"]
    assert "rejected by Morgan Reyes" in notice["body"] and "Reason: no budget left" in notice["body"]


def test_an_edit_says_approved_with_edits_over_the_api(engine, database_url):
    with app_with_people(engine, database_url) as (client, people):
        offer = propose(engine, account_ids(engine)[0], {"discount_pct": 15}, by=people["csm"])
        edit = {"decision": "edit", "reason": "12 is enough", "terms": {"discount_pct": 12}}
        answer = client.post(
            f"/api/approvals/{offer.approval_id}/decision", headers=bearer(engine, people["finance"]), json=edit
        )
        assert answer.status_code == 200, answer.text
    (notice,) = _notices(engine)
    assert notice["recipient"] == people["csm"].email
    assert "approved with edits by finance" in notice["body"] and "discount_pct 12" in notice["body"]


def test_a_plays_offer_tells_the_account_owner_from_the_cli(engine, database_url):
    people = book_with_people(engine)
    account = account_ids(engine)[0]
    offer = propose(engine, account, {"discount_pct": 5}, by=Actor("play:renewal_save", "play"))
    runner = CliRunner()
    args = ["--database-url", database_url, "approvals", "decide", str(offer.approval_id), "--as", "cs-manager"]
    done = runner.invoke(cli, [*args, "--decision", "approve", "--reason", "worth keeping them"])
    assert done.exit_code == 0, done.output
    with engine.connect() as conn:
        owner = conn.execute(select(ACCOUNT.c.owner_csm).where(ACCOUNT.c.id == account)).scalar_one()
        status = conn.execute(select(APPROVAL.c.status)).scalar_one()
    (notice,) = _notices(engine)
    assert status == "approved" and notice["recipient"] == owner == people["csm"].email
    assert "was approved by cs-manager" in notice["body"] and "worth keeping them" in notice["body"]
