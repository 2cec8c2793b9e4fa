"""Narrative faithfulness: every number and name the system writes must trace to the account's facts.

Narratives are what the book's run wrote: alert titles, the plays' drafted emails and notifications, and
renewal documents. A claim traces when it is in the account's facts (its record, contacts, contracts,
computed facts and the values templates fill, each number in the ways the system formats it) or in the
system's own fixed wording (its templates, its configuration and the words its code writes with). A name
or number from anywhere else (another account, an untrusted text, a model's invention) is untraced.
"""

from __future__ import annotations

import math
import re
from contextlib import suppress
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from actions.drafting import claims, template_values
from core.models import Alert, Artifact, OutboxMessage
from evals.book import book_for
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases
from playbooks.facts import load_facts
from playbooks.play_engine import load_play_configs

ROOT = Path(__file__).resolve().parents[2]
#: Where the system's fixed wording lives: templates, prompts, configuration, and the code that writes text.
WORDING = ("prompts/templates", "core/defaults", "agents", "playbooks", "signals")


@cache
def system_wording() -> str:
    parts = []
    for folder in WORDING:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".md", ".yaml", ".py"):
                parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _number_forms(value: float) -> list[str]:
    if math.isnan(value) or math.isinf(value):
        return []
    forms = {f"{value:g}", f"{value:.0f}", f"{value:,.0f}", f"{value:.1f}", f"{value:,.2f}", f"{abs(value):.0f}"}
    if abs(value) <= 10:  # shares and ratios print as percents
        forms |= {f"{abs(value) * 100:.0f}", f"{abs(value) * 100:.1f}"}
    return sorted(forms)


def _flatten(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(str(k))
            _flatten(v, out)
    elif isinstance(value, list | tuple | set):
        for v in value:
            _flatten(v, out)
    elif isinstance(value, bool) or value is None:
        out.append(str(value))
    elif isinstance(value, int | float):
        out.extend(_number_forms(float(value)))
    else:
        text = str(value)
        out.append(text)
        with suppress(ValueError):
            out.extend(_number_forms(float(text.replace(",", ""))))


def account_references(book: Any) -> dict[int, str]:
    """Each account's facts as text, with every number in the forms the system prints it."""
    playbook, _ = load_play_configs()
    with book.engine.connect() as conn:
        account_ids = list(conn.execute(select(Alert.account_id).distinct()).scalars())
        account_ids += list(conn.execute(select(OutboxMessage.account_id).distinct()).scalars())
        account_ids += list(conn.execute(select(Artifact.account_id).distinct()).scalars())
        facts = load_facts(conn, sorted({a for a in account_ids if a is not None}), book.as_of)
        alerts = conn.execute(select(Alert.account_id, Alert.evidence)).all()
        artifacts = conn.execute(select(Artifact.account_id, Artifact.facts)).all()
    references: dict[int, list[str]] = {}
    for account_id, account in facts.items():
        out: list[str] = [account.name, account.external_id, account.owner_csm or ""]
        _flatten(account.values, out)
        for person in account.contacts:
            _flatten([person.name, person.email, person.external_id, person.department, person.roles], out)
            for play in playbook.plays:
                _flatten(template_values(account, account.values, play_name=play.name, recipient=person), out)
        for contract in account.contracts:
            _flatten(contract.__dict__, out)
            terms = account.for_contract(contract, book.as_of)
            _flatten(terms, out)
            for play in playbook.plays:
                _flatten(template_values(account, terms, play_name=play.name), out)
        references[account_id] = out
    for account_id, evidence in alerts:
        _flatten(evidence, references.setdefault(account_id, []))
    for account_id, used in artifacts:
        _flatten(used, references.setdefault(account_id, []))
    return {k: "\n".join(v) for k, v in references.items()}


def _narratives(book: Any, kind: str) -> list[tuple[str, int, str]]:
    with book.engine.connect() as conn:
        if kind == "alert":
            rows = conn.execute(select(Alert.id, Alert.account_id, Alert.title)).all()
        elif kind == "email":
            rows = conn.execute(
                select(OutboxMessage.id, OutboxMessage.account_id, OutboxMessage.subject + "\n" + OutboxMessage.body)
            ).all()
        elif kind == "document":
            rows = conn.execute(select(Artifact.id, Artifact.account_id, Artifact.content)).all()
        else:
            raise ValueError(f"unknown narrative kind {kind!r}; use alert, email or document")
    return [(f"{kind}:{r[0]}", r[1], r[2]) for r in rows]


_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _dates(text: str, first: date, last: date) -> tuple[str, int, list[str]]:
    """ISO dates are one claim each, traced when they fall in the run's span (the schedule's own dates);
    the text without them goes on to the number and name check."""
    untraced = []
    found = _DATE.findall(text)
    for y, m, d in found:
        try:
            day = date(int(y), int(m), int(d))
        except ValueError:
            day = None
        if day is None or not first <= day <= last:
            untraced.append(f"date {y}-{m}-{d} is outside the run")
    return _DATE.sub(" ", text), len(found), untraced


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    book = book_for(ctx, spec.params)
    first, last = book.as_of - timedelta(days=366), book.as_of + timedelta(days=int(spec.params.get("days", 14)) + 366)
    references = account_references(book)
    wording = system_wording()
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        kind = case.input["narrative"]
        for ident, account_id, text in _narratives(book, kind):
            reference = references.get(account_id, "") + "\n" + wording
            rest, dated, untraced = _dates(text, first, last)
            count, more = claims(rest, reference)
            count, untraced = count + dated, untraced + more
            outcomes.append(
                Outcome(
                    ident, {"narrative": kind}, case.expected, {"claims": count, "untraced": untraced}, case.rationale
                )
            )
    return outcomes
