"""The briefing's facts on a seeded book reviewed a week apart: every figure equals an independent query
written here in SQL, for leadership and for one CSM's book."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from playbooks.briefing_facts import BriefingFacts, briefing_facts
from tests.integration.briefing_support import AS_OF, WEEK_BEFORE, BriefingBook, briefing_book

ACTIVE = "(a.churned_on IS NULL OR a.churned_on > :d)"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> BriefingBook:
    return briefing_book(tmp_path_factory, "briefing-facts")


@pytest.fixture(scope="module")
def conn(book: BriefingBook) -> Iterator[Connection]:
    engine = book.engine
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def owner_clause(owner: str | None) -> str:
    return "" if owner is None else " AND a.owner_csm = :owner"


def latest_forecasts(conn: Connection, on: Any, owner: str | None) -> list[Any]:
    return list(
        conn.execute(
            text(
                f"""
                SELECT f.contract_id, a.external_id, f.renewal_on, f.category, f.arr, f.weighted_arr
                FROM renewal_forecast f JOIN account a ON a.id = f.account_id
                WHERE f.as_of = (SELECT MAX(g.as_of) FROM renewal_forecast g
                                 WHERE g.contract_id = f.contract_id AND g.as_of <= :on)
                  AND {ACTIVE.replace(":d", ":as_of")}{owner_clause(owner)}
                """
            ),
            {"on": on, "as_of": AS_OF, "owner": owner},
        )
    )


def due(rows: list[Any], on: Any, within: int) -> list[Any]:
    return [r for r in rows if on < _day(r.renewal_on) <= on + timedelta(days=within)]


def _day(value: Any) -> Any:
    from datetime import date

    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def latest_bands(conn: Connection, on: Any, owner: str | None) -> dict[str, str]:
    rows = conn.execute(
        text(
            f"""
            SELECT a.external_id, s.band, s.score FROM scorecard s JOIN account a ON a.id = s.account_id
            WHERE s.as_of = (SELECT MAX(t.as_of) FROM scorecard t WHERE t.account_id = s.account_id AND t.as_of <= :on)
              AND {ACTIVE.replace(":d", ":as_of")}{owner_clause(owner)}
            """
        ),
        {"on": on, "as_of": AS_OF, "owner": owner},
    )
    return {r.external_id: (r.band, r.score) for r in rows}


@pytest.fixture(scope="module", params=["leadership", "csm"])
def case(request: pytest.FixtureRequest, book: BriefingBook, conn: Connection) -> tuple[BriefingFacts, str | None]:
    owner = None if request.param == "leadership" else book.csm
    audience = "leadership" if owner is None else f"csm:{owner}"
    return briefing_facts(conn, audience=audience, as_of=AS_OF), owner


def test_the_scope_is_the_active_book_or_the_csms(case: tuple[BriefingFacts, str | None], conn: Connection) -> None:
    facts, owner = case
    count, arr = conn.execute(
        text(f"SELECT COUNT(*), COALESCE(SUM(a.arr), 0) FROM account a WHERE {ACTIVE}{owner_clause(owner)}"),
        {"d": AS_OF, "owner": owner},
    ).one()
    assert facts.scope.accounts == count > 0
    assert facts.scope.arr == pytest.approx(float(arr), abs=0.01)


def test_renewals_due_in_90_and_180_days_with_forecast_and_weighted_arr(
    case: tuple[BriefingFacts, str | None], conn: Connection
) -> None:
    facts, owner = case
    rows = latest_forecasts(conn, AS_OF, owner)
    for window in facts.renewals:
        expected = due(rows, AS_OF, window.within_days)
        assert window.renewals == len(expected)
        assert window.arr == pytest.approx(sum(float(r.arr) for r in expected), abs=0.01)
        assert window.weighted_arr == pytest.approx(sum(float(r.weighted_arr) for r in expected), abs=0.01)
        by_category = Counter(r.category for r in expected)
        assert {c.category: c.renewals for c in window.by_category} == dict(by_category)
        assert sorted(e.account for e in window.entries) == sorted(r.external_id for r in expected)
    assert facts.renewals[1].renewals >= facts.renewals[0].renewals > 0


def test_what_changed_since_the_week_before(case: tuple[BriefingFacts, str | None], conn: Connection) -> None:
    facts, owner = case
    now = {r.contract_id: r for r in due(latest_forecasts(conn, AS_OF, owner), AS_OF, 90)}
    then = {r.contract_id: r for r in due(latest_forecasts(conn, WEEK_BEFORE, owner), WEEK_BEFORE, 90)}
    expected = {
        (r.external_id, "new" if cid not in then else "category_changed", r.category)
        for cid, r in now.items()
        if cid not in then or then[cid].category != r.category
    }
    assert {(c.account, c.change, c.category_after) for c in facts.renewal_changes} == expected


def test_band_distribution_now_and_a_week_before_and_the_biggest_movers(
    case: tuple[BriefingFacts, str | None], conn: Connection
) -> None:
    facts, owner = case
    now, then = latest_bands(conn, AS_OF, owner), latest_bands(conn, WEEK_BEFORE, owner)
    assert {b.band: b.accounts for b in facts.bands if b.accounts} == dict(Counter(b for b, _ in now.values()))
    assert {b.band: b.accounts_week_before for b in facts.bands if b.accounts_week_before} == dict(
        Counter(b for b, _ in then.values())
    )
    changes = sorted(
        (abs(round(now[a][1] - then[a][1], 1)), a) for a in now if a in then and now[a][1] is not None and then[a][1]
    )
    assert facts.movers, "a week of new data moves some score"
    top = facts.movers[0]
    assert abs(top.change) == changes[-1][0]
    assert top.change == pytest.approx(now[top.account][1] - then[top.account][1], abs=0.06)
    assert top.window_days == 7


def test_alerts_plays_approvals_and_expansion(case: tuple[BriefingFacts, str | None], conn: Connection) -> None:
    facts, owner = case
    params = {"d": AS_OF, "as_of": AS_OF, "before": WEEK_BEFORE, "owner": owner}
    where = f"{ACTIVE}{owner_clause(owner)}"
    alerts = conn.execute(
        text(
            f"""SELECT al.kind, al.opened_on > :before AS new FROM alert al JOIN account a ON a.id = al.account_id
            WHERE al.opened_on <= :as_of AND (al.resolved_on IS NULL OR al.resolved_on > :as_of) AND {where}"""
        ),
        params,
    ).all()
    assert facts.alerts.open == len(alerts)
    assert facts.alerts.new == sum(bool(r.new) for r in alerts)
    assert facts.expansion.open == sum(r.kind == "opportunity" for r in alerts)
    runs = conn.execute(
        text(
            f"""SELECT r.started_on > :before AS started, r.outcome, r.closed_on FROM play_run r
            JOIN account a ON a.id = r.account_id WHERE r.arm = 'treatment' AND r.started_on <= :as_of AND {where}"""
        ),
        params,
    ).all()
    assert facts.plays.started == sum(bool(r.started) for r in runs)
    advanced = conn.execute(
        text(
            f"""SELECT COUNT(DISTINCT st.run_id) FROM play_step st JOIN play_run r ON r.id = st.run_id
            JOIN account a ON a.id = r.account_id WHERE r.arm = 'treatment' AND st.status = 'done'
            AND st.finished_on > :before AND st.finished_on <= :as_of AND {where}"""
        ),
        params,
    ).scalar_one()
    assert facts.plays.advanced == advanced > 0
    closed_in_week = [r for r in runs if r.closed_on is not None and WEEK_BEFORE < _day(r.closed_on) <= AS_OF]
    assert facts.plays.won == sum(r.outcome in ("recovered", "renewed", "won", "expanded") for r in closed_in_week)
    assert facts.plays.lost == sum(r.outcome in ("lost", "churned") for r in closed_in_week)
    assert facts.plays.open == sum(r.closed_on is None or _day(r.closed_on) > AS_OF for r in runs)
    pending = conn.execute(
        text(
            f"""SELECT COUNT(*) FROM approval ap JOIN account a ON a.id = ap.account_id
            WHERE ap.status = 'pending' AND {where}"""
        ),
        params,
    ).scalar_one()
    assert facts.approvals.pending == pending


def test_leadership_rolls_up_by_segment_and_owner(book: BriefingBook, conn: Connection) -> None:
    facts = briefing_facts(conn, audience="leadership", as_of=AS_OF)
    rows = conn.execute(
        text(f"SELECT a.segment, a.owner_csm, COUNT(*) AS n FROM account a WHERE {ACTIVE} GROUP BY 1, 2"),
        {"d": AS_OF},
    ).all()
    by_segment: Counter[str] = Counter()
    by_owner: Counter[str] = Counter()
    for r in rows:
        by_segment[r.segment] += r.n
        by_owner[r.owner_csm] += r.n
    assert {r.key: r.accounts for r in facts.rollup if r.by == "segment"} == dict(by_segment)
    assert {r.key: r.accounts for r in facts.rollup if r.by == "owner"} == dict(by_owner)
    csm = briefing_facts(conn, audience=f"csm:{book.csm}", as_of=AS_OF)
    assert csm.rollup == []
    assert {e.account for w in csm.renewals for e in w.entries} <= {
        e.account for w in facts.renewals for e in w.entries
    }


def test_every_fact_has_a_unique_id(case: tuple[BriefingFacts, str | None]) -> None:
    facts, _ = case
    ids = facts.fact_ids()
    assert {"renewals.90", "renewals.180", "alerts", "plays", "approvals", "expansion", "metric.nrr"} <= ids
    assert all(f"renewal.{e.account}" in ids for e in facts.renewals[0].entries)
