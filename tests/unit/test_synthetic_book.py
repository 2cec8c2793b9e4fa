"""The synthetic book plants each scenario where its labels say, and nowhere by accident."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from sources.synthetic import scenarios as sc
from sources.synthetic.generator import AccountBundle, AccountGenerator, BookSpec

AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def book() -> dict[str, AccountBundle]:
    generator = AccountGenerator(BookSpec(accounts=300, seed=11, as_of=AS_OF))
    return {b.rows["account"][0]["external_id"]: b for b in generator.accounts()}


def with_scenario(book: dict[str, AccountBundle], scenario: str) -> list[AccountBundle]:
    found = [b for b in book.values() if b.labels and b.labels[0]["scenario"] == scenario]
    assert found, f"no account planted with {scenario}"
    return found


def background(book: dict[str, AccountBundle]) -> list[AccountBundle]:
    """Accounts with no planted scenario that are still customers."""
    skip = (*sc.PLANTED, sc.HEALTHY_CONTROL, sc.CHURNED)
    return [b for b in book.values() if not any(label["scenario"] in skip for label in b.labels)]


def usage(bundle: AccountBundle, field: str) -> list[float]:
    return [row[field] for row in bundle.rows["usage_snapshot"]]


def test_same_seed_same_book_different_seed_different_book() -> None:
    spec = BookSpec(accounts=20, seed=3, as_of=AS_OF)
    first = [b.rows for b in AccountGenerator(spec).accounts()]
    again = [b.rows for b in AccountGenerator(spec).accounts()]
    other = [b.rows for b in AccountGenerator(BookSpec(accounts=20, seed=4, as_of=AS_OF)).accounts()]
    assert first == again
    assert first != other


def test_an_account_does_not_depend_on_the_batch_it_is_generated_in() -> None:
    generator = AccountGenerator(BookSpec(accounts=20, seed=3, as_of=AS_OF))
    assert next(iter(generator.accounts(5, 6))).rows == list(generator.accounts())[5].rows


def test_scenarios_are_disjoint_and_all_present() -> None:
    assignment = sc.assign(1000, seed=5)
    counts = {s: list(assignment.scenario_of.values()).count(s) for s in (*sc.PLANTED, sc.HEALTHY_CONTROL)}
    assert all(counts[s] == 30 for s in sc.PLANTED)
    assert counts[sc.HEALTHY_CONTROL] == 50
    assert not set(assignment.text_of) & set(assignment.scenario_of)


def test_eighteen_months_of_weekly_usage_ending_before_as_of(book: dict[str, AccountBundle]) -> None:
    bundle = next(iter(book.values()))
    starts = [row["period_start"] for row in bundle.rows["usage_snapshot"]]
    assert len(starts) == 78
    assert all(later - earlier == timedelta(weeks=1) for earlier, later in pairwise(starts))
    assert starts[-1] + timedelta(days=6) < AS_OF


def test_usage_decline_halves_logins_over_thirty_days(book: dict[str, AccountBundle]) -> None:
    for bundle in with_scenario(book, sc.USAGE_DECLINE):
        logins = usage(bundle, "logins")
        assert sum(logins[-4:]) <= 0.5 * sum(logins[-8:-4])
        assert bundle.rows["account"][0]["arr"] > 5000


def test_background_usage_never_falls_that_far(book: dict[str, AccountBundle]) -> None:
    for bundle in background(book):
        logins = usage(bundle, "logins")
        assert sum(logins[-4:]) > 0.5 * sum(logins[-8:-4])


def test_champion_departure_has_a_recent_departure_and_a_job_change(book: dict[str, AccountBundle]) -> None:
    for bundle in with_scenario(book, sc.CHAMPION_DEPARTURE):
        champion = next(c for c in bundle.rows["contact"] if "champion" in c["roles"])
        assert champion["status"] == "departed"
        assert 0 < (AS_OF - champion["departed_on"]).days <= 21
        moves = [m for m in bundle.rows["market_signal"] if m["kind"] == "job_change"]
        assert moves[0]["contact_external_id"] == champion["external_id"]


def test_no_champion_departs_by_accident(book: dict[str, AccountBundle]) -> None:
    for bundle in background(book):
        assert all(c["status"] == "active" for c in bundle.rows["contact"] if "champion" in c["roles"])


def test_detractor_answers_recently_with_a_verbatim(book: dict[str, AccountBundle]) -> None:
    for bundle in with_scenario(book, sc.NPS_DETRACTOR):
        latest = max(bundle.rows["survey_response"], key=lambda r: r["responded_on"])
        assert latest["score"] <= 6
        assert latest["verbatim"]
        assert (AS_OF - latest["responded_on"]).days <= 14


def test_recent_detractors_exist_only_where_planted(book: dict[str, AccountBundle]) -> None:
    for bundle in background(book) + with_scenario(book, sc.HEALTHY_CONTROL):
        recent = [r for r in bundle.rows["survey_response"] if (AS_OF - r["responded_on"]).days <= 90]
        assert all(r["score"] >= 7 for r in recent)


def test_overdue_invoice_is_open_at_least_fifteen_days(book: dict[str, AccountBundle]) -> None:
    for bundle in with_scenario(book, sc.OVERDUE_INVOICE):
        overdue = [i for i in bundle.rows["invoice"] if i["status"] == "open" and (AS_OF - i["due_on"]).days >= 15]
        assert overdue
        assert bundle.labels[0]["evidence"]["invoice"] == overdue[-1]["external_id"]


def test_background_invoices_are_never_ten_days_overdue(book: dict[str, AccountBundle]) -> None:
    for bundle in background(book) + with_scenario(book, sc.HEALTHY_CONTROL):
        assert all((AS_OF - i["due_on"]).days < 10 for i in bundle.rows["invoice"] if i["status"] == "open")


def test_plan_limits_approach_only_where_planted(book: dict[str, AccountBundle]) -> None:
    for bundle in with_scenario(book, sc.APPROACHING_PLAN_LIMITS):
        assert usage(bundle, "seats_used")[-1] / bundle.rows["account"][0]["seats_purchased"] >= 0.85
    for bundle in background(book):
        assert max(usage(bundle, "seats_used")) / bundle.rows["account"][0]["seats_purchased"] < 0.8


def test_power_users_and_new_department_show_in_named_metrics(book: dict[str, AccountBundle]) -> None:
    for bundle in with_scenario(book, sc.POWER_USERS):
        power = [row["metrics"]["power_users"] for row in bundle.rows["usage_snapshot"]]
        assert sum(power[-4:]) / 4 > 2 * sum(power[-12:-4]) / 8
    for bundle in with_scenario(book, sc.NEW_DEPARTMENT):
        departments = [row["metrics"]["departments_active"] for row in bundle.rows["usage_snapshot"]]
        assert departments[-1] == departments[0] + 1
        new = {c["department"] for c in bundle.rows["contact"][-2:]}
        assert len(new) == 1 and not new & {c["department"] for c in bundle.rows["contact"][:-2]}


def test_manipulative_texts_are_planted_and_labelled(book: dict[str, AccountBundle]) -> None:
    labelled = [label for b in book.values() for label in b.labels if label["scenario"] == sc.INJECTION_ATTEMPT]
    assert labelled
    for label in labelled:
        bundle = book[label["account_external_id"]]
        [interaction] = [x for x in bundle.rows["interaction"] if x["external_id"] == label["evidence"]["interaction"]]
        assert label["evidence"]["text"] in interaction["body"]


def test_renewals_fall_within_the_next_twelve_months(book: dict[str, AccountBundle]) -> None:
    ends = [b.rows["contract"][-1]["end_date"] for b in book.values() if b.rows["contract"][-1]["status"] == "active"]
    assert all(AS_OF < end <= AS_OF + timedelta(days=365) for end in ends)
    assert sum(end <= AS_OF + timedelta(days=90) for end in ends) > len(ends) * 0.15


def test_segments_follow_the_arr_rules(book: dict[str, AccountBundle]) -> None:
    for bundle in book.values():
        account = bundle.rows["account"][0]
        arr, segment = float(account["arr"]), account["segment"]
        products = len(bundle.rows["contract"][-1]["products"])
        assert (segment == "Strategic") == (arr > 50_000 and products >= 2)
        assert (segment == "Growth") == (15_000 <= arr <= 50_000)


def test_lapsed_accounts_left_before_as_of_and_nothing_is_dated_after() -> None:
    book = list(AccountGenerator(BookSpec(accounts=200, seed=11, as_of=AS_OF)).accounts())
    lapsed = [b for b in book if b.labels and b.labels[-1]["scenario"] == sc.CHURNED]
    assert len(lapsed) == 16
    for bundle in lapsed:
        gone = bundle.rows["account"][0]["churned_on"]
        assert bundle.rows["account"][0]["status"] == "churned"
        assert bundle.rows["contract"][-1]["status"] == "churned" and bundle.rows["contract"][-1]["end_date"] == gone
        assert all(u["period_start"] + timedelta(days=6) < gone for u in bundle.rows["usage_snapshot"])
        assert all(i["issued_on"] < gone for i in bundle.rows.get("invoice", []))
        assert bundle.outcome is None
        if bundle.labels[-1]["evidence"]["warning"] != "none":
            logins = [u["logins"] for u in bundle.rows["usage_snapshot"]]
            assert sum(logins[-4:]) < 0.6 * sum(logins[-14:-10])
