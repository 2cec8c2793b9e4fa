"""The copilot's answer templates: files in ``prompts/copilot/``, one per intent.

Each file has an ``<answer>`` section (the facts were found) and an ``<empty>`` section (the tool found
nothing to say). Placeholders are ``{name}`` filled once with values computed from tool results and never
re-read, as in ``prompts.templates``. The templates hold wording only: every figure, name and date comes
from a value, and every claim is followed by the ``[n]`` marker of its citation inside that value.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from prompts.templates import PLACEHOLDER, TemplateError, fill

_SECTION = re.compile(r"<(answer|empty)>\s*(.*?)\s*</\1>", re.DOTALL)


@dataclass(frozen=True)
class AnswerTemplate:
    name: str
    answer: str
    empty: str
    version: str

    def render(self, values: dict[str, str], *, empty: bool = False) -> str:
        """The ``<answer>`` (or, with ``empty``, the ``<empty>`` section) filled with ``values``."""
        text = self.empty if empty else self.answer
        missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
        if missing:
            raise TemplateError(f"copilot template {self.name!r}: no value for {', '.join(missing)}")
        return fill(text, values)


@cache
def load_answer_template(name: str) -> AnswerTemplate:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise TemplateError(f"template name {name!r} must be lower-case letters, digits and underscores")
    try:
        raw = resources.files("prompts").joinpath("copilot", f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"template file prompts/copilot/{name}.md not found") from None
    sections = dict(_SECTION.findall(raw))
    for required in ("answer", "empty"):
        if required not in sections:
            raise TemplateError(f"prompts/copilot/{name}.md: missing <{required}> section")
    return AnswerTemplate(name, sections["answer"], sections["empty"], hashlib.sha256(raw.encode()).hexdigest()[:16])
