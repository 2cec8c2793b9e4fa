"""The weekly briefing's templates: ``prompts/briefing/narrative.md`` (the narrative when no model writes it,
one section per sentence) and the Markdown and HTML layouts of the whole briefing.

Placeholders are ``{name}`` filled once with values printed from the briefing's facts and never re-read, as in
``prompts.templates``; the sections hold wording only, so every figure, name and date comes from the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from prompts.templates import PLACEHOLDER, TemplateError, fill, read_sections

NARRATIVE_SECTIONS = (
    "headline",
    "renewals",
    "renewals_none",
    "changes",
    "changes_none",
    "bands",
    "bands_none",
    "movers",
    "alerts",
    "plays",
    "approvals",
    "expansion",
    "expansion_none",
    "metrics",
)


@dataclass(frozen=True)
class NarrativeTemplate:
    sections: dict[str, str]
    version: str

    def render(self, section: str, values: dict[str, str]) -> str:
        text = self.sections[section]
        missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
        if missing:
            raise TemplateError(f"briefing template section {section!r}: no value for {', '.join(missing)}")
        return fill(text, values)


@cache
def load_narrative_template() -> NarrativeTemplate:
    sections, digest = read_sections("briefing", "narrative", NARRATIVE_SECTIONS)
    return NarrativeTemplate(sections, digest)


@cache
def layout(name: str) -> str:
    """A Jinja layout of the whole briefing: ``briefing.md.j2`` or ``briefing.html.j2``."""
    try:
        return resources.files("prompts").joinpath("briefing", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"layout prompts/briefing/{name} not found") from None
