"""The book's own texts as knowledge-base sources: conversations, survey verbatims, tickets and CSM notes.

Each source's ``text`` is the stored column a citation quotes (an interaction's body, a verbatim, a ticket's
subject, a note), so a quote checked against a chunk is a quote of the row. Rows are read table by table
with only the columns used, and their texts are never interpreted here: they are untrusted data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime

from sqlalchemy import Connection, select

from core.models import Contact, CsmAssessment, Interaction, InteractionParticipant, SupportTicket, SurveyResponse
from knowledge_base.chunking import Source

#: The tables the knowledge base reads from the book, in the order ingestion walks them.
BOOK_TABLES: tuple[str, ...] = ("interaction", "survey_response", "support_ticket", "csm_note")


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def _in(column: object, account_ids: Sequence[int] | None) -> list[object]:
    return [] if account_ids is None else [column.in_(list(account_ids))]  # type: ignore[attr-defined]


def _interactions(conn: Connection, account_ids: Sequence[int] | None) -> Iterator[Source]:
    people: dict[int, list[tuple[int, str]]] = defaultdict(list)
    joined = (
        select(InteractionParticipant.interaction_id, Contact.id, Contact.name)
        .join(Contact, Contact.id == InteractionParticipant.contact_id)
        .where(*_in(Contact.account_id, account_ids))
    )
    for interaction_id, contact_id, name in conn.execute(joined).all():
        people[interaction_id].append((contact_id, name or ""))
    rows = conn.execute(
        select(
            Interaction.id, Interaction.external_id, Interaction.account_id, Interaction.kind,
            Interaction.occurred_at, Interaction.subject, Interaction.body,
        )
        .where(*_in(Interaction.account_id, account_ids))
        .order_by(Interaction.id)
    ).all()  # fmt: skip
    for row_id, external_id, account_id, kind, occurred_at, subject, body in rows:
        if body and body.strip():
            contacts = tuple(sorted(people.get(row_id, ())))
            yield Source("interaction", external_id, account_id, body, subject, _day(occurred_at), kind, contacts)


def _surveys(conn: Connection, account_ids: Sequence[int] | None) -> Iterator[Source]:
    rows = conn.execute(
        select(
            SurveyResponse.external_id, SurveyResponse.account_id, SurveyResponse.survey, SurveyResponse.score,
            SurveyResponse.verbatim, SurveyResponse.responded_on, Contact.id, Contact.name,
        )
        .outerjoin(Contact, Contact.id == SurveyResponse.contact_id)
        .where(*_in(SurveyResponse.account_id, account_ids))
        .order_by(SurveyResponse.id)
    ).all()  # fmt: skip
    for external_id, account_id, survey, score, verbatim, responded_on, contact_id, name in rows:
        if verbatim and verbatim.strip():
            title = f"{survey.upper()} survey: {score}"
            contacts = ((contact_id, name or ""),) if contact_id is not None else ()
            yield Source("survey_response", external_id, account_id, verbatim, title, responded_on, survey, contacts)


def _tickets(conn: Connection, account_ids: Sequence[int] | None) -> Iterator[Source]:
    rows = conn.execute(
        select(
            SupportTicket.external_id, SupportTicket.account_id, SupportTicket.subject, SupportTicket.category,
            SupportTicket.priority, SupportTicket.opened_at, Contact.id, Contact.name,
        )
        .outerjoin(Contact, Contact.id == SupportTicket.contact_id)
        .where(*_in(SupportTicket.account_id, account_ids))
        .order_by(SupportTicket.id)
    ).all()  # fmt: skip
    for external_id, account_id, subject, category, priority, opened_at, contact_id, name in rows:
        if subject and subject.strip():
            title = f"Support ticket ({category or 'uncategorised'}, {priority} priority)"
            contacts = ((contact_id, name or ""),) if contact_id is not None else ()
            yield Source("support_ticket", external_id, account_id, subject, title, _day(opened_at), category, contacts)


def _notes(conn: Connection, account_ids: Sequence[int] | None) -> Iterator[Source]:
    rows = conn.execute(
        select(CsmAssessment.id, CsmAssessment.account_id, CsmAssessment.band, CsmAssessment.note,
               CsmAssessment.assessed_on, CsmAssessment.assessed_by)
        .where(*_in(CsmAssessment.account_id, account_ids))
        .order_by(CsmAssessment.id)
    ).all()  # fmt: skip
    for row_id, account_id, band, note, assessed_on, assessed_by in rows:
        if note and note.strip():
            title = f"CSM note ({band}{', ' + assessed_by if assessed_by else ''})"
            yield Source("csm_note", str(row_id), account_id, note, title, assessed_on, "note")


_READERS = {"interaction": _interactions, "survey_response": _surveys, "support_ticket": _tickets, "csm_note": _notes}


def book_sources(conn: Connection, table: str, account_ids: Sequence[int] | None = None) -> Iterator[Source]:
    """Every source of one table (of the given accounts, or all), in row order."""
    return _READERS[table](conn, account_ids)
