"""The SQLAlchemy Core tables behind the SQLModel classes, under the short names the readers use in queries.

Readers that build ``select()`` queries across several tables name them here once instead of each module
declaring its own ``X = Model.__table__`` block. ``RUN`` is a play run; the agents' run table is not listed
because its readers call it by another name.
"""

from __future__ import annotations

from sqlalchemy import Table

from core.models import (
    Account,
    AgentOutput,
    Alert,
    Approval,
    Contact,
    Contract,
    Interaction,
    Offer,
    PlayRun,
    PlayStep,
    RenewalForecast,
    Scorecard,
    Task,
    UsageSnapshot,
)


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


ACCOUNT = _table(Account)
ALERT = _table(Alert)
APPROVAL = _table(Approval)
CONTACT = _table(Contact)
CONTRACT = _table(Contract)
FORECAST = _table(RenewalForecast)
INTERACTION = _table(Interaction)
OFFER = _table(Offer)
OUTPUT = _table(AgentOutput)
RUN = _table(PlayRun)
SCORECARD = _table(Scorecard)
STEP = _table(PlayStep)
TASK = _table(Task)
USAGE = _table(UsageSnapshot)
