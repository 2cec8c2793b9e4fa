"""The briefing as Markdown (email, terminal) and as one self-contained HTML page (inline CSS, charts as
inline SVG, no external asset), both from the layouts in ``prompts/briefing/`` and the facts record.

The tables print the record's own values through ``agents.briefing.printing``; only the narrative at the top
is written in prose, and it is checked before it gets here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from agents.briefing import printing as p
from agents.briefing.charts import band_chart, metric_charts
from playbooks.briefing_facts import BriefingFacts
from prompts.briefing import layout

#: Rows of the 90-day renewal table; the totals above it count every renewal.
SHOWN_RENEWALS = 15
PRODUCED = {
    "model": "written by the model and every figure in it checked against the records",
    "model_after_retry": "written by the model on its second attempt, every figure checked against the records",
    "template": "written from the template",
}


def explain(produced_by: str, findings: Sequence[str]) -> str:
    """How the summary came to be, in words a reader trusts: a fallback names its real cause, because a model
    that stated figures of its own and one that never answered usably are different news."""
    if produced_by != "template_after_model_failed":
        return PRODUCED.get(produced_by, produced_by)
    if any(f.startswith("attempt") for f in findings):
        return "written from the template, because the model's draft stated figures the records do not hold"
    if any(f.startswith("model unavailable") for f in findings):
        return "written from the template, because the model could not be reached"
    return "written from the template, because the model's draft could not be used"


def _cell(text: object) -> str:
    """A value inside a Markdown table cell: no pipe or line break may end the cell early."""
    return str(text).replace("|", "/").replace("\n", " ")


def _metric(value: float | None, unit: str) -> str:
    """A metric's value in its unit: a share as a percent, money as an amount, days as days."""
    if value is None:
        return "-"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "money":
        return p.money(value)
    return f"{value:.0f} days" if unit == "days" else f"{value:,.1f}"


@cache
def _environment(autoescape: bool) -> Environment:
    env = Environment(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=False, keep_trailing_newline=True)
    env.filters.update(
        money=p.money,
        day=p.day,
        short_day=p.short_day,
        percent=p.percent,
        points=p.points,
        category=p.category,
        cell=_cell,
        play=lambda name: str(name).replace("_", " "),
        metric=_metric,
    )
    return env


def render_markdown(
    facts: BriefingFacts, *, title: str, narrative: str, produced_by: str, findings: Sequence[str] = ()
) -> str:
    template = _environment(False).from_string(layout("briefing.md.j2"))
    text = template.render(
        facts=facts,
        title=title,
        narrative=narrative,
        produced=explain(produced_by, findings),
        leadership=facts.scope.owner_csm is None,
        shown=SHOWN_RENEWALS,
    )
    # Blank lines the layout's loops leave behind, at most one in a row.
    lines: list[str] = []
    for line in text.splitlines():
        if line.strip() or (lines and lines[-1].strip()):
            lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def _paragraphs(text: str) -> Markup:
    """The narrative's paragraphs as HTML, escaped; **bold** is the only markup it keeps."""
    out = []
    for block in text.split("\n\n"):
        escaped = str(Markup.escape(block.strip()))
        parts = escaped.split("**")
        html = "".join(f"<strong>{part}</strong>" if i % 2 else part for i, part in enumerate(parts))
        out.append(f"<p>{html}</p>")
    return Markup("\n".join(out))


def render_html(
    facts: BriefingFacts, *, title: str, narrative: str, produced_by: str, findings: Sequence[str] = ()
) -> str:
    template = _environment(True).from_string(layout("briefing.html.j2"))
    return template.render(
        facts=facts,
        title=title,
        narrative=_paragraphs(narrative),
        produced=explain(produced_by, findings),
        leadership=facts.scope.owner_csm is None,
        shown=SHOWN_RENEWALS,
        band_chart=Markup(band_chart(facts)),
        metric_charts=[Markup(c) for c in metric_charts(facts)],
    )
