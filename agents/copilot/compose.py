"""The deterministic answer: each intent's tool results turned into its template's values, every claim cited.

A composer reads only the results of this turn's tools (and the glossary's wording); it prints figures, names
and dates from them and nothing else, and puts the ``[n]`` marker of a citation after each claim. The
wording around the values lives in ``prompts/copilot/<intent>.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from agents.copilot.intents import Intent, IntentSet
from agents.copilot.schema import Citation
from core.config_errors import ConfigError
from core.glossary import Glossary
from prompts.copilot_answers import load_answer_template
from prompts.templates import TemplateError
from tools.access import AccountRef
from tools.copilot_results import (
    AlertsResult,
    BookResult,
    OffersResult,
    Passage,
    PlaysResult,
    RenewalResult,
    ScorecardResult,
    SearchResult,
    Stakeholder,
    StakeholderResult,
    UsageTrendResult,
)
from tools.copilot_sources import Source, drag_line, drags

#: How many items a list in an answer shows.
TOP = 5
#: The signals shown as holding a score down.
DRAGS = 3
#: The longest quote taken from a passage.
QUOTE_CHARS = 240
NONE_LINE = "- none"


@dataclass
class Composition:
    """What a composer works with, and the citations it collects as it goes."""

    account: AccountRef
    as_of: date
    glossary: Glossary
    intents: IntentSet
    intent: Intent
    results: dict[str, BaseModel]
    #: The offer ``draft_offer`` proposed this turn, or why it proposed none.
    offer_id: int | None = None
    why_no_offer: str | None = None
    #: The question matched no intent closely and came to the fallback (a search of what the customer said):
    #: only passages sharing a word with the question are shown, so an off-topic question finds nothing.
    fell_back: bool = False
    citations: list[Citation] = field(default_factory=list)

    def cite(self, source: Source, quote: str | None = None, *, account: str | None = None) -> str:
        """The marker of a citation of ``source`` quoting ``quote`` (its first line when not given); ``account``
        for a book-level answer's row of another account the person may reach."""
        citation = Citation(
            source=source.table,
            id=source.id,
            account=account or self.account.external_id,
            quote=quote or source.text.splitlines()[0],
        )
        if citation not in self.citations:
            self.citations.append(citation)
        return f"[{self.citations.index(citation) + 1}]"

    def cite_passage(self, passage: Passage, quote: str) -> str:
        return self.cite(Source(table="kb", id=passage.chunk_id, text=passage.text), quote)

    def result(self, tool: str) -> BaseModel:
        return self.results[tool]


Values = dict[str, str] | None
Composer = Callable[[Composition], Values]


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines) if lines else NONE_LINE


def _signed(value: float | None) -> str:
    return "unknown" if value is None else f"{value:+.1f}"


def _drag_lines(card: ScorecardResult) -> list[str]:
    """The signals holding the score down, most points first, in the words the scorecard's text uses."""
    rows = [x.model_dump() for x in card.contributions]
    return [drag_line(x) for x in drags(rows)]


def why_at_risk(c: Composition) -> Values:
    card = c.result("scorecard")
    alerts = c.result("open_alerts")
    assert isinstance(card, ScorecardResult) and isinstance(alerts, AlertsResult)
    if card.source is None or card.band is None:
        return None
    at_risk = card.band in c.glossary.at_risk_bands
    return {
        "account_name": card.account.name,
        "band": card.band,
        "band_cite": c.cite(card.source, f"{card.band} band"),
        "verdict": c.glossary.terms["at_risk"].term if at_risk else "not " + c.glossary.terms["at_risk"].term,
        "at_risk_wording": c.glossary.wording("at_risk"),
        "score": "unknown" if card.score is None else f"{card.score:.1f}",
        "trend": _signed(card.trend),
        # A cap set the band whatever the points say, so it comes first; then the signals costing most points.
        "drags": _bullets(
            [f"{r.text} {c.cite(card.source, r.text)}" for r in card.reasons if r.kind == "cap"]
            + [f"{line} {c.cite(card.source, line)}" for line in _drag_lines(card)[:DRAGS]]
        ),
        "reasons": _bullets([f"{r.text} {c.cite(card.source, r.text)}" for r in card.reasons if r.kind != "cap"][:TOP]),
        "alerts": _bullets(
            [f"{a.title} ({a.severity}) {c.cite(a.source, a.title)}" for a in alerts.alerts if a.kind == "risk"][:TOP]
        ),
    }


_WORDS = re.compile(r"[a-z0-9]+")
_QUIET = frozenset(
    "a an the is are was were do does did of on in at to for and or with it its they them their there this that "
    "what who whom which when why how about say said tell told last call email emails calls any anyone our we "
    "us you me my i has have had".split()
)


def _words_of(text: str) -> set[str]:
    return {w for w in _WORDS.findall(text.lower()) if w not in _QUIET}


def _pieces(text: str) -> list[str]:
    """A passage's lines (a transcript's turns), or its sentences when it is one paragraph: verbatim spans."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1:
        return lines
    return [p.strip() for p in re.split(r"(?<=[.!?])\s+", text) if p.strip()]


def _asked_about(question: str, people: list[Stakeholder]) -> list[str]:
    """The stakeholders a question names, by name, title or role ("their CFO", "the champion")."""
    words = _words_of(question)
    named = []
    for s in people:
        keys = _words_of(s.name) | _words_of(s.title or "") | {w for r in s.roles for w in _words_of(r)}
        if keys & words:
            named.append(s.name)
    return named


def _quote_of(text: str, query: set[str], speakers: list[str]) -> str | None:
    """The piece of a passage that best answers: said by one of ``speakers`` when the question names someone
    (None when none of them speaks here), else the piece sharing most words with the question."""
    pieces = _pieces(text)
    if speakers:
        pieces = [p for p in pieces if any(p.startswith(f"{name}:") for name in speakers)]
        if not pieces:
            return None
    # A greeting or sign-off ("Hi Sam,", "Best, Dana") says nothing: a piece of three words or fewer is passed over.
    pieces = [p for p in pieces if len(p.split()) > 3] or pieces
    best = max(pieces, key=lambda p: (len(_words_of(p) & query), -pieces.index(p)), default=None)
    if best is None:
        return None
    return best if len(best) <= QUOTE_CHARS else best[:QUOTE_CHARS].rsplit(" ", 1)[0]


def what_did_they_say(c: Composition) -> Values:
    found = c.result("search_knowledge")
    people = c.results.get("stakeholders")
    assert isinstance(found, SearchResult)
    named = _asked_about(found.query, people.stakeholders) if isinstance(people, StakeholderResult) else []
    query = _words_of(found.query)
    passages = found.passages
    if c.fell_back:
        passages = [p for p in passages if _words_of(p.text) & query]
    # What the customer said comes first; our own side's turns only when there is nothing else.
    passages = [p for p in passages if p.from_customer] or passages
    quoted: list[tuple[Passage, str]] = []
    for p in passages:
        quote = _quote_of(p.text, query, named)
        if quote and quote not in {q for _, q in quoted}:
            quoted.append((p, quote))
    if named and not quoted:  # nobody named speaks in the passages found: show what was found, said so
        for p in passages:
            quote = _quote_of(p.text, query, [])
            if quote and quote not in {q for _, q in quoted}:
                quoted.append((p, quote))
    if not quoted:
        return None
    lines = []
    for p, quote in quoted[:TOP]:
        when = f"{p.occurred_on}, " if p.occurred_on else ""
        where = f"{p.source_table} {p.source_id}" + (f" ({p.title})" if p.title else "")
        lines.append(f'{when}{where}: "{quote}" {c.cite_passage(p, quote)}')
    return {"account_name": found.account.name, "passages": _bullets(lines)}


def _person(c: Composition, s: Stakeholder) -> str:
    head = f"{s.name}" + (f" ({s.title})" if s.title else "")
    roles = ", ".join(r.replace("_", " ") for r in s.roles) or "no role"
    status = "left" + (f" on {s.departed_on}" if s.departed_on else "") if s.status == "departed" else "still there"
    line = f"{head}: {roles}; {status} {c.cite(s.source, s.source.text.split(';')[0])}"
    if s.engagement_source is not None and s.last_engagement is not None:
        engaged = f"{s.stance or 'no stance'}, last engaged {s.last_engagement}, engagement {s.engagement_trend}"
        quote = next((ln for ln in s.engagement_source.text.splitlines() if ln.startswith(f"{s.name}:")), None)
        line += f"; {engaged} {c.cite(s.engagement_source, quote)}" if quote else f"; {engaged}"
    elif s.status != "departed":
        line += "; no engagement recorded"
    return line


def champion_engaged(c: Composition) -> Values:
    found = c.result("stakeholders")
    assert isinstance(found, StakeholderResult)
    champions = [s for s in found.stakeholders if "champion" in s.roles]
    if not champions:
        return None
    return {
        "account_name": found.account.name,
        "champions": _bullets([_person(c, s) for s in champions]),
        "champion_wording": c.glossary.wording("champion").capitalize() + "; " + c.glossary.wording("engaged") + ".",
    }


def stakeholders(c: Composition) -> Values:
    found = c.result("stakeholders")
    assert isinstance(found, StakeholderResult)
    if not found.stakeholders:
        return None
    return {"account_name": found.account.name, "people": _bullets([_person(c, s) for s in found.stakeholders])}


def renewal_status(c: Composition) -> Values:
    found = c.result("renewals")
    assert isinstance(found, RenewalResult)
    if not found.renewals:
        return None
    lines = [
        f"contract {r.contract} renews on {r.renewal_on}, {r.days_to_renewal} days away; forecast "
        f"{r.category.replace('_', ' ')} ({r.probability:.0%}), timeline {r.timeline.replace('_', ' ')}, "
        f"ARR ${r.arr:,.0f} {c.cite(r.source)}"
        for r in found.renewals
    ]
    return {"account_name": found.account.name, "renewals": _bullets(lines)}


def renewals_behind(c: Composition) -> Values:
    book = c.result("book")
    assert isinstance(book, BookResult)
    if not book.behind and not book.moved:
        return None
    behind = [
        f"{r.account.name} ({r.account.external_id}) renews on {r.renewal_on}, timeline {r.timeline}, forecast "
        f"{r.category.replace('_', ' ')} {c.cite(r.source, account=r.account.external_id)}"
        for r in book.behind
    ]
    moved = [
        f"{m.account.name} ({m.account.external_id}): {m.band_before} -> {m.band_now} "
        f"{c.cite(m.source, f'{m.band_now} band', account=m.account.external_id)}"
        for m in book.moved
    ]
    return {"accounts_in_reach": str(book.accounts_in_reach), "behind": _bullets(behind), "moved": _bullets(moved)}


def usage_trend(c: Composition) -> Values:
    found = c.result("usage_trend")
    assert isinstance(found, UsageTrendResult)
    if not found.points or found.first_active_users is None or found.last_active_users is None:
        return None
    first, last = found.points[0], found.points[-1]
    change = "no change" if found.active_users_change is None else f"{found.active_users_change:+.0%}"
    return {
        "account_name": found.account.name,
        "weeks": str(found.weeks),
        "active_wording": c.glossary.terms["active_user"].term + "s",
        "first": f"{found.first_active_users} {c.cite(first.source)}",
        "last": f"{found.last_active_users} {c.cite(last.source)}",
        "change": change,
        "latest": f"{last.source.text} {c.cite(last.source)}",
    }


def open_alerts(c: Composition) -> Values:
    found = c.result("open_alerts")
    assert isinstance(found, AlertsResult)
    if not found.alerts:
        return None
    lines = [
        f"{a.kind}: {a.title} ({a.severity}, since {a.opened_on}) {c.cite(a.source, a.title)}" for a in found.alerts
    ]
    return {"account_name": found.account.name, "alerts": _bullets(lines)}


def open_plays(c: Composition) -> Values:
    found = c.result("open_plays")
    assert isinstance(found, PlaysResult)
    if not found.plays:
        return None
    blocks = []
    for p in found.plays:
        head = f"- {p.play.replace('_', ' ')} ({p.status}, since {p.started_on}) {c.cite(p.source)}"
        tasks = [
            f"  - open task: {t.title}, due {t.due_on}, for {t.assignee or t.owner_role} {c.cite(t.source, t.title)}"
            for t in p.tasks
        ]
        blocks.append("\n".join([head, *tasks]))
    return {"account_name": found.account.name, "plays": "\n".join(blocks)}


def _terms(terms: dict[str, object]) -> str:
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(terms.items())) or "no terms"


def offers_status(c: Composition) -> Values:
    found = c.result("offers")
    assert isinstance(found, OffersResult)
    if not found.offers:
        return None
    lines = []
    for o in found.offers:
        line = f"offer {o.offer_id}: {o.kind} ({_terms(o.terms)}), made {o.created_on}, {o.status}"
        line += f" {c.cite(o.source, o.source.text.split(';')[0])}"
        if o.approval_source is not None:
            line += f"; approval {o.approval_status} {c.cite(o.approval_source, f'approval {o.approval_status}')}"
        if o.waiting_for:
            line += f", waiting for {', '.join(o.waiting_for)}"
        lines.append(line)
    return {"account_name": found.account.name, "offers": _bullets(lines)}


def draft_offer(c: Composition) -> Values:
    card = c.result("scorecard")
    found = c.result("offers")
    assert isinstance(card, ScorecardResult) and isinstance(found, OffersResult)
    offer = next((o for o in found.offers if o.offer_id == c.offer_id), None)
    if offer is None or card.source is None or card.band is None:
        return None
    return {
        "account_name": found.account.name,
        "kind": offer.kind,
        "terms": _terms(offer.terms),
        "offer_cite": c.cite(offer.source, offer.source.text.split(";")[0]),
        "status": offer.approval_status or offer.status,
        "waiting_for": ", ".join(offer.waiting_for) or "nobody (the policy settled it)",
        "band": card.band,
        "band_cite": c.cite(card.source, f"{card.band} band"),
    }


def _capabilities(c: Composition) -> str:
    return _bullets([i.description for i in c.intents.intents if i.composer != "help"])


def help_answer(c: Composition) -> Values:
    return {"account_name": c.account.name, "capabilities": _capabilities(c)}


COMPOSERS: dict[str, Composer] = {
    "why_at_risk": why_at_risk,
    "what_did_they_say": what_did_they_say,
    "champion_engaged": champion_engaged,
    "stakeholders": stakeholders,
    "renewal_status": renewal_status,
    "renewals_behind": renewals_behind,
    "usage_trend": usage_trend,
    "open_alerts": open_alerts,
    "open_plays": open_plays,
    "offers_status": offers_status,
    "draft_offer": draft_offer,
    "help": help_answer,
}


def check_intents(intents: IntentSet) -> None:
    """Every intent names a composer that exists and a template file that loads; a ConfigError says which."""
    problems = []
    for i in intents.intents:
        if i.composer not in COMPOSERS:
            problems.append(f"intents[{i.id}].compose: unknown composer {i.composer!r}")
        try:
            load_answer_template(i.template_name)
        except TemplateError as exc:
            problems.append(f"intents[{i.id}].template: {exc}")
    if problems:
        raise ConfigError("\n".join(problems))


def _empty_values(c: Composition) -> dict[str, str]:
    """What an ``<empty>`` section may say: the account, the date, the glossary's wording, why nothing."""
    return {
        "account_name": c.account.name,
        "as_of": c.as_of.isoformat(),
        "accounts_in_reach": str(getattr(c.results.get("book"), "accounts_in_reach", 0)),
        "champion_wording": c.glossary.wording("champion"),
        "why_not": c.why_no_offer or "the account has no scorecard to size it by",
        "capabilities": _capabilities(c),
    }


def compose(c: Composition) -> str:
    """The answer text; ``c.citations`` holds what its markers point at."""
    values = COMPOSERS[c.intent.composer](c)
    template = load_answer_template(c.intent.template_name)
    text = template.render(_empty_values(c), empty=True) if values is None else template.render(values)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
