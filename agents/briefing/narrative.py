"""The briefing's narrative: written from the template, or by a model from the facts record as JSON, and
checked against that record either way.

The template narrative is one sentence per section of ``prompts/briefing/narrative.md``, each filled with
values printed from the record. A model's narrative must cite the ids of the facts it states in square
brackets; ``findings`` lists every number, name and date the record does not hold (``core.faithfulness``)
and every cited id that is not a fact of the record. The citations are taken out before the text is shown.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.briefing import printing as p
from core.faithfulness import check
from playbooks.briefing_facts import BriefingFacts
from prompts.briefing import load_narrative_template

#: A citation of fact ids: [renewals.90], [mover.ACC-00033], [approvals], several separated by commas.
CITATION = re.compile(r"\s?\[((?:[a-z_]+(?:\.[\w@.+-]+)?)(?:\s*[,;]\s*[a-z_]+(?:\.[\w@.+-]+)?)*)\]")
#: The metrics the summary names; the table under it has them all.
SUMMARY_METRICS = ("nrr", "grr", "gross_renewal_rate")
#: How many renewals and alerts the model is shown in full; totals always cover every one.
MODEL_ENTRIES = 5


class ModelNarrative(BaseModel):
    """The opening of the briefing: short paragraphs, every fact followed by its [fact.id]."""

    model_config = ConfigDict(extra="ignore")

    narrative: str = Field(
        min_length=1,
        description="Two to four short Markdown paragraphs; every sentence that states a fact ends with the "
        "fact's id in square brackets, e.g. [renewals.90].",
    )


def audience_label(facts: BriefingFacts) -> str:
    return "Leadership" if facts.scope.owner_csm is None else f"The book of {facts.scope.owner_csm}"


def template_narrative(facts: BriefingFacts) -> str:
    """The narrative from the template: what needs attention first, then the week's activity."""
    t = load_narrative_template()
    paragraphs: list[str] = []
    soon, later = facts.renewals[0], facts.renewals[1]
    if later.renewals:
        parts = [f"{c.renewals} {p.category(c.category)} ({p.money(c.arr)})" for c in soon.by_category]
        categories = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts) or "none"
        paragraphs.append(
            t.render(
                "renewals",
                {
                    "renewals_90": str(soon.renewals),
                    "arr_90": p.money(soon.arr),
                    "weighted_90": p.money(soon.weighted_arr),
                    "categories_90": categories,
                    "renewals_180": str(later.renewals),
                    "arr_180": p.money(later.arr),
                    "weighted_180": p.money(later.weighted_arr),
                },
            )
        )
    else:
        paragraphs.append(t.render("renewals_none", {}))
    week_before = p.day(facts.week_before)
    if facts.renewal_changes:
        # The largest renewals first: what a change puts at stake matters more than when it renews.
        largest = sorted(facts.renewal_changes, key=lambda c: (-c.arr, c.account))[:5]
        changes = "; ".join(
            f"{c.account_name} ({p.money(c.arr)}) entered the 90-day window as {p.category(c.category_after)}"
            if c.change == "new"
            else f"{c.account_name} ({p.money(c.arr)}) moved from {p.category(c.category_before)} to "
            f"{p.category(c.category_after)}"
            for c in largest
        )
        if len(facts.renewal_changes) > 5:
            changes += "; more in the table below"
        paragraphs.append(t.render("changes", {"week_before": week_before, "changes": changes}))
    else:
        paragraphs.append(t.render("changes_none", {"week_before": week_before}))
    counted = ", ".join(f"{b.accounts} {b.band}" for b in facts.bands if b.accounts)
    health = [
        t.render("bands", {"bands": counted}) if counted else t.render("bands_none", {"as_of": p.day(facts.as_of)})
    ]
    if facts.movers:
        movers = "; ".join(
            f"{m.account_name} {'rose' if m.change > 0 else 'fell'} {abs(m.change):.1f} points to {m.score:.1f}"
            + (
                f" ({m.previous_band} to {m.band})"
                if m.previous_band and m.band and m.previous_band != m.band
                else f" ({m.band})"
                if m.band
                else ""
            )
            for m in facts.movers[:3]
        )
        health.append(t.render("movers", {"movers": movers}))
    paragraphs.append(" ".join(health))
    a, pl, ap, ex = facts.alerts, facts.plays, facts.approvals, facts.expansion
    activity = [
        t.render("alerts", {"alerts_new": str(a.new), "alerts_open": str(a.open), "alerts_high": str(a.open_high)}),
        t.render(
            "plays",
            {
                "plays_started": str(pl.started),
                "plays_advanced": str(pl.advanced),
                "plays_won": str(pl.won),
                "plays_lost": str(pl.lost),
                "plays_open": str(pl.open),
            },
        ),
        t.render(
            "approvals",
            {
                "approvals_pending": str(ap.pending),
                "approvals_overdue": str(ap.overdue),
                "approvals_approved": str(ap.approved),
                "approvals_rejected": str(ap.rejected),
            },
        ),
        t.render("expansion", {"expansion_open": str(ex.open), "expansion_arr": p.money(ex.arr)})
        if ex.open
        else t.render("expansion_none", {}),
    ]
    paragraphs.append(" ".join(activity))
    shown = [m for m in facts.metrics if m.key in SUMMARY_METRICS and m.value is not None and m.unit == "ratio"]
    if shown:
        period = f"{p.day(shown[0].period_start)} to {p.day(shown[0].period_end)}"
        values = ", ".join(f"{m.label} {m.value * 100:.1f}%" for m in shown)
        paragraphs.append(t.render("metrics", {"period": period, "metrics": values}))
    return "\n\n".join(paragraphs)


def headline(facts: BriefingFacts) -> str:
    return load_narrative_template().render(
        "headline", {"audience_label": audience_label(facts), "as_of": p.day(facts.as_of)}
    )


def cited_ids(text: str) -> list[str]:
    return [i.strip() for m in CITATION.finditer(text) for i in re.split(r"[,;]", m.group(1))]


def without_citations(text: str) -> str:
    return CITATION.sub("", text)


def findings(text: str, facts: BriefingFacts, *, require_citations: bool = False) -> list[str]:
    """What the narrative states that the record does not hold, and the fact ids it cites that do not exist."""
    known = facts.fact_ids()
    problems = [f"cites {i!r}, which is not a fact id of the record" for i in cited_ids(text) if i not in known]
    if require_citations and not cited_ids(text):
        problems.append("cites no fact id: follow every sentence that states a fact with its [fact.id]")
    problems += check(without_citations(text), facts).problems
    return problems


def model_record(facts: BriefingFacts) -> dict[str, Any]:
    """The record as the model reads it: the same facts with long lists cut to their first entries and the
    metrics without their formulas (the totals still count every one), so the prompt fits a small model's
    context on a large book. The narrative is checked against the whole record."""
    record = facts.model_dump(mode="json")
    for window in record["renewals"]:
        window["entries"] = [
            {k: e[k] for k in ("id", "account_name", "renewal_on", "category", "probability", "arr")}
            for e in window["entries"][:MODEL_ENTRIES]
        ]
        window["by_category"] = [
            {k: c[k] for k in ("id", "category", "renewals", "arr")} for c in window["by_category"]
        ]
    record["renewal_changes"] = [
        {k: c[k] for k in ("id", "account_name", "change", "category_before", "category_after")}
        for c in record["renewal_changes"][:MODEL_ENTRIES]
    ]
    record["movers"] = [
        {**{k: m[k] for k in ("id", "account_name", "score", "change", "band")}, "quoted": m["quoted"][:1]}
        for m in record["movers"][:3]
    ]
    record["bands"] = [{k: b[k] for k in ("id", "band", "accounts", "accounts_week_before")} for b in record["bands"]]
    alerts = record["alerts"]
    alerts["new_entries"] = [
        {k: a[k] for k in ("id", "account_name", "severity", "quoted")} for a in alerts["new_entries"][:MODEL_ENTRIES]
    ]
    alerts.pop("oldest_open")
    for key in ("started_entries", "won_entries", "lost_entries"):
        record["plays"][key] = [
            {k: e[k] for k in ("id", "account_name", "play", "outcome")} for e in record["plays"][key][:3]
        ]
    for key in ("pending_entries", "settled_entries"):
        record["approvals"][key] = [
            {k: e[k] for k in ("id", "account_name", "offer_kind", "age_days", "overdue")}
            for e in record["approvals"][key][:3]
        ]
    record["expansion"]["entries"] = [
        {k: e[k] for k in ("id", "account_name", "arr")} for e in record["expansion"]["entries"][:3]
    ]
    record["rollup"] = [
        {k: r[k] for k in ("id", "accounts", "arr", "at_risk_accounts", "renewals_90_arr")}
        for r in record["rollup"]
        if r["by"] == "segment"
    ]
    record["metrics"] = [
        {k: m[k] for k in ("id", "label", "unit", "value")} for m in record["metrics"] if m["value"] is not None
    ]
    return record


def model_facts_json(facts: BriefingFacts) -> str:
    return json.dumps(model_record(facts), separators=(",", ":"))
