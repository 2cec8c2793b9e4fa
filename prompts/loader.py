"""Load prompt files and fill their placeholders.

A prompt file has tagged sections: ``<role>`` and ``<rules>`` become the system
message, ``<data>`` the user message. Placeholders are ``{name}``; values are
inserted once and never re-read as a template, so text that contains braces
or tags stays inert. Untrusted text goes through ``untrusted()`` first, which
wraps it in a delimiter it cannot close.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_SECTION = re.compile(r"<(role|rules|data)>\s*(.*?)\s*</\1>", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class PromptError(ValueError):
    """A prompt file is missing a section or a placeholder has no value."""


@dataclass(frozen=True)
class Prompt:
    name: str
    role: str
    rules: str
    data: str
    #: Hash of the file, part of every LLM cache key: editing a prompt invalidates its cached answers.
    version: str

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        """(system, user) with every placeholder of the data section filled."""
        missing = sorted(set(_PLACEHOLDER.findall(self.data)) - set(values))
        if missing:
            raise PromptError(f"prompt {self.name!r}: no value for {', '.join(missing)}")
        user = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.data)
        return f"{self.role}\n\n{self.rules}", user

    def render_all(self, values: dict[str, str]) -> tuple[str, str]:
        """(system, user) with the placeholders of every section filled: for a prompt whose rules name the
        turn's scope (the copilot's account and date), which ``render`` leaves as written."""
        text = f"{self.role}\n\n{self.rules}\n\n{self.data}"
        missing = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
        if missing:
            raise PromptError(f"prompt {self.name!r}: no value for {', '.join(missing)}")
        system = _PLACEHOLDER.sub(lambda m: values[m.group(1)], f"{self.role}\n\n{self.rules}")
        return system, _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.data)


@cache
def load_prompt(name: str) -> Prompt:
    try:
        raw = resources.files("prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"prompt file prompts/{name}.md not found") from None
    sections = dict(_SECTION.findall(raw))
    for required in ("role", "rules", "data"):
        if required not in sections:
            raise PromptError(f"prompts/{name}.md: missing <{required}> section")
    return Prompt(
        name,
        sections["role"],
        sections["rules"],
        sections["data"],
        hashlib.sha256(raw.encode()).hexdigest()[:16],
    )


def untrusted(text: str, *, source: str) -> str:
    """Wrap customer-written text so it reads as quoted data; it cannot close or forge the wrapper."""
    neutral = re.sub(r"</?\s*untrusted", "[tag]", text, flags=re.IGNORECASE)
    return f'<untrusted source="{source}">\n{neutral}\n</untrusted>'
