"""The synthetic book plants each scenario where its labels say, and nowhere by accident; its customers
leave and stay the way its stories say (fading over months, silently, after a champion leaves)."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from signals.intents import read_cancel_intent
from sources.synthetic import scenarios as sc
from sources.synthetic import stories
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


def calm(book: dict[str, AccountBundle]) -> list[AccountBundle]:
    """Background accounts whose story shows nothing at the as-of date: no label of any kind."""
    return [b for b in background(book) if not b.labels]


def lapsed(book: dict[str, AccountBundle], course: str) -> list[AccountBundle]:
    found = [b for b in book.values() if b.labels and b.labels[-1]["evidence"].get("course") == course]
    assert found, f"no lapsed account with course {course}"
    return found


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


def test_calm_usage_never_falls_that_far(book: dict[str, AccountBundle]) -> None:
    for bundle in calm(book):
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
    """A calm account's champion either stayed or left long ago and has a successor."""
    for bundle in calm(book):
        champions = [c for c in bundle.rows["contact"] if "champion" in c["roles"]]
        for champion in champions:
            if champion["status"] == "departed":
                assert (AS_OF - champion["departed_on"]).days > stories.VISIBLE_DAYS
                assert any(c["status"] == "active" for c in champions)


def test_detractor_answers_recently_with_a_verbatim(book: dict[str, AccountBundle]) -> None:
    for bundle in with_scenario(book, sc.NPS_DETRACTOR):
        latest = max(bundle.rows["survey_response"], key=lambda r: r["responded_on"])
        assert latest["score"] <= 6
        assert latest["verbatim"]
        assert (AS_OF - latest["responded_on"]).days <= 14


def test_recent_detractors_exist_only_where_planted(book: dict[str, AccountBundle]) -> None:
    for bundle in calm(book) + with_scenario(book, sc.HEALTHY_CONTROL):
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
        assert all(x["occurred_at"].date() < gone for x in bundle.rows.get("interaction", []))
        assert bundle.outcome is None


def _weekly_before(bundle: AccountBundle, field: str, weeks_before: int) -> float:
    """Mean of ``field`` over the four weeks ending ``weeks_before`` weeks before the account left."""
    rows = bundle.rows["usage_snapshot"]
    end = max(4, len(rows) - weeks_before)
    return sum(r[field] for r in rows[end - 4 : end]) / 4


def test_fading_customers_fade_over_months_not_weeks(book: dict[str, AccountBundle]) -> None:
    """Usage is already well down eight weeks before they leave, and was whole half a year before."""
    for bundle in lapsed(book, stories.FADE):
        before = _weekly_before(bundle, "active_users", 40)
        assert _weekly_before(bundle, "active_users", 8) < 0.8 * before
        assert _weekly_before(bundle, "active_users", 0) < 0.6 * before


def test_silent_churners_leave_with_healthy_usage_and_nothing_said(book: dict[str, AccountBundle]) -> None:
    for bundle in lapsed(book, stories.SILENT):
        assert _weekly_before(bundle, "active_users", 0) > 0.7 * _weekly_before(bundle, "active_users", 30)
        customer_texts = [x["body"] for x in bundle.rows.get("interaction", [])]
        assert not any(read_cancel_intent(body).cancel for body in customer_texts)
        assert all(c["status"] == "active" for c in bundle.rows["contact"] if "champion" in c["roles"])


def test_competitor_churners_mostly_say_they_will_not_renew_weeks_ahead(book: dict[str, AccountBundle]) -> None:
    said = 0
    for bundle in lapsed(book, stories.COMPETITOR):
        gone = bundle.rows["account"][0]["churned_on"]
        stated = [x["occurred_at"].date() for x in bundle.rows["interaction"] if read_cancel_intent(x["body"]).cancel]
        if stated:
            said += 1
            assert (gone - max(stated)).days >= 6 * 7
    assert said >= 1


def test_financial_churners_leave_an_invoice_unpaid_for_months(book: dict[str, AccountBundle]) -> None:
    for bundle in lapsed(book, stories.FINANCIAL):
        gone = bundle.rows["account"][0]["churned_on"]
        unpaid = [i for i in bundle.rows["invoice"] if i["paid_on"] is None]
        assert unpaid and (gone - min(i["due_on"] for i in unpaid)).days >= 14 * 7


def test_a_lost_champion_is_not_replaced_and_a_replaced_one_is(book: dict[str, AccountBundle]) -> None:
    for bundle in lapsed(book, stories.CHAMPION_LOST):
        champions = [c for c in bundle.rows["contact"] if "champion" in c["roles"]]
        assert [c["status"] for c in champions] == ["departed"]
    replaced = [b for b in book.values() if any(label["scenario"] == stories.CHAMPION_REPLACED for label in b.labels)]
    assert replaced
    for bundle in replaced:
        champions = [c for c in bundle.rows["contact"] if "champion" in c["roles"]]
        assert {c["status"] for c in champions} == {"departed", "active"}
        assert any(x["subject"] == "Introduction to the new owner" for x in bundle.rows["interaction"])


def test_dips_come_with_a_save_meeting_and_recover(book: dict[str, AccountBundle]) -> None:
    generator = AccountGenerator(BookSpec(accounts=300, seed=11, as_of=AS_OF))
    recovered = 0
    for index in range(300):
        bundle = book[f"ACC-{index + 1:05d}"]
        if not any(x["subject"] == "Recovery plan" for x in bundle.rows.get("interaction", [])):
            continue
        story = generator.account(index)  # same stream, same story
        assert story.rows == bundle.rows
        active = usage(bundle, "active_users")
        low = min(range(len(active)), key=active.__getitem__)
        if low < len(active) - 12:
            recovered += 1
            assert sum(active[-4:]) > 1.3 * active[low] * 4 or max(active[low:]) > 1.3 * active[low]
    assert recovered


def test_renewals_expand_and_contract(book: dict[str, AccountBundle]) -> None:
    changes = [
        float(b.rows["contract"][-1]["arr"]) / float(b.rows["contract"][0]["arr"])
        for b in book.values()
        if len(b.rows["contract"]) == 2
    ]
    assert sum(c > 1.1 for c in changes) >= 0.05 * len(changes)
    assert sum(c < 0.95 for c in changes) >= 0.05 * len(changes)


def test_schools_use_less_in_summer(book: dict[str, AccountBundle]) -> None:
    schools = [b for b in book.values() if b.rows["account"][0]["industry"] == "Education"]
    assert schools
    summer: list[int] = []
    spring: list[int] = []
    for bundle in schools:
        for row in bundle.rows["usage_snapshot"]:
            week = row["period_start"].isocalendar().week
            if 28 <= week <= 34:
                summer.append(row["seats_used"])
            elif 14 <= week <= 20:
                spring.append(row["seats_used"])
    assert sum(summer) / len(summer) < 0.85 * sum(spring) / len(spring)


def test_every_state_an_alert_could_see_is_labelled(book: dict[str, AccountBundle]) -> None:
    """Fading, dipping and hand-over states at the as-of date carry a label, so evaluations count them."""
    labelled = {label["scenario"] for b in background(book) for label in b.labels}
    assert {stories.DISENGAGING, stories.DIP_RECOVERED} <= labelled
    for bundle in background(book):
        logins = usage(bundle, "logins")
        if sum(logins[-4:]) < 0.7 * sum(logins[-8:-4]):
            assert bundle.labels, bundle.rows["account"][0]["external_id"]
