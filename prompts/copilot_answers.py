"""The copilot's answer templates: files in ``prompts/copilot/``, one per intent.

Each file has an ``<answer>`` section (the facts were found) and an ``<empty>`` section (the tool found
nothing to say). Placeholders are ``{name}`` filled once with values computed from tool results and never
re-read, as in ``prompts.templates``. The templates hold wording only: every figure, name and date comes
from a value, and every claim is followed by the ``[n]`` marker of its citation inside that value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from prompts.templates import PLACEHOLDER, TemplateError, fill, read_sections


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
    sections, digest = read_sections("copilot", name, ("answer", "empty"))
    return AnswerTemplate(name, sections["answer"], sections["empty"], digest)
