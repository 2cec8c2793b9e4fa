"""Narrative faithfulness: every number, date and name a stored text states must trace to the record it was
written from, and a text with a planted fault must fail.

The texts are what the seeded book's run wrote: alert titles, customer emails, internal notifications (the
plays', overdue-task and approval escalations) and renewal documents. Each is stored with its fact record
(``alert.facts``, ``outbox_message.facts``, ``artifact.facts``) and checked against that record alone
with ``core.faithfulness``: never the templates, the configuration or the source tree, so a template that
states a figure of its own, or a formatter that prints a wrong one, is untraced.

Two kinds of case rows:

- ``{"narrative": kind}`` checks every stored text of that kind (alert, email, notification, document);
- ``{"narrative": kind, "where": {...}, "fault": {...}}`` takes one real text (the first whose row matches
  ``where``: a template, an alert type, a document kind, a notification key prefix, a piece of the text),
  plants the fault and checks the result against the same record. Faults are data: ``append`` a sentence,
  ``sub`` a regular expression, ``scale_percent`` (the first ``N%`` printed ``factor`` times too large),
  ``shift_number`` (the number a pattern captures moved ``by``), ``shift_date`` (the first date moved
  ``days``); beside one of these, ``record`` merges values into the text's record, as a record builder that
  fetched the wrong account's data would. A fault case is caught when the original text traces fully and the
  changed one does not.

Every text is also checked against the book's directory of names (``core.faithfulness.Directory``: every
company and every contact with its account): a name that belongs only to another account is a leak in any
case, even when the record vouches for it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from actions.outbox import deliver_notice
from approvals.escalation import escalate_overdue
from approvals.policy import load_policy
from core.faithfulness import Directory, check
from core.models import Account, Alert, Artifact, Contact, OutboxMessage
from evals.book import Book, book_for, copy_of
from evals.context import EvalContext, Outcome
from evals.spec import SuiteSpec, read_cases

KINDS = ("alert", "email", "notification", "document")


class FaultError(ValueError):
    """A fault case that cannot be planted: no text matches, or the fault would not change the text."""


def directory(engine: Any) -> Directory:
    """Every company and every contact of the book, with the account each belongs to."""
    with engine.connect() as conn:
        companies = conn.execute(select(Account.name, Account.external_id)).all()
        people = conn.execute(
            select(Contact.name, Account.external_id).join(Account, Account.id == Contact.account_id)
        ).all()
    return Directory.of([(r[0], r[1]) for r in (*companies, *people) if r[0]])


def _texts(engine: Any, kind: str) -> list[dict[str, Any]]:
    """Every stored text of one kind with its record and its account, in id order:
    ``{id, text, facts, account, ...selectors}``."""
    with engine.connect() as conn:
        if kind == "alert":
            rows = conn.execute(
                select(Alert.id, Alert.title, Alert.facts, Alert.type, Account.external_id)
                .join(Account, Account.id == Alert.account_id)
                .order_by(Alert.id)
            )
            return [
                {"id": f"alert:{r.id}", "text": r.title, "facts": r.facts, "type": r.type, "account": r.external_id}
                for r in rows
            ]
        if kind in ("email", "notification"):
            audience = "customer" if kind == "email" else "internal"
            rows = conn.execute(
                select(
                    OutboxMessage.id,
                    OutboxMessage.subject,
                    OutboxMessage.body,
                    OutboxMessage.facts,
                    OutboxMessage.template,
                    OutboxMessage.dedupe_key,
                    Account.external_id,
                )
                .outerjoin(Account, Account.id == OutboxMessage.account_id)
                .where(OutboxMessage.audience == audience)
                .order_by(OutboxMessage.id)
            )
            return [
                {
                    "id": f"{kind}:{r.id}",
                    "text": f"{r.subject}\n{r.body}",
                    "facts": r.facts,
                    "template": r.template,
                    "key": r.dedupe_key or "",
                    "account": r.external_id,
                }
                for r in rows
            ]
        if kind == "document":
            rows = conn.execute(
                select(
                    Artifact.id, Artifact.title, Artifact.content, Artifact.facts, Artifact.kind, Account.external_id
                )
                .join(Account, Account.id == Artifact.account_id)
                .order_by(Artifact.id)
            )
            return [
                {
                    "id": f"document:{r.id}",
                    "text": f"{r.title}\n{r.content}",
                    "facts": r.facts,
                    "kind": r.kind,
                    "account": r.external_id,
                }
                for r in rows
            ]
    raise ValueError(f"unknown narrative kind {kind!r}; use one of {', '.join(KINDS)}")


def _matches(row: dict[str, Any], where: dict[str, str]) -> bool:
    """``key`` matches as a prefix (a notification's dedupe key), ``contains`` as a piece of the text, every
    other selector (``template``, ``type``, ``kind``) exactly."""
    for name, wanted in (where or {}).items():
        if name == "key":
            found = str(row.get("key") or "").startswith(wanted)
        elif name == "contains":
            found = wanted in row["text"]
        else:
            found = row.get(name) == wanted
        if not found:
            return False
    return True


_PERCENT = re.compile(r"(?<![\d.,])(\d+)%")
_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_LONG = re.compile(
    r"\b(\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4})\b"
)


def plant(text: str, fault: dict[str, Any]) -> str:
    """``text`` with one fault planted; raises ``FaultError`` when the fault does not apply."""
    if "append" in fault:
        changed = f"{text.rstrip()}\n{fault['append']}"
    elif "sub" in fault:
        pattern, replacement = fault["sub"]
        changed = re.sub(pattern, replacement, text, count=1)
    elif "scale_percent" in fault:
        changed = _PERCENT.sub(lambda m: f"{int(m.group(1)) * int(fault['scale_percent'])}%", text, count=1)
    elif "shift_number" in fault:
        spec = fault["shift_number"]

        def shifted(m: re.Match[str]) -> str:
            number = m.group(1)
            moved = float(number.replace(",", "")) + float(spec["by"])
            printed = f"{moved:,.{len(number.split('.')[1])}f}" if "." in number else f"{moved:,.0f}"
            return m.group(0).replace(number, printed if "," in number else printed.replace(",", ""), 1)

        changed = re.sub(spec["pattern"], shifted, text, count=1)
    elif "shift_date" in fault:
        days = int(fault["shift_date"])
        iso, long = _ISO.search(text), _LONG.search(text)
        first = min((m for m in (iso, long) if m is not None), key=lambda m: m.start(), default=None)
        if first is None:
            raise FaultError("shift_date: the text prints no date")
        if first is iso:
            moved = (date.fromisoformat(first.group(1)) + timedelta(days=days)).isoformat()
        else:
            moved = (datetime.strptime(first.group(1), "%d %B %Y") + timedelta(days=days)).strftime("%d %B %Y")
        changed = text[: first.start()] + moved + text[first.end() :]
    else:
        raise FaultError(f"unknown fault {sorted(fault)}; use append, sub, scale_percent, shift_number or shift_date")
    if changed == text:
        raise FaultError(f"fault {fault} leaves the text unchanged")
    return changed


def _escalated(book: Book, spec: SuiteSpec) -> Any:
    """A copy of the book where the approvals still pending at the end of the walk are past their SLA and
    escalated, so the escalation notices are among the texts checked."""
    engine, _, _ = copy_of(book)
    days = int(spec.params.get("days", 14))
    now = datetime.combine(book.as_of + timedelta(days=days + 2), time(9), tzinfo=UTC)
    escalate_overdue(engine, load_policy(), now=now, deliver=deliver_notice)
    return engine


def _verdict(row: dict[str, Any], names: Directory, text: str | None = None, record: Any = None) -> Any:
    """One text checked against its record and, when it is about one account, the book's directory."""
    facts = record if record is not None else row["facts"] or {}
    return check(row["text"] if text is None else text, facts, directory=names, account=row.get("account"))


def _outcome(ident: str, inputs: dict[str, Any], expected: Any, verdict: Any, why: str) -> Outcome:
    output = {"claims": len(verdict.claims), "untraced": verdict.problems, "by_kind": verdict.counts()}
    return Outcome(ident, inputs, expected, output, why)


def run(spec: SuiteSpec, ctx: EvalContext) -> list[Outcome]:
    book = book_for(ctx, spec.params)
    engine = _escalated(book, spec)
    texts = {kind: _texts(engine, kind) for kind in KINDS}
    names = directory(engine)
    engine.dispose()
    outcomes = []
    for case in read_cases(spec.dataset or ""):
        kind = case.input["narrative"]
        if kind not in texts:
            raise ValueError(f"case {case.id}: unknown narrative kind {kind!r}; use one of {', '.join(KINDS)}")
        fault = case.input.get("fault")
        if fault is None:
            for row in texts[kind]:
                outcomes.append(_outcome(row["id"], {"narrative": kind}, case.expected, _verdict(row, names), ""))
            continue
        row = next((r for r in texts[kind] if _matches(r, case.input.get("where") or {})), None)
        if row is None:
            raise FaultError(f"case {case.id}: no {kind} matches {case.input.get('where')}")
        original = _verdict(row, names)
        planted = _verdict(row, names, plant(row["text"], fault), {**(row["facts"] or {}), **fault.get("record", {})})
        output = {
            "fault": True,
            "text": row["id"],
            "original_untraced": original.problems,
            "untraced": planted.problems,
            "claims": len(planted.claims),
        }
        outcomes.append(Outcome(case.id, {"narrative": kind, "fault": True}, case.expected, output, case.rationale))
    return outcomes
