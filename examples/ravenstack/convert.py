"""Map the public RavenStack SaaS data set onto Watchtower's import formats.

RavenStack (synthetic, by River @ Rivalytics) has five tables. This script is
the whole mapping: it reshapes columns and aggregates feature usage into
weekly snapshots, then the files go through the ordinary importers, which
validate them like any team's data.

    python examples/ravenstack/convert.py ../shared/data/ravenstack_saas var/ravenstack
    for e in account contract usage_snapshot support_ticket; do
        watchtower import $e var/ravenstack/$e.csv; done

Its churn labels carry no signal (see the data set's README); outcomes.csv is
written only as a negative control for calibration, never to claim accuracy.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

PLAN_SEATS_NOTE = "RavenStack plan tiers are kept as the Watchtower plan name."


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"ravenstack_{name}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _write(out: Path, name: str, columns: list[str], rows: list[dict[str, object]]) -> None:
    with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _bool(value: str) -> str:
    return "true" if value.strip().lower() == "true" else "false"


def _monday(day: str) -> date:
    d = date.fromisoformat(day)
    return d - timedelta(days=d.weekday())


def convert(source: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    accounts = _read(source, "accounts")
    subscriptions = _read(source, "subscriptions")
    usage = _read(source, "feature_usage")
    tickets = _read(source, "support_tickets")
    churn_events = _read(source, "churn_events")

    last_churn: dict[str, str] = {}
    for event in churn_events:
        last_churn[event["account_id"]] = max(last_churn.get(event["account_id"], ""), event["churn_date"])
    current_arr: dict[str, tuple[str, str]] = {}
    for sub in subscriptions:
        if not sub["end_date"]:
            previous = current_arr.get(sub["account_id"])
            if previous is None or sub["start_date"] > previous[0]:
                current_arr[sub["account_id"]] = (sub["start_date"], sub["arr_amount"])

    account_rows = [
        {
            "external_id": a["account_id"],
            "name": a["account_name"],
            "industry": a["industry"],
            "country": a["country"],
            "plan": a["plan_tier"],
            "seats_purchased": a["seats"],
            "customer_since": a["signup_date"],
            "arr": current_arr.get(a["account_id"], ("", ""))[1],
            "status": "churned" if a["churn_flag"] == "True" else "active",
            "churned_on": last_churn.get(a["account_id"], "") if a["churn_flag"] == "True" else "",
        }
        for a in accounts
    ]
    _write(out, "account", list(account_rows[0]), account_rows)

    contract_rows = [
        {
            "external_id": s["subscription_id"],
            "account_external_id": s["account_id"],
            "start_date": s["start_date"],
            "end_date": s["end_date"],
            "plan": s["plan_tier"],
            "seats": s["seats"],
            "arr": s["arr_amount"],
            "billing_frequency": s["billing_frequency"],
            "auto_renew": _bool(s["auto_renew_flag"]),
            "status": "churned" if s["churn_flag"] == "True" else ("active" if not s["end_date"] else "expired"),
        }
        for s in subscriptions
    ]
    _write(out, "contract", list(contract_rows[0]), contract_rows)

    account_of = {s["subscription_id"]: s["account_id"] for s in subscriptions}
    weekly: dict[tuple[str, date], dict[str, object]] = {}
    features: dict[tuple[str, date], set[str]] = defaultdict(set)
    for row in usage:
        key = (account_of[row["subscription_id"]], _monday(row["usage_date"]))
        agg = weekly.setdefault(key, {"usage_count": 0, "usage_duration_secs": 0, "error_count": 0})
        agg["usage_count"] += int(row["usage_count"])  # type: ignore[operator]
        agg["usage_duration_secs"] += int(row["usage_duration_secs"])  # type: ignore[operator]
        agg["error_count"] += int(row["error_count"])  # type: ignore[operator]
        features[key].add(row["feature_name"])
    usage_rows = [
        {
            "account_external_id": account,
            "period_start": monday.isoformat(),
            "period": "week",
            "features": ";".join(sorted(features[(account, monday)])),
            "metrics.usage_count": agg["usage_count"],
            "metrics.usage_duration_secs": agg["usage_duration_secs"],
            "metrics.error_count": agg["error_count"],
        }
        for (account, monday), agg in sorted(weekly.items())
    ]
    _write(out, "usage_snapshot", list(usage_rows[0]), usage_rows)

    ticket_rows = [
        {
            "external_id": t["ticket_id"],
            "account_external_id": t["account_id"],
            "priority": t["priority"],
            "status": "closed" if t["closed_at"] else "open",
            "opened_at": t["submitted_at"],
            "closed_at": t["closed_at"],
            "first_response_minutes": t["first_response_time_minutes"],
            "satisfaction": str(int(float(t["satisfaction_score"]))) if t["satisfaction_score"] else "",
            "escalated": _bool(t["escalation_flag"]),
        }
        for t in tickets
    ]
    _write(out, "support_ticket", list(ticket_rows[0]), ticket_rows)

    outcome_rows = [
        {"account_external_id": a["account_id"], "churned": 1 if a["churn_flag"] == "True" else 0} for a in accounts
    ]
    _write(out, "outcomes", ["account_external_id", "churned"], outcome_rows)
    return {
        "account": len(account_rows),
        "contract": len(contract_rows),
        "usage_snapshot": len(usage_rows),
        "support_ticket": len(ticket_rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="folder holding the ravenstack_*.csv files")
    parser.add_argument("out", type=Path, help="folder to write Watchtower import files into")
    args = parser.parse_args()
    for entity, count in convert(args.source, args.out).items():
        print(f"{entity}: {count} rows -> {args.out / (entity + '.csv')}")


if __name__ == "__main__":
    main()
