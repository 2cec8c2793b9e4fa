"""Message and document templates: files in ``prompts/templates/`` with a ``<subject>`` and a ``<body>``.

Placeholders are ``{name}``, filled once with computed values and never
re-read as a template (the same rule as prompts), so a customer name with
braces in it stays inert. Plays name a template by its file stem; the play
configuration checks at load time that the file exists and that every
placeholder it uses is one the drafting code can fill.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class TemplateError(ValueError):
    """A template file is missing, lacks a section, or a placeholder has no value."""


@dataclass(frozen=True)
class Template:
    name: str
    subject: str
    body: str
    version: str

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(PLACEHOLDER.findall(self.subject)) | frozenset(PLACEHOLDER.findall(self.body))

    def render(self, values: dict[str, str]) -> tuple[str, str]:
        missing = sorted(self.placeholders - set(values))
        if missing:
            raise TemplateError(f"template {self.name!r}: no value for {', '.join(missing)}")
        return fill(self.subject, values), fill(self.body, values)


def fill(text: str, values: dict[str, str]) -> str:
    """Replace known placeholders; unknown ones are left as written (titles are checked at config load)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def read_sections(folder: str, name: str, required: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """A template file's ``<section>`` texts (each of ``required`` present) and the hash of the whole file."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise TemplateError(f"template name {name!r} must be lower-case letters, digits and underscores")
    try:
        raw = resources.files("prompts").joinpath(folder, f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"template file prompts/{folder}/{name}.md not found") from None
    pattern = re.compile(rf"<({'|'.join(required)})>\s*(.*?)\s*</\1>", re.DOTALL)
    sections = dict(pattern.findall(raw))
    for section in required:
        if section not in sections:
            raise TemplateError(f"prompts/{folder}/{name}.md: missing <{section}> section")
    return sections, hashlib.sha256(raw.encode()).hexdigest()[:16]


@cache
def load_template(name: str) -> Template:
    sections, digest = read_sections("templates", name, ("subject", "body"))
    return Template(name, sections["subject"], sections["body"], digest)
