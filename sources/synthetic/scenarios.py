"""The planted scenarios and which accounts get them.

Assignment is a pure function of (seed, number of accounts), so the same
command always plants the same scenario in the same account, and the labels
written beside the data are the ground truth evals score against.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

USAGE_DECLINE = "usage_decline"
CHAMPION_DEPARTURE = "champion_departure"
NPS_DETRACTOR = "nps_detractor"
OVERDUE_INVOICE = "overdue_invoice"
APPROACHING_PLAN_LIMITS = "approaching_plan_limits"
POWER_USERS = "power_users"
NEW_DEPARTMENT = "new_department"
HEALTHY_CONTROL = "healthy_control"
INJECTION_ATTEMPT = "injection_attempt"
HOSTILE_TEXT = "hostile_text"
#: Not planted for alerts: customers who already left, so backtests have history to replay.
CHURNED = "churned"

PLANTED = (
    USAGE_DECLINE,
    CHAMPION_DEPARTURE,
    NPS_DETRACTOR,
    OVERDUE_INVOICE,
    APPROACHING_PLAN_LIMITS,
    POWER_USERS,
    NEW_DEPARTMENT,
)

#: Which side of the ledger each scenario is on, for the alerts that later issues raise.
KIND = {
    USAGE_DECLINE: "risk",
    CHAMPION_DEPARTURE: "risk",
    NPS_DETRACTOR: "risk",
    OVERDUE_INVOICE: "risk",
    APPROACHING_PLAN_LIMITS: "opportunity",
    POWER_USERS: "opportunity",
    NEW_DEPARTMENT: "opportunity",
    HEALTHY_CONTROL: "none",
    INJECTION_ATTEMPT: "none",
    HOSTILE_TEXT: "risk",
    CHURNED: "outcome",
}


@dataclass(frozen=True)
class Assignment:
    """Scenario by account index; accounts not listed are background."""

    scenario_of: dict[int, str]
    #: Background accounts that also receive a manipulative or hostile text.
    text_of: dict[int, str]
    #: Background accounts that churned before the as-of date.
    lapsed: frozenset[int] = frozenset()


def assign(accounts: int, seed: int, share: float = 0.03, control_share: float = 0.05) -> Assignment:
    rng = random.Random(seed * 7919 + 17)
    order = list(range(accounts))
    rng.shuffle(order)
    per = max(1, round(accounts * share))
    controls = max(1, round(accounts * control_share))
    scenario_of: dict[int, str] = {}
    cursor = 0
    for scenario in PLANTED:
        for index in order[cursor : cursor + per]:
            scenario_of[index] = scenario
        cursor += per
    for index in order[cursor : cursor + controls]:
        scenario_of[index] = HEALTHY_CONTROL
    cursor += controls
    texts = max(1, round(accounts * 0.01))
    text_of: dict[int, str] = {}
    for index in order[cursor : cursor + texts]:
        text_of[index] = INJECTION_ATTEMPT
    cursor += texts
    for index in order[cursor : cursor + texts]:
        text_of[index] = HOSTILE_TEXT
    cursor += texts
    lapsed = frozenset(order[cursor : cursor + max(1, round(accounts * 0.08))])
    return Assignment(scenario_of, text_of, lapsed)
