"""Produce briefings: one audience and week on demand, or the whole week (leadership and every CSM with a book)
on the schedule. The model comes from the settings, as for every other model step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, Engine, or_, select

from agents.briefing.graph import BriefingContext, BriefingOutput, build_graph
from agents.briefing.store import stored_weeks
from core.models import Account
from core.settings import Settings
from llm.factory import build_chat_model, build_reader
from llm.structured import LlmStats

ACCOUNT = Account.__table__  # type: ignore[attr-defined]


def audiences(conn: Connection, as_of: date) -> list[str]:
    """Leadership, then ``csm:<email>`` for every CSM who owns an active account on ``as_of``."""
    owners = conn.execute(
        select(ACCOUNT.c.owner_csm)
        .where(ACCOUNT.c.owner_csm.is_not(None), or_(ACCOUNT.c.churned_on.is_(None), ACCOUNT.c.churned_on > as_of))
        .distinct()
        .order_by(ACCOUNT.c.owner_csm)
    ).scalars()
    return ["leadership", *(f"csm:{owner}" for owner in owners)]


@dataclass
class Briefer:
    """The briefing graph with its model (or none) and where the archive's links point."""

    engine: Engine
    settings: Settings
    stats: LlmStats

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> Briefer:
        return cls(engine, settings, LlmStats())

    def produce(self, *, audience: str, as_of: date, now: datetime, deliver: bool = True) -> BriefingOutput:
        model = build_chat_model(self.settings)
        reader = build_reader(self.settings, model, stats=self.stats) if model is not None else None
        context = BriefingContext(
            engine=self.engine, reader=reader, now=now, web_base_url=self.settings.web_base_url, deliver=deliver
        )
        return build_graph().invoke({"audience": audience, "as_of": as_of}, context=context)

    def produce_missing(self, *, as_of: date, now: datetime) -> list[tuple[str, BriefingOutput]]:
        """The week's briefings not yet stored (all of them the first time); a week done is left as it is, so a
        scheduler ticking all week writes each once."""
        with self.engine.connect() as conn:
            done = stored_weeks(conn, as_of)
            wanted = [a for a in audiences(conn, as_of) if a not in done]
        return [(audience, self.produce(audience=audience, as_of=as_of, now=now)) for audience in wanted]
