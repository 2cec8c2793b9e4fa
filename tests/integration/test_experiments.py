"""Holdout experiments: stable arms, no steps for the held out, and a report that says what the data supports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from core.models import Account, Contract, PlayRun, PlayStep, Task
from playbooks.experiments import compare_play
from playbooks.play_config import PlayBook
from tests.integration.helpers import AS_OF
from tests.integration.play_support import Book, advance, configs, seeded_book

CHECK_IN = {
    "id": "check_in",
    "name": "Check-in",
    "kind": "opportunity",
    "trigger": "arr > 0 and not churned",
    "holdout_pct": 50,
    "max_days": 30,
    "steps": [{"id": "call", "day": 1, "action": "task", "owner": "csm", "title": "Call {account_name}"}],
}


@pytest.fixture
def book(engine: Engine, database_url: str, tmp_path: Path) -> Book:
    return seeded_book(engine, database_url, tmp_path)


def _playbook() -> PlayBook:
    playbook, _ = configs()
    raw = playbook.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    raw["plays"] = [CHECK_IN]
    return PlayBook.model_validate(raw)


def _arms(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(PlayRun.account_id, PlayRun.arm).where(PlayRun.play == "check_in")).all())


def test_arms_are_stable_and_the_report_separates_a_real_difference_from_noise(book: Book) -> None:
    playbook = _playbook()
    advance(book.engine, AS_OF, playbook=playbook)
    arms = _arms(book.engine)
    assert 15 <= sum(a == "holdout" for a in arms.values()) <= len(arms) - 15
    with book.engine.connect() as conn:
        held = [i for i, a in arms.items() if a == "holdout"]
        run_ids = conn.execute(select(PlayRun.id).where(PlayRun.account_id.in_(held))).scalars().all()
        assert conn.execute(select(PlayStep.id).where(PlayStep.run_id.in_(run_ids))).all() == []
        assert conn.execute(select(Task.id).where(Task.run_id.in_(run_ids))).all() == []
    # Closed and opened again after the cool-down, every account lands in the same arm.
    with book.engine.begin() as conn:
        conn.execute(update(PlayRun).values(status="closed", closed_on=AS_OF, outcome="completed"))
    advance(book.engine, AS_OF + timedelta(days=40), playbook=playbook)
    with book.engine.connect() as conn:
        again = dict(
            conn.execute(
                select(PlayRun.account_id, PlayRun.arm).where(PlayRun.started_on == AS_OF + timedelta(days=40))
            ).all()
        )
    assert again == arms

    # Outcomes: treated accounts renew at their contract's end; held-out accounts leave then.
    with book.engine.begin() as conn:
        for account_id, arm in arms.items():
            contract = (
                conn.execute(select(Contract).where(Contract.account_id == account_id, Contract.status == "active"))
                .mappings()
                .first()
            )
            if contract is None:
                continue
            if arm == "treatment":
                conn.execute(
                    insert(Contract).values(
                        external_id=f"{contract['external_id']}-R",
                        account_id=account_id,
                        start_date=contract["end_date"] + timedelta(days=1),
                        end_date=contract["end_date"] + timedelta(days=366),
                        arr=contract["arr"],
                        status="active",
                    )
                )
            else:
                conn.execute(
                    update(Account)
                    .where(Account.id == account_id)
                    .values(status="churned", churned_on=contract["end_date"])
                )
    with book.engine.connect() as conn:
        early = compare_play(conn, "check_in", AS_OF + timedelta(days=20), min_per_arm=10)
        late = compare_play(conn, "check_in", AS_OF + timedelta(days=400), min_per_arm=10)
    renewal = next(c for c in early if c.metric == "renewal rate")
    assert renewal.verdict.startswith("sample too small to tell")
    renewal = next(c for c in late if c.metric == "renewal rate")
    assert renewal.treatment.value == 1.0 and renewal.holdout.value == 0.0
    assert renewal.low is not None and renewal.low > 0.5
    assert renewal.verdict.startswith("treatment higher")
    expansion = next(c for c in late if c.metric == "expansion rate")
    assert expansion.verdict.startswith("no detectable difference")  # renewals at the same ARR are not expansion
    health = next(c for c in late if c.metric.startswith("health change"))
    assert health.verdict.startswith("sample too small"), "no scorecards 30 days in: nothing to compare"
