"""Draft polishing kept out of the play engine's write transaction.

Asking a model takes seconds to minutes (timeouts, retries); a write
transaction held that long would keep approvals waiting, and on SQLite make
them fail with "database is locked". So inside the engine's transaction every
draft is written with its deterministic text, and the drafts are polished
after the chunk has committed: the model is asked with no transaction open and
each polished text goes into its row in one short transaction, only if the row
still holds the text it was drafted with and nobody has acted on it (a person
edited or approved it, a sender claimed it). A crash in between leaves the
deterministic drafts, which are complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Engine, and_, bindparam, or_, update

from actions.drafting import Drafted, Drafter
from core.models import Artifact, OutboxMessage
from prompts.templates import Template

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ARTIFACT = Artifact.__table__  # type: ignore[attr-defined]
Table = Literal["outbox_message", "artifact"]


@dataclass(frozen=True)
class _Asked:
    template: Template
    values: dict[str, str]
    facts: BaseModel | Mapping[str, Any]
    purpose: str
    plain: Drafted


@dataclass(frozen=True)
class _Placed:
    asked: _Asked
    table: Table
    row_id: int


@dataclass
class DeferredDrafter(Drafter):
    """A ``Drafter`` that answers with the deterministic draft at once and polishes it later, off-transaction.

    Callers say where each draft went (``placed``); ``polish`` then asks the model for those drafts and
    writes the polished texts. With no model it is a plain deterministic ``Drafter``.
    """

    asked: dict[int, _Asked] = field(default_factory=dict)
    pending: list[_Placed] = field(default_factory=list)

    @property
    def asks_model(self) -> bool:
        return self.reader is not None and self.reader.model is not None

    def draft(
        self, template: Template, values: dict[str, str], *, facts: BaseModel | Mapping[str, Any], purpose: str
    ) -> Drafted:
        # A template error surfaces as it would; the model's rewrite is checked later against the same record.
        plain = Drafter().draft(template, values, facts=facts, purpose=purpose)
        if self.asks_model:
            self.asked[id(plain)] = _Asked(template, dict(values), facts, purpose, plain)
        return plain

    def placed(self, drafted: Drafted, table: Table, row_id: int) -> None:
        asked = self.asked.pop(id(drafted), None)
        if asked is not None:
            self.pending.append(_Placed(asked, table, row_id))

    def discard(self) -> None:
        """Forget drafts whose rows were rolled back."""
        self.asked.clear()
        self.pending.clear()

    def polish(self, engine: Engine) -> int:
        """Ask the model for each placed draft (the caller holds no transaction), then write the answers."""
        placed, self.pending = self.pending, []
        self.asked.clear()
        rows: dict[Table, list[dict[str, object]]] = {"outbox_message": [], "artifact": []}
        for p in placed:
            polished = super().draft(p.asked.template, p.asked.values, facts=p.asked.facts, purpose=p.asked.purpose)
            rows[p.table].append(
                {
                    "row_id": p.row_id,
                    "drafted_body": p.asked.plain.body,
                    "new_subject": polished.subject,
                    "new_body": polished.body,
                    "new_produced_by": polished.produced_by,
                }
            )
        if not placed:
            return 0
        with engine.begin() as conn:
            if rows["outbox_message"]:
                conn.execute(
                    update(OUTBOX)
                    .where(
                        OUTBOX.c.id == bindparam("row_id"),
                        OUTBOX.c.body == bindparam("drafted_body"),
                        OUTBOX.c.produced_by == "deterministic",
                        # Never what a person approved meanwhile; an auto-send message only until a sender claims it.
                        or_(OUTBOX.c.status == "drafted", and_(OUTBOX.c.status == "approved", OUTBOX.c.auto_send)),
                    )
                    .values(
                        subject=bindparam("new_subject"),
                        body=bindparam("new_body"),
                        produced_by=bindparam("new_produced_by"),
                    ),
                    [{**r, "new_subject": str(r["new_subject"])[:512]} for r in rows["outbox_message"]],
                )
            if rows["artifact"]:
                conn.execute(
                    update(ARTIFACT)
                    .where(
                        ARTIFACT.c.id == bindparam("row_id"),
                        ARTIFACT.c.content == bindparam("drafted_body"),
                        ARTIFACT.c.produced_by == "deterministic",
                    )
                    .values(
                        title=bindparam("new_subject"),
                        content=bindparam("new_body"),
                        produced_by=bindparam("new_produced_by"),
                    ),
                    [{**r, "new_subject": str(r["new_subject"])[:255]} for r in rows["artifact"]],
                )
        return len(placed)


def note_placed(drafter: Drafter, drafted: Drafted, table: Table, row_id: int) -> None:
    """Tell a deferring drafter which row a draft went into; any other drafter has nothing to do later."""
    if isinstance(drafter, DeferredDrafter):
        drafter.placed(drafted, table, row_id)
