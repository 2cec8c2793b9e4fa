"""The briefing's narrative against its facts record: the template's narrative traces, and a narrative with an
invented number, a wrong name, a wrong date or a made-up fact id is caught."""

from __future__ import annotations

from datetime import date

import pytest

from agents.briefing.narrative import cited_ids, findings, template_narrative, without_citations
from agents.schedule import briefing_week
from playbooks.briefing_facts import (
    AlertsSection,
    ApprovalsSection,
    BandCount,
    BriefingFacts,
    CategoryTotal,
    ExpansionSection,
    Mover,
    PlayCount,
    PlaysSection,
    RenewalChange,
    RenewalEntry,
    RenewalWindow,
    Scope,
)

AS_OF = date(2026, 11, 22)


def renewal(account: str, name: str, days: int, category: str, probability: float, arr: float) -> RenewalEntry:
    return RenewalEntry(
        id=f"renewal.{account}",
        account=account,
        account_name=name,
        owner_csm="dana@co.example",
        segment="Growth",
        renewal_on=date.fromordinal(AS_OF.toordinal() + days),
        days_to_renewal=days,
        category=category,
        probability=probability,
        arr=arr,
        weighted_arr=round(arr * probability, 2),
        band="Orange",
    )


def facts() -> BriefingFacts:
    soon = [
        renewal("ACC-00012", "Northwind Freight", 20, "at_risk", 0.3, 48_200.0),
        renewal("ACC-00031", "Blue Harbor Bank", 61, "commit", 0.95, 120_000.0),
    ]
    later = [*soon, renewal("ACC-00077", "Summit Labs", 150, "upside", 0.8, 9_500.0)]

    def window(days: int, entries: list[RenewalEntry]) -> RenewalWindow:
        cats = sorted({e.category for e in entries})
        return RenewalWindow(
            id=f"renewals.{days}",
            within_days=days,
            renewals=len(entries),
            arr=sum(e.arr for e in entries),
            weighted_arr=round(sum(e.weighted_arr for e in entries), 2),
            by_category=[
                CategoryTotal(
                    id=f"renewals.{days}.{c}",
                    category=c,
                    renewals=sum(e.category == c for e in entries),
                    arr=sum(e.arr for e in entries if e.category == c),
                    weighted_arr=round(sum(e.weighted_arr for e in entries if e.category == c), 2),
                )
                for c in cats
            ],
            entries=entries,
        )

    return BriefingFacts(
        as_of=AS_OF,
        week_before=date(2026, 11, 15),
        scope=Scope(audience="leadership", owner_csm=None, accounts=3, arr=177_700.0),
        renewals=[window(90, soon), window(180, later)],
        renewal_changes=[
            RenewalChange(
                id="renewal_change.ACC-00012",
                account="ACC-00012",
                account_name="Northwind Freight",
                change="category_changed",
                category_before="upside",
                category_after="at_risk",
                renewal_on=soon[0].renewal_on,
                arr=48_200.0,
            )
        ],
        bands=[
            BandCount(id="band.Green", band="Green", accounts=1, accounts_week_before=2, arr=9_500.0),
            BandCount(id="band.Orange", band="Orange", accounts=2, accounts_week_before=1, arr=168_200.0),
        ],
        movers=[
            Mover(
                id="mover.ACC-00012",
                account="ACC-00012",
                account_name="Northwind Freight",
                owner_csm="dana@co.example",
                score=52.5,
                previous_score=71.0,
                change=-18.5,
                band="Orange",
                previous_band="Yellow",
                window_days=7,
                quoted=["logins month over month worsened: +2% -> -31%"],
            )
        ],
        alerts=AlertsSection(
            new=2, open=5, open_risk=4, open_opportunity=1, open_high=1, new_entries=[], oldest_open=[]
        ),
        plays=PlaysSection(
            started=3,
            started_by_play=[PlayCount(id="plays.started.usage_decline", play="usage_decline", runs=3)],
            advanced=4,
            won=1,
            lost=0,
            open=9,
            started_entries=[],
            won_entries=[],
            lost_entries=[],
        ),
        approvals=ApprovalsSection(
            pending=2, overdue=1, approved=1, rejected=0, pending_entries=[], settled_entries=[]
        ),
        expansion=ExpansionSection(open=1, arr=9_500.0, entries=[]),
    )


GOOD = (
    "Northwind Freight moved from upside to at risk and renews on 12 December 2026 with $48.2k of ARR "
    "[renewal_change.ACC-00012]. 2 renewals worth $168k are due in 90 days [renewals.90]. Northwind Freight "
    "fell 18.5 points to 52.5 [mover.ACC-00012]. 2 approvals are pending, 1 past its SLA [approvals]."
)


def test_the_template_narrative_states_only_what_the_record_holds() -> None:
    record = facts()
    text = template_narrative(record)
    assert "Northwind Freight" in text and "$168k" in text
    assert findings(text, record) == []


def test_a_faithful_model_narrative_passes_and_its_citations_are_read() -> None:
    record = facts()
    text = GOOD
    assert findings(text, record, require_citations=True) == []
    assert cited_ids(text) == ["renewal_change.ACC-00012", "renewals.90", "mover.ACC-00012", "approvals"]
    assert "[" not in without_citations(text)


@pytest.mark.parametrize(
    ("narrative", "expected"),
    [
        (GOOD.replace("$168k", "$190k"), "$190k"),  # an invented amount
        (GOOD.replace("fell 18.5 points", "fell 23.5 points"), "23.5"),  # an invented number
        (GOOD.replace("2 renewals worth", "13 renewals worth"), "13"),  # an invented count
        (GOOD.replace("Northwind Freight moved", "Northwind Logistics moved"), "Logistics"),  # a wrong name
        (GOOD.replace("12 December 2026", "19 December 2026"), "19 December 2026"),  # a wrong date
        (GOOD.replace("[mover.ACC-00012]", "[mover.ACC-00099]"), "mover.ACC-00099"),  # a fact id not in the record
    ],
    ids=["amount", "number", "count", "name", "date", "fact-id"],
)
def test_a_narrative_that_states_what_the_record_does_not_is_caught(narrative: str, expected: str) -> None:
    problems = findings(narrative, facts(), require_citations=True)
    assert problems, narrative
    assert any(expected in p for p in problems), problems


def test_a_narrative_without_citations_is_refused_on_the_model_path() -> None:
    uncited = without_citations(GOOD)
    assert findings(uncited, facts()) == []
    assert any("cites no fact id" in p for p in findings(uncited, facts(), require_citations=True))


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 11, 23), date(2026, 11, 23)),  # a Monday is its own week
        (date(2026, 11, 24), date(2026, 11, 23)),  # the Tuesday after a Monday the scheduler missed
        (date(2026, 11, 29), date(2026, 11, 23)),  # Sunday still asks for the same week
        (date(2026, 11, 30), date(2026, 11, 30)),
    ],
)
def test_every_tick_of_a_week_asks_for_that_weeks_briefings(day: date, week: date) -> None:
    assert briefing_week(day) == week
