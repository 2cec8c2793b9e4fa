"""The contract between the play engine and whatever performs its steps.

The engine decides *which* step is due and records what happened; doing the
step (a task, a draft to the customer, an internal notification, an offer, a
ritual's documents) is the effects layer's job (``actions.play_steps``). The
engine only knows this protocol, so the plays never import what sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import Connection, Engine

from playbooks.facts import AccountFacts, ContractTerm
from playbooks.play_config import Play, Step
from playbooks.play_store import RunState


@dataclass
class StepOutcome:
    status: str  # done | skipped
    note: str | None = None
    result: dict[str, Any] | None = None


@dataclass
class StepRequest:
    """One step to perform: the run, the play and step, the account and its facts, and the dates."""

    conn: Connection
    state: RunState
    play: Play
    step: Step
    account: AccountFacts
    facts: dict[str, Any]
    as_of: date
    due_on: date
    contract: ContractTerm | None

    @property
    def key(self) -> str:
        """Run, track and step: what makes performing the step twice add nothing."""
        return f"run:{self.state.id}:{self.state.row['track']}:{self.step.id}"


class StepActions(Protocol):
    """Performs steps and writes internal notifications, inside the engine's transaction.
    A notification carries ``facts``, the record its subject and body were written from.

    A model is never asked inside that transaction: drafts are written with their deterministic text, and
    after the chunk commits the engine calls ``polish_drafts`` (no transaction open) to have them rewritten;
    if the chunk is rolled back it calls ``discard_drafts`` instead.
    """

    def polish_drafts(self, engine: Engine) -> int: ...

    def discard_drafts(self) -> None: ...

    def perform(self, request: StepRequest) -> StepOutcome: ...

    def notify(
        self,
        conn: Connection,
        account: AccountFacts,
        *,
        role: str,
        subject: str,
        body: str,
        facts: BaseModel,
        key: str,
        run_id: int | None,
        as_of: date,
    ) -> int: ...
