"""Composing deterministic answers from hand-built tool results: every claim cited, nothing but the results."""

from __future__ import annotations

from datetime import date

from agents.copilot.compose import Composition, compose
from agents.copilot.intents import load_intents
from agents.copilot.verify import MARKER
from core.config_files import shipped_policy
from core.faithfulness import check
from core.glossary import load_glossary
from tools.access import AccountRef
from tools.copilot_results import (
    AccountSummary,
    AlertItem,
    AlertsResult,
    Passage,
    Reason,
    ScorecardResult,
    SearchResult,
    Stakeholder,
    StakeholderResult,
)
from tools.copilot_sources import Source

AS_OF = date(2026, 11, 22)
ACME = AccountRef(7, "ACC-00007", "Acme Robotics")
SUMMARY = AccountSummary(external_id="ACC-00007", name="Acme Robotics", owner_csm="csm@example.test")


def composition(intent: str, **results) -> Composition:
    intents = load_intents().intents
    return Composition(ACME, AS_OF, load_glossary(), intents, intents.get(intent), results)


def person(name: str, title: str, roles: list[str], contact_id: int) -> Stakeholder:
    return Stakeholder(
        name=name,
        title=title,
        roles=roles,
        status="active",
        departed_on=None,
        stance=None,
        last_engagement=None,
        engagement_trend=None,
        source=Source(table="contact", id=str(contact_id), text=f"{name}, {title}; roles: {', '.join(roles)}; active"),
        engagement_source=None,
    )


def test_why_at_risk_cites_the_band_and_each_reason_and_says_only_the_results() -> None:
    reasons = ["logins month over month worsened: -5% -> -65%", "NPS detractors rose: 1 -> 3"]
    card = ScorecardResult(
        account=SUMMARY,
        as_of=AS_OF,
        band="Red",
        score=31.5,
        trend=-12.25,
        contributions=[],
        reasons=[Reason(signal="x", text=t, delta_points=-5.0, kind="change") for t in reasons],
        source=Source(table="scorecard", id="41", text="Red band, score 31.5\n" + "\n".join(reasons)),
    )
    alerts = AlertsResult(
        account=SUMMARY,
        alerts=[
            AlertItem(
                kind="risk",
                type="usage_decline",
                severity="high",
                title="Logins fell 65% in a month",
                opened_on=AS_OF,
                source=Source(table="alert", id="9", text="Logins fell 65% in a month (high risk, open since x)"),
            )
        ],
    )
    c = composition("why_at_risk", scorecard=card, open_alerts=alerts)
    text = compose(c)
    assert "Acme Robotics is in the Red band [1]" in text
    assert f"- {reasons[0]} [2]" in text and f"- {reasons[1]} [3]" in text
    assert "Logins fell 65% in a month (high) [4]" in text
    assert [x.quote for x in c.citations] == ["Red band", *reasons, "Logins fell 65% in a month"]
    glossary = load_glossary()
    record = {
        "results": [card.model_dump(mode="json"), alerts.model_dump(mode="json")],
        "quoted": [glossary.wording(k) for k in glossary.terms],
    }
    assert check(MARKER.sub("", text), record).problems == []


def test_what_did_their_cfo_say_quotes_the_cfo() -> None:
    transcript = (
        "CSM03: How is the budget looking?\n"
        "Luca Chen: The dashboards are great.\n"
        "Ruth Andersen: The price increase is hard to justify this year.\n"
        "CSM03: Understood."
    )
    found = SearchResult(
        account=SUMMARY,
        query="What did their CFO say about pricing?",
        passages=[
            Passage(
                chunk_id="interaction:X1:0",
                source_table="interaction",
                source_id="X1",
                title="Call with Ruth Andersen",
                occurred_on=AS_OF,
                text=transcript,
                score=1.0,
            )
        ],
    )
    people = StakeholderResult(
        account=SUMMARY,
        stakeholders=[
            person("Luca Chen", "Director of Ops", ["champion"], 1),
            person("Ruth Andersen", "CFO", ["economic_buyer"], 2),
        ],
    )
    c = composition("what_did_they_say", search_knowledge=found, stakeholders=people)
    text = compose(c)
    quote = "Ruth Andersen: The price increase is hard to justify this year."
    assert f'"{quote}" [1]' in text
    assert [(x.source, x.id, x.quote) for x in c.citations] == [("kb", "interaction:X1:0", quote)]
    assert quote in transcript


def test_an_empty_result_uses_the_empty_section() -> None:
    c = composition("stakeholders", stakeholders=StakeholderResult(account=SUMMARY, stakeholders=[]))
    assert compose(c) == "No contacts with a role are recorded for Acme Robotics."
    assert c.citations == []


def test_the_teams_glossary_words_the_answer(tmp_path, monkeypatch) -> None:
    """A team's glossary copy wins over the shipped one, and the answer speaks its words."""
    shipped = load_glossary()
    team = tmp_path / "team"
    team.mkdir()
    text = shipped_policy("glossary.yaml").read_text(encoding="utf-8")
    ours = "an account the CS team has flagged for a save plan"
    (team / "glossary.yaml").write_text(text.replace(shipped.wording("at_risk"), ours), encoding="utf-8")
    monkeypatch.setenv("WATCHTOWER_CONFIG_DIR", str(team))
    card = ScorecardResult(
        account=SUMMARY,
        as_of=AS_OF,
        band="Orange",
        score=55.0,
        trend=None,
        contributions=[],
        reasons=[],
        source=Source(table="scorecard", id="3", text="Orange band, score 55.0"),
    )
    c = composition("why_at_risk", scorecard=card, open_alerts=AlertsResult(account=SUMMARY, alerts=[]))
    assert f"(at risk: {ours})" in compose(c)
