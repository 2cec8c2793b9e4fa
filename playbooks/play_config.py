"""The plays a team runs, from ``plays.yaml``: triggers, qualification, timed steps, branches, holdouts.

A play opens a run for an account when its ``trigger`` and ``qualify``
conditions hold (``core.conditions``). Steps run in order on their
``day`` (day 1 is the day the run, or the track, began; for the renewal
timeline ``day`` counts from the contract's end date, so -120 is T-120).
Branches jump forward to a step of the same track, into another track, or
close the run. Everything is checked when the file loads: unknown facts,
templates, owners and jump targets are errors that name the key, and no
branch may jump backwards, so every run ends.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.conditions import Condition, checked, parse
from core.config_errors import load_yaml_model
from playbooks.facts import FACTS, PREFIXES
from prompts.templates import PLACEHOLDER, TemplateError, load_template

OwnerRole = Literal["csm", "csm_manager", "ae", "executive", "finance", "product"]
Action = Literal["task", "email", "notify", "offer", "wait_for_response", "ritual"]
Outcome = Literal["recovered", "lost", "completed", "expired", "withdrawn", "renewed", "churned"]
RiskStage = Literal["plan_in_place", "saving"]
ArtifactKind = Literal["readiness_report", "value_recap", "offer_sheet", "approvals_checklist"]
RecipientRole = Literal[
    "champion", "executive_sponsor", "economic_buyer", "admin", "technical_buyer", "user", "survey_respondent"
]
#: Values a template or title can use; ``actions.drafting`` fills each of them.
TEMPLATE_VALUES: dict[str, str] = {
    "account_name": "the customer's name",
    "account_id": "the customer's external id",
    "play_name": "the play's name",
    "csm_name": "the account's CSM, as a name",
    "csm_email": "the account's CSM, as an address",
    "contact_name": "the recipient's full name",
    "contact_first_name": "the recipient's first name",
    "usage_change_pct": "how far active usage fell or rose, e.g. 63%",
    "usage_before": "active users a week before the change window",
    "usage_now": "active users a week in the latest window",
    "seat_usage_pct": "share of plan seats in use, e.g. 86%",
    "seats_purchased": "seats in the plan",
    "nps_score": "the detractor's NPS answer",
    "respondent_name": "who gave the detractor answer",
    "departed_people": "who left, by name",
    "new_departments": "how many new departments started using the product",
    "power_users_now": "power users a week now",
    "renewal_date": "the renewal date",
    "days_to_renewal": "days until the renewal",
    "arr": "ARR, formatted",
    "band": "health band",
    "score": "health score",
    "meeting_minutes": "the length of meeting a draft proposes, in minutes",
    "call_minutes": "the length of call a draft proposes, in minutes",
    "nps_lowest": "the lowest answer on the NPS scale",
    "nps_highest": "the highest answer on the NPS scale",
}
_STEP_FACTS = {"day", "days_in_run", "responded", "responded_on"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _condition(value: str | None, *, allow_run_facts: bool = True) -> str | None:
    if value is None:
        return None
    return checked(value, set(FACTS) - (set() if allow_run_facts else _STEP_FACTS), PREFIXES)


def _title(value: str | None) -> str | None:
    if value is not None:
        unknown = sorted(set(PLACEHOLDER.findall(value)) - set(TEMPLATE_VALUES))
        if unknown:
            raise ValueError(f"unknown placeholder(s) {', '.join(unknown)}; known: {', '.join(TEMPLATE_VALUES)}")
    return value


def _template(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        template = load_template(name)
    except TemplateError as exc:
        raise ValueError(str(exc)) from None
    unknown = sorted(template.placeholders - set(TEMPLATE_VALUES) - {"agenda", "artifacts"})
    if unknown:
        raise ValueError(f"template {name}: unknown placeholder(s) {', '.join(unknown)}")
    return name


class Guarded(Strict):
    """A rule with an ``if`` condition over facts, checked when the file loads."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    if_: str = Field(alias="if")

    @field_validator("if_")
    @classmethod
    def _check_if(cls, value: str) -> str:
        return _condition(value) or value

    @cached_property
    def condition(self) -> Condition:
        return parse(self.if_)


class Branch(Guarded):
    """``if`` the condition holds when the step falls due, ``goto`` there instead of doing the step."""

    goto: str


class OfferSpec(Strict):
    """The offer a step proposes: its kind, terms and rationale. Approvals routes and settles it, never the play."""

    kind: Literal["discount", "expansion", "renewal", "term_change", "payment_terms", "service_credit", "exception"]
    terms: dict[str, float | int | str | bool] = Field(default_factory=dict)
    #: Seats to add as a share of the plan for expansion quotes (0.2 = 20% more seats).
    seat_uplift: float | None = Field(None, gt=0, le=10)
    rationale: str = Field(min_length=1)

    @field_validator("rationale")
    @classmethod
    def _check_rationale(cls, value: str) -> str:
        return _title(value) or value


class Step(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    day: int = Field(description="Day in the track (1 = the day it began); for anchored plays, days from the anchor.")
    action: Action
    owner: OwnerRole | None = None
    title: str | None = None
    template: str | None = None
    to: list[RecipientRole] = Field(default_factory=list)
    auto_send: bool = False
    #: Due within this many hours of the step starting (e.g. "call within 4 hours").
    hours: int | None = Field(None, ge=1, le=72)
    #: Start this many days before ``day`` so the work can be done by then (renewal milestones).
    lead_days: int = Field(0, ge=0, le=60)
    only_if: str | None = None
    when: str | None = None
    expires_day: int | None = None
    branches: list[Branch] = Field(default_factory=list)
    timeout_day: int | None = None
    on_response: str | None = None
    on_timeout: str | None = None
    escalate_after_days: int | None = Field(None, ge=0)
    escalate_to: OwnerRole | None = None
    completes_when: str | None = None
    sets_stage: RiskStage | None = None
    offer: OfferSpec | None = None
    ritual: str | None = None
    milestone: str | None = Field(None, description="Name shown on the renewal timeline for this step.")

    @field_validator("only_if", "when", "completes_when")
    @classmethod
    def _check_conditions(cls, value: str | None) -> str | None:
        return _condition(value)

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        return _title(value)

    @field_validator("template")
    @classmethod
    def _check_template(cls, value: str | None) -> str | None:
        return _template(value)

    @model_validator(mode="after")
    def _fields_for_action(self) -> Step:
        needs: dict[str, tuple[str, ...]] = {
            "task": ("owner", "title"),
            "email": ("owner", "template", "to"),
            "notify": ("owner", "title"),
            "offer": ("owner", "offer"),
            "wait_for_response": ("timeout_day",),
            "ritual": ("owner", "ritual"),
        }
        missing = [name for name in needs[self.action] if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.action} step needs {', '.join(missing)}")
        if self.auto_send and self.action != "email":
            raise ValueError("auto_send applies to email steps only (notifications to the team always go out)")
        if self.timeout_day is not None and self.timeout_day < self.day:
            raise ValueError("timeout_day must not come before the step's day")
        if self.expires_day is not None and (self.when is None or self.expires_day < self.day):
            raise ValueError("expires_day needs 'when' and must not come before the step's day")
        if (self.escalate_after_days is None) != (self.escalate_to is None):
            raise ValueError("give escalate_after_days and escalate_to together")
        if self.escalate_to and self.action not in ("task", "ritual"):
            raise ValueError("only task and ritual steps escalate (they are the ones a person completes)")
        if self.completes_when and self.action not in ("task", "ritual"):
            raise ValueError("completes_when applies to task and ritual steps")
        return self

    @cached_property
    def conditions(self) -> dict[str, Condition]:
        raw = {"only_if": self.only_if, "when": self.when, "completes_when": self.completes_when}
        return {k: parse(v) for k, v in raw.items() if v}

    def targets(self) -> list[tuple[str, str]]:
        """(field, target) for every jump this step can make."""
        jumps = [(f"branches[{n}]", b.goto) for n, b in enumerate(self.branches)]
        jumps += [(k, v) for k, v in (("on_response", self.on_response), ("on_timeout", self.on_timeout)) if v]
        return jumps


class CloseRule(Guarded):
    """Close the run with ``outcome`` when the condition holds (checked every day after the first)."""

    outcome: Outcome


class Play(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    kind: Literal["risk", "opportunity", "renewal"]
    description: str = ""
    #: ``renewal``: one run per contract, step days counted from the contract's end date.
    anchor: Literal["account", "renewal"] = "account"
    trigger: str
    qualify: str | None = None
    enabled: bool = True
    risk_case: bool = False
    #: Percent of eligible accounts held out (no steps), for measuring whether the play works.
    holdout_pct: float = Field(0, ge=0, le=50)
    reopen_after_days: int = Field(30, ge=0)
    max_days: int = Field(90, ge=1, description="A run still open this many days after it began closes as expired.")
    #: Renewal plays: a milestone already this many days overdue when the run begins is skipped, not
    #: handed over late (a book imported mid-year does not flood the team with last quarter's work).
    catch_up_days: int = Field(30, ge=0)
    close_when: list[CloseRule] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    tracks: dict[str, list[Step]] = Field(default_factory=dict)

    @field_validator("trigger", "qualify")
    @classmethod
    def _check_trigger(cls, value: str | None) -> str | None:
        return _condition(value, allow_run_facts=False)

    @field_validator("tracks")
    @classmethod
    def _track_names(cls, value: dict[str, list[Step]]) -> dict[str, list[Step]]:
        for name, steps in value.items():
            if name == "main" or not name.replace("_", "").isalnum() or not name[0].isalpha():
                raise ValueError(f"track name {name!r}: use letters, digits and underscores, and not 'main'")
            if not steps:
                raise ValueError(f"track {name!r} has no steps")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Play:
        tracks = self.all_tracks()
        for track, steps in tracks.items():
            ids = [s.id for s in steps]
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"track {track}: step ids must be unique, repeated: {', '.join(duplicates)}")
            days = [s.day for s in steps]
            if days != sorted(days):
                raise ValueError(f"track {track}: steps must be listed in day order")
            if self.anchor == "account" and days[0] < 1:
                raise ValueError(f"track {track}: days start at 1 (the day the run or track began)")
        self._check_jumps(tracks)
        if self.anchor == "renewal" and self.tracks:
            raise ValueError("a renewal-anchored play has one track of milestones; put choices in only_if")
        return self

    def _check_jumps(self, tracks: dict[str, list[Step]]) -> None:
        edges: dict[str, set[str]] = {name: set() for name in tracks}
        for track, steps in tracks.items():
            position = {s.id: n for n, s in enumerate(steps)}
            for n, step in enumerate(steps):
                for where, target in step.targets():
                    if target in ("next",) or target.startswith("close:"):
                        if target.startswith("close:") and target[6:] not in Outcome.__args__:  # type: ignore[attr-defined]
                            raise ValueError(f"steps[{step.id}].{where}: unknown outcome in {target!r}")
                        continue
                    if target in position:
                        if position[target] <= n:
                            raise ValueError(f"steps[{step.id}].{where}: jumps back to {target!r}; jumps go forward")
                        continue
                    if target in tracks and target != "main":
                        edges[track].add(target)
                        continue
                    raise ValueError(
                        f"steps[{step.id}].{where}: {target!r} is not a later step of track {track}, a track "
                        f"({', '.join(self.tracks) or 'none defined'}), 'next' or close:<outcome>"
                    )
        seen: set[str] = set()

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in path:
                raise ValueError(f"tracks jump in a circle: {' -> '.join((*path, name))}")
            if name in seen:
                return
            seen.add(name)
            for nxt in edges[name]:
                visit(nxt, (*path, name))

        visit("main", ())

    def all_tracks(self) -> dict[str, list[Step]]:
        return {"main": self.steps, **self.tracks}

    @cached_property
    def trigger_condition(self) -> Condition:
        return parse(self.trigger)

    @cached_property
    def qualify_condition(self) -> Condition | None:
        return parse(self.qualify) if self.qualify else None


class Ritual(Strict):
    """A renewal stage meeting: who runs it, the agenda, and the documents prepared for it."""

    title: str
    owner: OwnerRole
    audience: Literal["internal", "customer"]
    agenda: list[str] = Field(min_length=1)
    artifacts: list[ArtifactKind] = Field(default_factory=list)


class PlaySettings(Strict):
    scorecard_max_age_days: int = Field(35, ge=1, description="Older scorecards are not read as current health.")
    engagement_days: int = Field(45, ge=1, description="Customer contact within this many days counts as engaged.")
    quiet_period_days: int = Field(
        5, ge=0, le=90, description="A contact emailed by one play is not emailed by another for this many days."
    )


class RiskCaseRules(Strict):
    """When an open risk case ends on its own, checked daily once no play run is working on it."""

    recovered_when: str = "band == 'Green'"
    lost_when: str = "churned"

    @field_validator("recovered_when", "lost_when")
    @classmethod
    def _check(cls, value: str) -> str:
        return _condition(value, allow_run_facts=False) or value

    @cached_property
    def recovered(self) -> Condition:
        return parse(self.recovered_when)

    @cached_property
    def lost(self) -> Condition:
        return parse(self.lost_when)


class PlayBook(Strict):
    version: str = Field(min_length=1)
    #: Who an owner role is, when it is not the account's own CSM (issue-6 users replace this with people).
    owners: dict[OwnerRole, str] = Field(default_factory=dict)
    settings: PlaySettings = PlaySettings()
    risk_cases: RiskCaseRules = RiskCaseRules()
    rituals: dict[str, Ritual] = Field(default_factory=dict)
    plays: list[Play] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> PlayBook:
        ids = [p.id for p in self.plays]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"plays: ids must be unique, repeated: {', '.join(duplicates)}")
        for play in self.plays:
            for track, steps in play.all_tracks().items():
                for step in steps:
                    if step.ritual and step.ritual not in self.rituals:
                        raise ValueError(
                            f"plays[{play.id}] track {track} step {step.id}: unknown ritual {step.ritual!r}; "
                            f"defined: {', '.join(self.rituals) or 'none'}"
                        )
        return self

    def play(self, play_id: str) -> Play:
        for play in self.plays:
            if play.id == play_id:
                return play
        raise LookupError(f"no play {play_id!r}; defined: {', '.join(p.id for p in self.plays)}")


def load_playbook(path: Path) -> PlayBook:
    return load_yaml_model(path, PlayBook)
