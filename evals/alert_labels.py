"""Alert precision and recall against a seeded book's ground-truth labels.

Each planted scenario expects one alert type on its account. Precision of a
type counts its open alerts on accounts planted with that scenario; recall
counts planted accounts that got the alert. Accounts planted as healthy
controls should get no alert at all.

    python -m evals.alert_labels --labels var/seed/labels.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from core.db import make_engine
from core.models import Account, Alert
from core.settings import Settings

#: Scenario -> the alert type that should fire for it.
EXPECTED = {
    "usage_decline": "usage_decline",
    "champion_departure": "champion_departure",
    "nps_detractor": "nps_detractor",
    "overdue_invoice": "overdue_invoice",
    "approaching_plan_limits": "approaching_plan_limits",
    "power_users": "power_users",
    "new_department": "new_department",
    "hostile_text": "escalation",
}
#: Alert types that other planted scenarios also explain: a detractor NPS comes with angry emails,
#: a planted usage fall with a negative call. Alerts of these types on those accounts are not false positives.
ALSO_EXPLAINED_BY = {
    "detractors": {"nps_detractor", "usage_decline", "hostile_text", "disengaging", "dip_recovered"},
    "escalation": {"nps_detractor", "usage_decline"},
    # States a background account's story shows at the as-of date: a real fall, dip or hand-over,
    # so an alert there is neither a hit on a planted scenario nor a false alarm.
    "usage_decline": {"disengaging", "dip_recovered", "product_dropped"},
    "champion_departure": {"champion_replaced"},
}


@dataclass
class TypeScore:
    alert_type: str
    planted: int = 0
    found: int = 0
    alerts: int = 0
    on_planted: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.planted if self.planted else None

    @property
    def precision(self) -> float | None:
        return self.on_planted / self.alerts if self.alerts else None


@dataclass
class AlertReport:
    scores: dict[str, TypeScore] = field(default_factory=dict)
    controls: int = 0
    controls_alerted: list[str] = field(default_factory=list)
    missed: dict[str, list[str]] = field(default_factory=dict)
    unexpected: dict[str, list[str]] = field(default_factory=dict)


def read_labels(path: Path) -> dict[str, set[str]]:
    by_account: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                row = json.loads(line)
                by_account[row["account_external_id"]].add(row["scenario"])
    return by_account


def evaluate(engine: Engine, labels: dict[str, set[str]]) -> AlertReport:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Account.external_id, Alert.type)
            .join(Account, Account.id == Alert.account_id)
            .where(Alert.status == "open")
        ).all()
    alerted: dict[str, set[str]] = defaultdict(set)
    for external_id, alert_type in rows:
        alerted[external_id].add(alert_type)
    report = AlertReport()
    for alert_type in ALSO_EXPLAINED_BY:
        report.scores.setdefault(alert_type, TypeScore(alert_type))
    for scenario, alert_type in EXPECTED.items():
        score = report.scores.setdefault(alert_type, TypeScore(alert_type))
        planted = {a for a, s in labels.items() if scenario in s}
        score.planted += len(planted)
        score.found += sum(1 for a in planted if alert_type in alerted.get(a, set()))
        report.missed[scenario] = sorted(a for a in planted if alert_type not in alerted.get(a, set()))
    for alert_type, score in report.scores.items():
        expected_for = {s for s, t in EXPECTED.items() if t == alert_type} | ALSO_EXPLAINED_BY.get(alert_type, set())
        on = [a for a, types in alerted.items() if alert_type in types]
        score.alerts = len(on)
        score.on_planted = sum(1 for a in on if labels.get(a, set()) & expected_for)
        report.unexpected[alert_type] = sorted(a for a in on if not labels.get(a, set()) & expected_for)
    controls = [a for a, s in labels.items() if "healthy_control" in s]
    report.controls = len(controls)
    report.controls_alerted = sorted(a for a in controls if alerted.get(a))
    return report


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=Path("var/seed/labels.jsonl"))
    args = parser.parse_args()
    report = evaluate(make_engine(Settings().database_url), read_labels(args.labels))
    print(f"{'alert type':26} {'planted':>7} {'found':>6} {'recall':>7} {'alerts':>7} {'precision':>9}")
    for s in report.scores.values():
        print(f"{s.alert_type:26} {s.planted:7} {s.found:6} {_fmt(s.recall):>7} {s.alerts:7} {_fmt(s.precision):>9}")
    print(f"healthy controls: {report.controls}, with any alert: {len(report.controls_alerted)}")
    for alert_type, accounts in report.unexpected.items():
        if accounts:
            print(f"  {alert_type} on unlabelled accounts: {', '.join(accounts[:8])}")
    for scenario, accounts in report.missed.items():
        if accounts:
            print(f"  missed {scenario}: {', '.join(accounts[:8])}")


if __name__ == "__main__":
    main()
