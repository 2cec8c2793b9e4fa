"""Generate one account at a time: its contracts, people, usage, tickets, surveys, invoices,
conversations and news, consistent with a hidden health level and any planted scenario.

Each account draws from its own random stream (seed, index), so the output is
deterministic and independent of batch size. Rows are produced in the import
format (external-id references), the same shape a team's own files have.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sources.synthetic import scenarios as sc
from sources.synthetic import stories, text
from sources.synthetic import vocabulary as vocab

Row = dict[str, Any]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class BookSpec:
    accounts: int
    seed: int
    as_of: date
    weeks: int = 78  # 18 months of weekly usage

    @property
    def last_week_start(self) -> date:
        """Monday of the last complete week before ``as_of``."""
        monday = self.as_of - timedelta(days=self.as_of.weekday())
        return monday - timedelta(days=7)


@dataclass
class AccountBundle:
    """Everything generated for one account, by entity name, plus its ground truth."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    labels: list[Row] = field(default_factory=list)
    outcome: Row | None = None

    def add(self, entity: str, row: Row) -> None:
        self.rows.setdefault(entity, []).append(row)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))), tzinfo=UTC)


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT)


def _segment(rng: random.Random) -> tuple[str, float, int]:
    """Segment, ARR and number of products, following the seeds' ARR and product-count rules."""
    r = rng.random()
    if r < 0.6:
        return "Core", rng.uniform(3_000, 14_900), 1
    if r < 0.9:
        return "Growth", rng.uniform(15_000, 49_900), rng.randint(1, 2)
    return "Strategic", rng.uniform(50_000, 400_000), rng.randint(2, 4)


class AccountGenerator:
    def __init__(self, spec: BookSpec) -> None:
        self.spec = spec
        self.assignment = sc.assign(spec.accounts, spec.seed)
        last = spec.last_week_start
        self.week_starts = [last - timedelta(weeks=spec.weeks - 1 - w) for w in range(spec.weeks)]
        self.history_start = self.week_starts[0]
        self.timeline = stories.Timeline(self.week_starts, spec.as_of)
        self.csms = [f"csm{n:02d}@watchtower.example" for n in range(1, max(4, spec.accounts // 60) + 1)]

    # --- one account -----------------------------------------------------------------------
    def account(self, index: int) -> AccountBundle:
        spec = self.spec
        rng = random.Random(spec.seed * 1_000_003 + index)
        scenario = self.assignment.scenario_of.get(index)
        special_text = self.assignment.text_of.get(index)
        lapsed = index in self.assignment.lapsed
        b = AccountBundle()

        segment, arr, n_products = _segment(rng)
        if scenario == sc.USAGE_DECLINE and arr < 6_000:
            arr = rng.uniform(6_000, 14_900)  # the play qualifies accounts above 5k ARR
        if scenario == sc.HEALTHY_CONTROL:
            health = rng.uniform(0.85, 0.97)
        elif scenario in sc.PLANTED:
            health = rng.uniform(0.5, 0.8)
        else:
            health = rng.betavariate(5, 2)

        ext = f"ACC-{index + 1:05d}"
        name = f"{rng.choice(vocab.COMPANY_ROOTS)} {rng.choice(vocab.COMPANY_SUFFIXES)} {index + 1}"
        domain = name.lower().replace(" ", "") + ".example"
        seats = {"Core": rng.randint(5, 25), "Growth": rng.randint(20, 100), "Strategic": rng.randint(80, 500)}[segment]
        api_limit = seats * 2_000
        storage_limit = float(seats * 5)
        customer_since = spec.as_of - timedelta(days=rng.randint(400, 2_000))
        plan = rng.choice(vocab.PLANS[segment])
        industry = rng.choice(vocab.INDUSTRIES)
        gone = spec.as_of - timedelta(days=rng.randint(30, 300)) if lapsed else None
        end = gone or spec.as_of + timedelta(days=rng.randint(1, 365))
        years = 2 if segment == "Strategic" and rng.random() < 0.2 and gone is None else 1
        start = end - timedelta(days=365 * years)
        customer_since = min(customer_since, start - timedelta(days=rng.randint(30, 400)))
        story = stories.draw(
            rng,
            self.timeline,
            health,
            gone=gone,
            last_renewal=start,
            planted=scenario if scenario != sc.HEALTHY_CONTROL else None,
            control=scenario == sc.HEALTHY_CONTROL,
            multi_product=n_products > 1,
        )
        b.add(
            "account",
            {
                "external_id": ext,
                "name": name,
                "segment": segment,
                "industry": industry,
                "country": rng.choice(vocab.COUNTRIES),
                "arr": _money(arr),
                "currency": "USD",
                "plan": plan,
                "plan_limits": {
                    "seats": float(seats),
                    "api_calls_monthly": float(api_limit),
                    "storage_gb": storage_limit,
                },
                "seats_purchased": seats,
                "owner_csm": self.csms[index % len(self.csms)],
                "customer_since": customer_since,
                "status": "churned" if gone else "active",
                "churned_on": gone,
            },
        )
        contracts = self._contracts(
            rng, b, ext, segment, arr, n_products, seats, plan, customer_since, start, end, story
        )
        departments = rng.sample(vocab.DEPARTMENTS, {"Core": 1, "Growth": 2, "Strategic": rng.randint(3, 5)}[segment])
        contacts = self._contacts(rng, b, ext, segment, domain, departments, scenario, story)
        self._usage(rng, b, ext, seats, api_limit, storage_limit, health, scenario, len(departments), industry, story,
                    n_products)  # fmt: skip
        self._tickets(rng, b, ext, segment, story, contacts)
        self._surveys(rng, b, ext, story, contacts, scenario)
        self._invoices(rng, b, ext, contracts, story, scenario)
        self._interactions(rng, b, ext, segment, story, contacts, scenario, special_text, departments)
        self._market(rng, b, ext, name, contacts, scenario, story)
        self._metrics(rng, b, ext, story)
        self._assessment(rng, b, ext, story, scenario)
        self._labels(b, ext, scenario, story)
        if gone is not None:
            self._truncate(b, ext, gone, story)
        else:
            b.outcome = self._outcome(rng, ext, health, scenario, story, contracts[-1]["end_date"])
        return b

    def _truncate(self, b: AccountBundle, ext: str, gone: date, story: stories.Story) -> None:
        """Nothing of a lapsed account is dated on or after the day it left: it is not a customer any more."""
        b.rows["usage_snapshot"] = [r for r in b.rows["usage_snapshot"] if (gone - r["period_start"]).days >= 7]
        dated = {
            "support_ticket": "opened_at", "survey_response": "responded_on", "invoice": "issued_on",
            "interaction": "occurred_at", "account_metric": "date", "csm_assessment": "assessed_on",
            "market_signal": "published_on",
        }  # fmt: skip
        for entity, column in dated.items():
            rows = b.rows.get(entity, [])
            b.rows[entity] = [
                r for r in rows if (r[column].date() if isinstance(r[column], datetime) else r[column]) < gone
            ]
        for ticket in b.rows.get("support_ticket", []):
            if ticket["closed_at"] is None or ticket["closed_at"].date() >= gone:
                ticket.update(status="closed", closed_at=datetime.combine(gone, time(9), tzinfo=UTC))
        for invoice in b.rows.get("invoice", []):
            if invoice["paid_on"] is not None and invoice["paid_on"] >= gone:
                invoice.update(paid_on=gone - timedelta(days=1))
        b.labels.append(
            {
                "account_external_id": ext,
                "scenario": sc.CHURNED,
                "planted_on": gone,
                "kind": sc.KIND[sc.CHURNED],
                "evidence": {
                    "churned_on": gone.isoformat(),
                    "course": story.course,
                    "warning": "none" if story.course == stories.SILENT else stories.WARNINGS[story.course],
                },
            }
        )

    def accounts(self, start: int = 0, stop: int | None = None) -> Iterator[AccountBundle]:
        for index in range(start, self.spec.accounts if stop is None else stop):
            yield self.account(index)

    # --- pieces ----------------------------------------------------------------------------
    def _contracts(
        self,
        rng: random.Random,
        b: AccountBundle,
        ext: str,
        segment: str,
        arr: float,
        n_products: int,
        seats: int,
        plan: str,
        customer_since: date,
        start: date,
        end: date,
        story: stories.Story,
    ) -> list[Row]:
        """The current contract and, for older customers, the one before it: the renewal between them
        expanded or contracted as the story says (a contraction may drop a product)."""
        products = ["Core Platform", *rng.sample(vocab.PRODUCTS[1:], n_products - 1)]
        frequency = {
            "Core": rng.choice(("monthly", "monthly", "annual")),
            "Growth": rng.choice(("quarterly", "annual")),
            "Strategic": "annual",
        }[segment]
        common = {
            "account_external_id": ext,
            "notice_days": {"Core": 30, "Growth": 60, "Strategic": 90}[segment],
            "currency": "USD",
            "plan": plan,
            "billing_frequency": frequency,
        }
        rows: list[Row] = []
        if customer_since < start:
            before = products
            if story.renewal_change < 0.9 and rng.random() < 0.5:
                before = [*products, next(p for p in vocab.PRODUCTS if p not in products)]
            rows.append(
                {
                    **common,
                    "external_id": f"{ext}-C1",
                    "start_date": max(customer_since, start - timedelta(days=365)),
                    "end_date": start - timedelta(days=1),
                    "auto_renew": False,
                    "arr": _money(arr / story.renewal_change),
                    "seats": max(1, round(seats / story.renewal_change)),
                    "products": before,
                    "status": "renewed",
                }
            )
        lapsed = story.gone is not None
        rows.append(
            {
                **common,
                "external_id": f"{ext}-C{len(rows) + 1}",
                "start_date": start,
                "end_date": end,
                "auto_renew": not lapsed and segment == "Core" and rng.random() < 0.7,
                "arr": _money(arr),
                "seats": seats,
                "products": products,
                "status": "churned" if lapsed else "active",
            }
        )
        for row in rows:
            b.add("contract", row)
        return rows

    def _contacts(
        self,
        rng: random.Random,
        b: AccountBundle,
        ext: str,
        segment: str,
        domain: str,
        departments: list[str],
        scenario: str | None,
        story: stories.Story,
    ) -> list[Row]:
        count = {"Core": rng.randint(2, 4), "Growth": rng.randint(4, 7), "Strategic": rng.randint(6, 12)}[segment]
        roles: list[list[str]] = [["champion"]]
        if segment != "Core" or rng.random() < 0.5:
            roles.append(["executive_sponsor"] if segment != "Core" else ["executive_sponsor", "economic_buyer"])
        if segment == "Strategic":
            roles.append(["economic_buyer"])
            roles.append(["admin"])
        while len(roles) < count:
            roles.append(["user"])
        contacts: list[Row] = []
        for n, role in enumerate(roles, start=1):
            department = departments[0] if role[0] in ("champion", "admin") else rng.choice(departments)
            contact = _person(rng, ext, n, domain, rng.choice(vocab.TITLES[role[0]]), department, role)
            if role == ["user"] and rng.random() < 0.04:  # people leave; long ago, and never the champion by chance
                contact["status"] = "departed"
                contact["departed_on"] = self.spec.as_of - timedelta(days=rng.randint(200, 500))
            contacts.append(contact)
        if story.champion_left is not None:
            contacts[0]["status"] = "departed"
            contacts[0]["departed_on"] = story.champion_left
        if story.champion_replaced is not None:
            # Contacts carry no start date, so the successor is on record from the start; what the data
            # shows of the hand-over is the departure, the news and the quiet weeks in between.
            title = rng.choice(vocab.TITLES["champion"])
            contacts.append(_person(rng, ext, len(contacts) + 1, domain, title, departments[0], ["champion"]))
        if scenario == sc.CHAMPION_DEPARTURE:
            contacts[0]["status"] = "departed"
            contacts[0]["departed_on"] = self.spec.as_of - timedelta(days=rng.randint(3, 20))
        if scenario == sc.NEW_DEPARTMENT:
            new_dept = rng.choice([d for d in vocab.DEPARTMENTS if d not in departments])
            for title in ("Head of " + new_dept, "Team Lead"):
                contacts.append(_person(rng, ext, len(contacts) + 1, domain, title, new_dept, ["user"]))
        for contact in contacts:
            b.add("contact", contact)
        return contacts

    def _usage(
        self,
        rng: random.Random,
        b: AccountBundle,
        ext: str,
        seats: int,
        api_limit: int,
        storage_limit: float,
        health: float,
        scenario: str | None,
        n_departments: int,
        industry: str,
        story: stories.Story,
        n_products: int,
    ) -> None:
        weeks = self.spec.weeks
        base = 0.25 + 0.5 * health  # share of seats assigned
        slope = rng.uniform(-0.08, 0.15)
        active_ratio = rng.uniform(0.6, 0.9)
        logins_per_user = rng.uniform(3.0, 7.0)
        feature_order = rng.sample(vocab.FEATURES, len(vocab.FEATURES))
        breadth = max(2, round(len(vocab.FEATURES) * (0.15 + 0.45 * health)))
        storage0 = storage_limit * rng.uniform(0.1, 0.3)
        storage1 = storage0 + storage_limit * rng.uniform(0.05, 0.3)
        power_share = rng.uniform(0.04, 0.09)
        api_share = rng.uniform(0.25, 0.5)
        reference_util = base
        for w, start in enumerate(self.week_starts):
            age = weeks - 1 - w  # 0 = the most recent week
            course = story.usage[w]
            season = _season(industry, start.isocalendar().week)
            # Licences stay assigned while people drift away: seats follow a fade at half its depth,
            # active users and how often they log in follow it fully.
            util = base * (1 + slope * (w - weeks + 1) / 52) * season * (0.5 + 0.5 * course) * rng.uniform(0.95, 1.05)
            util = min(util, 0.78)
            lpu = logins_per_user * (0.6 + 0.4 * min(1.0, course))
            factor = min(1.0, course)
            power_bonus = 0
            departments = n_departments
            seat_cap = int(seats * 0.78)  # background accounts never get near their plan limit
            if age == 6:
                reference_util = util
            if scenario == sc.USAGE_DECLINE and age <= 5:
                # Measured against the account's own level before the fall, not the season,
                # so the planted drop is more than half whatever week the book ends in.
                util = reference_util
                factor = 1 - 0.9 * (6 - age) / 6
            if scenario == sc.APPROACHING_PLAN_LIMITS and age <= 7:
                util = min(0.97, util + (0.9 + rng.uniform(0, 0.06) - util) * (8 - age) / 8)
                seat_cap = seats
            if scenario == sc.POWER_USERS and age <= 3:
                lpu, power_bonus = logins_per_user * 2.2, max(3, round(seats * 0.1))
            if scenario == sc.NEW_DEPARTMENT and age <= 2:
                departments += 1
                util = min(0.78, util * 1.12)
            products = n_products
            if story.product_dropped_on is not None and start >= story.product_dropped_on:
                products -= 1
            seats_used = max(1, min(round(seats * util), seat_cap))
            active_exact = seats_used * active_ratio * factor * rng.uniform(0.95, 1.05)
            active = max(1 if factor > 0.3 else 0, round(active_exact))
            power = round(active_exact * power_share) + power_bonus
            used = max(1, round(breadth * (0.6 + 0.4 * factor) * rng.uniform(0.9, 1.0)))
            features = sorted(feature_order[:used])
            b.add(
                "usage_snapshot",
                {
                    "account_external_id": ext,
                    "period_start": start,
                    "period": "week",
                    "logins": round(active_exact * lpu * rng.uniform(0.9, 1.1)),
                    "active_users": active,
                    "seats_used": seats_used,
                    "features_used": len(features),
                    "features": features,
                    "api_calls": round(api_limit / 4.33 * api_share * factor * rng.uniform(0.9, 1.1)),
                    "storage_gb": round(storage0 + (storage1 - storage0) * w / (weeks - 1), 2),
                    "metrics": {
                        "power_users": float(power),
                        "departments_active": float(departments),
                        "products_active": float(products),
                    },
                },
            )

    def _tickets(
        self, rng: random.Random, b: AccountBundle, ext: str, segment: str, story: stories.Story, contacts: list[Row]
    ) -> None:
        """More tickets when the customer is unhappy, and at the time they are unhappy."""
        mood = story.mood
        rate = {"Core": 3, "Growth": 8, "Strategic": 18}[segment] * (1.6 - sum(mood) / len(mood))
        count = _poisson(rng, rate)
        weights = [1.6 - m for m in mood]
        active = [c for c in contacts if c["status"] == "active"] or contacts
        categories = ("bug", "how-to", "billing", "integration", "performance", "access")
        for n in range(count):
            week = rng.choices(range(len(mood)), weights)[0]
            opened_day = min(
                self.spec.as_of - timedelta(days=1), self.week_starts[week] + timedelta(days=rng.randint(0, 6))
            )
            opened = _at(opened_day, rng)
            priority = rng.choices(("low", "medium", "high", "urgent"), (30, 45, 20, 5))[0]
            recent = (self.spec.as_of - opened_day).days < 10
            status = rng.choice(("open", "pending")) if recent else rng.choice(("solved", "closed"))
            closed = None if recent else opened + timedelta(hours=rng.randint(2, 240))
            satisfaction = None
            if closed is not None and rng.random() < 0.6:
                satisfaction = max(1, min(5, round(1 + 4 * mood[week] + rng.uniform(-1.2, 1.2))))
            category = rng.choice(categories)
            b.add(
                "support_ticket",
                {
                    "external_id": f"{ext}-T{n + 1:03d}",
                    "account_external_id": ext,
                    "contact_external_id": rng.choice(active)["external_id"],
                    "subject": f"{category.title()} question",
                    "category": category,
                    "priority": priority,
                    "status": status,
                    "opened_at": opened,
                    "first_response_minutes": rng.randint(5, 600),
                    "closed_at": closed,
                    "satisfaction": satisfaction,
                    "escalated": rng.random() < 0.05,
                },
            )

    def _surveys(
        self,
        rng: random.Random,
        b: AccountBundle,
        ext: str,
        story: stories.Story,
        contacts: list[Row],
        scenario: str | None,
    ) -> None:
        as_of = self.spec.as_of
        calm = not story.labels and story.gone is None
        days = [as_of - timedelta(days=months_ago * 30 + rng.randint(0, 20)) for months_ago in (15, 9, 3)]
        n = 0
        for day in days:
            mood = story.mood_on(self.timeline.week_of(day))
            for contact in rng.sample(contacts, min(len(contacts), rng.randint(1, 3))):
                if contact["status"] == "departed" and contact["departed_on"] and contact["departed_on"] < day:
                    continue
                score = max(0, min(10, round(3 + 7 * mood + rng.uniform(-2, 2))))
                if scenario == sc.HEALTHY_CONTROL:
                    score = max(score, 9)
                elif calm and (as_of - day).days <= 120:
                    score = max(score, 7)  # a calm account's recent detractors are planted, never accidental
                n += 1
                b.add(
                    "survey_response",
                    {
                        "external_id": f"{ext}-S{n:03d}",
                        "account_external_id": ext,
                        "contact_external_id": contact["external_id"],
                        "survey": "nps",
                        "score": score,
                        "verbatim": text.verbatim(rng, score, None) if rng.random() < 0.7 else None,
                        "responded_on": day,
                    },
                )
        if story.promoter_during:
            # Mixed signals: one enthusiastic user answers while the account as a whole drifts away.
            low = min(range(len(story.usage)), key=lambda w: (story.usage[w] > 0.8, w))
            day = min(as_of - timedelta(days=31), self.week_starts[low] + timedelta(days=rng.randint(0, 6)))
            users = [c for c in contacts if c["roles"] == ["user"] and c["status"] == "active"] or contacts
            score = rng.randint(9, 10)
            n += 1
            b.add(
                "survey_response",
                {
                    "external_id": f"{ext}-S{n:03d}",
                    "account_external_id": ext,
                    "contact_external_id": rng.choice(users)["external_id"],
                    "survey": "nps",
                    "score": score,
                    "verbatim": text.verbatim(rng, score, None),
                    "responded_on": day,
                },
            )
        if scenario == sc.NPS_DETRACTOR:
            n += 1
            who = next(c for c in contacts if "champion" in c["roles"] or "executive_sponsor" in c["roles"])
            theme = rng.choice(text.RISK_THEMES)
            score = rng.randint(0, 6)
            b.add(
                "survey_response",
                {
                    "external_id": f"{ext}-S{n:03d}",
                    "account_external_id": ext,
                    "contact_external_id": who["external_id"],
                    "survey": "nps",
                    "score": score,
                    "verbatim": text.verbatim(rng, score, theme),
                    "responded_on": as_of - timedelta(days=rng.randint(1, 10)),
                },
            )

    def _invoices(
        self,
        rng: random.Random,
        b: AccountBundle,
        ext: str,
        contracts: list[Row],
        story: stories.Story,
        scenario: str | None,
    ) -> None:
        as_of = self.spec.as_of
        late_payer = rng.random() < 0.35 * (1 - story.level) + 0.05
        n = 0
        months = {"monthly": 1, "quarterly": 3, "annual": 12, "multi_year": 12}
        for contract in contracts:
            step = months[contract["billing_frequency"]]
            periods = 12 // step
            amount = _money(float(contract["arr"]) / periods)
            issued = contract["start_date"]
            while issued <= min(as_of, contract["end_date"]):
                if issued >= self.history_start:
                    due = issued + timedelta(days=30)
                    delay = rng.randint(5, 25) if late_payer else rng.randint(-10, 3)
                    slipping = story.late_from is not None and story.late_from <= due
                    if slipping and (story.late_until is None or due <= story.late_until):
                        delay = rng.randint(20, 45)
                    paid: date | None = due + timedelta(days=delay)
                    if story.unpaid_due_on is not None and due >= story.unpaid_due_on:
                        paid = None
                    elif paid is not None and paid > as_of:
                        # Background accounts are never more than a few days overdue: that is planted.
                        paid = None if (as_of - due).days < 5 else as_of - timedelta(days=rng.randint(0, 2))
                    if paid is not None and paid < issued:
                        paid = issued
                    n += 1
                    b.add(
                        "invoice",
                        {
                            "external_id": f"{ext}-I{n:03d}",
                            "account_external_id": ext,
                            "contract_external_id": contract["external_id"],
                            "amount": amount,
                            "currency": "USD",
                            "issued_on": issued,
                            "due_on": due,
                            "paid_on": paid,
                            "amount_paid": amount if paid else None,
                            "status": "paid" if paid else "open",
                        },
                    )
                issued = _add_months(issued, step)
        extra: list[date] = []
        if story.unpaid_due_on is not None:
            extra.append(story.unpaid_due_on)  # a true-up for extra seats, never paid, whatever the billing cycle
        if scenario == sc.OVERDUE_INVOICE:
            extra.append(as_of - timedelta(days=rng.randint(15, 60)))
        for due in extra:
            n += 1
            current = contracts[-1]
            b.add(
                "invoice",
                {
                    "external_id": f"{ext}-I{n:03d}",
                    "account_external_id": ext,
                    "contract_external_id": current["external_id"],
                    "amount": _money(float(current["arr"]) * rng.uniform(0.1, 0.3)),
                    "currency": "USD",
                    "issued_on": due - timedelta(days=30),
                    "due_on": due,
                    "paid_on": None,
                    "amount_paid": None,
                    "status": "open",
                },
            )

    def _interactions(
        self,
        rng: random.Random,
        b: AccountBundle,
        ext: str,
        segment: str,
        story: stories.Story,
        contacts: list[Row],
        scenario: str | None,
        special_text: str | None,
        departments: list[str],
    ) -> None:
        as_of = self.spec.as_of
        csm = b.rows["account"][0]["owner_csm"]
        csm_name = csm.split("@")[0].upper()
        calm = not story.labels and story.gone is None
        items: list[tuple[date, str, str, str | None, list[Row], str | None]] = []

        def present(day: date) -> list[Row]:
            return [c for c in contacts if c["status"] == "active" or (c["departed_on"] and c["departed_on"] > day)]

        # Conversations arrive at the segment's cadence, scaled by how engaged the customer is that week.
        cadence = {"Core": 1 / 14, "Growth": 1 / 8, "Strategic": 1 / 5}[segment]
        for w, week_start in enumerate(self.week_starts):
            for _ in range(_poisson(rng, cadence * story.engagement[w])):
                day = week_start + timedelta(days=rng.randint(0, 6))
                if day >= as_of:
                    continue
                mood = story.mood[w]
                roll = rng.random()
                tone = "positive" if roll < mood * 0.8 else "negative" if roll > 0.85 + 0.15 * mood else "neutral"
                if calm and (as_of - day).days < 60 and tone == "negative" and story.level > 0.45:
                    tone = "neutral"
                if scenario == sc.HEALTHY_CONTROL and tone == "negative":
                    tone = "neutral"  # controls carry no risk signal at all, so any alert on one is a false alarm
                people = present(day)
                if story.engagement[w] < 0.5:
                    people = [c for c in people if "executive_sponsor" not in c["roles"]][:2] or people[:1]
                kind = rng.choice(("call", "email", "email", "meeting"))
                items.append((day, kind, tone, None, rng.sample(people, min(len(people), rng.randint(1, 3))), None))
        if segment == "Strategic":
            sponsor = [c for c in contacts if "executive_sponsor" in c["roles"]]
            for quarter in range(1, 6):
                day = as_of - timedelta(days=quarter * 91 - rng.randint(0, 10))
                w = self.timeline.week_of(day)
                if w < 0 or story.engagement[w] < 0.5:
                    continue  # a customer drifting away stops turning up to reviews
                mood = story.mood[w]
                attendees = [c for c in present(day) if "champion" in c["roles"]][:1] + (
                    sponsor if rng.random() < mood else []
                )
                items.append(
                    (day, "qbr", "positive" if mood > 0.6 else "neutral", None, attendees, "Quarterly business review")
                )
        self._story_conversations(rng, items, story, contacts, present)
        if scenario == sc.NPS_DETRACTOR:
            who = next(c for c in contacts if "champion" in c["roles"] or "executive_sponsor" in c["roles"])
            items.append(
                (
                    as_of - timedelta(days=rng.randint(1, 12)),
                    "email",
                    "negative",
                    rng.choice(text.RISK_THEMES),
                    [who],
                    "Concerns before renewal",
                )
            )
        if scenario == sc.USAGE_DECLINE:
            items.append(
                (
                    as_of - timedelta(days=rng.randint(3, 20)),
                    "call",
                    "negative",
                    rng.choice(("features", "budget", "competitor")),
                    contacts[:2],
                    "Check-in",
                )
            )
        if scenario == sc.CHAMPION_DEPARTURE:
            champ = contacts[0]
            farewell = (
                f"{champ['name']} here: I wanted to let you know I am leaving the company at the end of the month."
            )
            day = champ["departed_on"] - timedelta(days=rng.randint(3, 10))
            items.append((day, "email", "neutral", None, [champ], farewell))
        if scenario == sc.NEW_DEPARTMENT:
            new_people = [c for c in contacts if c["department"] not in departments]
            items.append(
                (
                    as_of - timedelta(days=rng.randint(3, 18)),
                    "meeting",
                    "positive",
                    None,
                    new_people,
                    f"Kickoff with the {new_people[0]['department']} team",
                )
            )
        if special_text is not None:
            extra = rng.choice(text.MANIPULATIVE if special_text == sc.INJECTION_ATTEMPT else text.HOSTILE)
            items.append(
                (
                    as_of - timedelta(days=rng.randint(5, 40)),
                    rng.choice(("email", "call")),
                    "neutral",
                    None,
                    contacts[:1],
                    extra,
                )
            )

        items.sort(key=lambda item: item[0])
        for n, (day, kind, tone, theme, attendees, extra) in enumerate(items, start=1):
            people = list({p["external_id"]: p for p in attendees}.values())
            names = [p["name"] for p in people] or ["Customer"]
            subject = (
                extra
                if kind in ("qbr", "meeting") or (extra and len(extra) < 40)
                else f"{kind.title()} with {names[0]}"
            )
            body_extra = None if kind in ("qbr", "meeting") and extra and len(extra) < 60 else extra
            if kind == "email":
                body = text.email_body(rng, csm_name, names[0], tone, theme, body_extra)
            else:
                body = text.transcript(rng, csm_name, names, tone, theme, body_extra)
            row = {
                "external_id": f"{ext}-X{n:03d}",
                "account_external_id": ext,
                "kind": kind,
                "occurred_at": _at(day, rng),
                "direction": "inbound"
                if kind == "email" and (_customer_wrote(extra, theme) or rng.random() < 0.5)
                else "outbound",
                "subject": subject,
                "body": body,
                "participants": sorted(p["external_id"] for p in people),
                "internal_participants": [csm],
            }
            b.add("interaction", row)
            if special_text is not None and extra in (*text.MANIPULATIVE, *text.HOSTILE):
                b.labels.append(
                    {
                        "account_external_id": ext,
                        "scenario": special_text,
                        "planted_on": day,
                        "kind": sc.KIND[special_text],
                        "evidence": {"interaction": row["external_id"], "text": extra},
                    }
                )

    def _story_conversations(
        self,
        rng: random.Random,
        items: list[tuple[date, str, str, str | None, list[Row], str | None]],
        story: stories.Story,
        contacts: list[Row],
        present: Callable[[date], list[Row]],
    ) -> None:
        """The conversations a course's events leave behind: a farewell, a competitor call, a stated
        decision not to renew, a save meeting, a budget email."""
        as_of = self.spec.as_of
        champ = contacts[0]
        buyer = next((c for c in contacts if "economic_buyer" in c["roles"]), champ)

        def add(day: date, kind: str, tone: str, theme: str | None, people: list[Row], extra: str | None) -> None:
            if day < as_of and day >= self.history_start:
                items.append((day, kind, tone, theme, people, extra))

        if story.champion_left is not None:
            farewell = f"{champ['name']} here: I am leaving the company at the end of the month. Thanks for everything."
            add(story.champion_left - timedelta(days=rng.randint(3, 10)), "email", "neutral", None, [champ], farewell)
        if story.champion_replaced is not None:
            successor = next(c for c in reversed(contacts) if "champion" in c["roles"] and c["status"] == "active")
            add(story.champion_replaced, "meeting", "positive", None, [successor], "Introduction to the new owner")
        if story.competitor_on is not None:
            people = [p for p in (champ, buyer) if p in present(story.competitor_on)] or present(story.competitor_on)[
                :1
            ]
            add(story.competitor_on, "call", "negative", "competitor", people, "Renewal planning")
        if story.cancel_intent_on is not None:
            people = [buyer] if buyer in present(story.cancel_intent_on) else present(story.cancel_intent_on)[:1]
            add(story.cancel_intent_on, "email", "negative", "competitor", people, rng.choice(text.CANCEL_INTENT))
        if story.dip_on is not None and story.save_on is not None:
            add(story.dip_on + timedelta(days=rng.randint(3, 10)), "call", "negative",
                rng.choice(("features", "support")), present(story.dip_on)[:2], "Check-in")  # fmt: skip
            add(story.save_on, "meeting", "neutral", None, present(story.save_on)[:2], "Recovery plan")
        if story.unpaid_due_on is not None:
            day = story.unpaid_due_on + timedelta(days=rng.randint(10, 30))
            add(day, "email", "negative", "budget", [buyer] if buyer in present(day) else present(day)[:1], None)

    def _market(
        self,
        rng: random.Random,
        b: AccountBundle,
        ext: str,
        name: str,
        contacts: list[Row],
        scenario: str | None,
        story: stories.Story,
    ) -> None:
        as_of = self.spec.as_of
        n = 0
        if rng.random() < 0.15:
            n += 1
            kind = rng.choice(("news", "funding", "acquisition", "news"))
            title = {
                "news": f"{name} opens a new office",
                "funding": f"{name} raises a new funding round",
                "acquisition": f"{name} acquires a smaller competitor",
            }[kind]
            matched = rng.random() < 0.8
            b.add(
                "market_signal",
                {
                    "external_id": f"{ext}-M{n:02d}",
                    "account_external_id": ext if matched else None,
                    "contact_external_id": None,
                    "kind": kind,
                    "title": title,
                    "body": f"{title}, according to a press release.",
                    "source_url": f"https://news.example/{ext.lower()}/{n}",
                    "published_on": as_of - timedelta(days=rng.randint(5, 180)),
                    "company_name": name,
                    "person_name": None,
                },
            )
        if story.acquired_on is not None:
            n += 1
            buyer = rng.choice(vocab.NEW_COMPANIES)
            title = f"{buyer} to acquire {name}"
            b.add(
                "market_signal",
                {
                    "external_id": f"{ext}-M{n:02d}",
                    "account_external_id": ext,
                    "contact_external_id": None,
                    "kind": "acquisition",
                    "title": title,
                    "body": f"{title}; the deal is expected to close next quarter.",
                    "source_url": f"https://news.example/{ext.lower()}/{n}",
                    "published_on": story.acquired_on,
                    "company_name": name,
                    "person_name": None,
                },
            )
        departed = story.champion_left or (contacts[0]["departed_on"] if scenario == sc.CHAMPION_DEPARTURE else None)
        if departed is not None:
            champ = contacts[0]
            n += 1
            company = rng.choice(vocab.NEW_COMPANIES)
            late = 5 if scenario == sc.CHAMPION_DEPARTURE else 30
            b.add(
                "market_signal",
                {
                    "external_id": f"{ext}-M{n:02d}",
                    "account_external_id": ext,
                    "contact_external_id": champ["external_id"],
                    "kind": "job_change",
                    "title": f"{champ['name']} joins {company} as Head of Operations",
                    "body": f"{champ['name']}, previously {champ['title']} at {name}, has joined {company}.",
                    "source_url": f"https://jobs.example/{ext.lower()}/{n}",
                    "published_on": min(as_of, departed + timedelta(days=rng.randint(0, late))),
                    "company_name": name,
                    "person_name": champ["name"],
                },
            )

    def _metrics(self, rng: random.Random, b: AccountBundle, ext: str, story: stories.Story) -> None:
        """A business-outcome metric the product does not know natively, to exercise account_metric."""
        day = self.spec.as_of.replace(day=1)
        for _ in range(18):
            day = _add_months(day, -1)
            w = self.timeline.week_of(day)
            value = 400 * story.mood_on(w) * min(1.0, story.usage[max(0, min(w, len(story.usage) - 1))])
            b.add(
                "account_metric",
                {
                    "account_external_id": ext,
                    "date": day,
                    "name": "roi_hours_saved",
                    "value": round(max(0.0, value + rng.uniform(-60, 60)), 1),
                },
            )

    def _assessment(
        self, rng: random.Random, b: AccountBundle, ext: str, story: stories.Story, scenario: str | None
    ) -> None:
        """Some CSMs record their own call; most agree with the data, some are optimistic (the classic blind spot)."""
        if rng.random() >= 0.2:
            return
        bands = ("Green", "Yellow", "Orange", "Red")
        assessed = self.spec.as_of - timedelta(days=rng.randint(1, 45))
        health = story.mood_on(self.timeline.week_of(assessed))
        rank = 0 if health > 0.75 else 1 if health > 0.6 else 2 if health > 0.45 else 3
        if scenario in (sc.USAGE_DECLINE, sc.NPS_DETRACTOR, sc.CHAMPION_DEPARTURE) or rng.random() < 0.25:
            rank = max(0, rank - 1)
        b.add(
            "csm_assessment",
            {
                "account_external_id": ext,
                "assessed_on": assessed,
                "band": bands[rank],
                "note": "Quarterly health review",
                "assessed_by": b.rows["account"][0]["owner_csm"],
            },
        )

    def _labels(self, b: AccountBundle, ext: str, scenario: str | None, story: stories.Story) -> None:
        for label in story.labels:
            b.labels.append({"account_external_id": ext, **label})
        if scenario is None:
            return
        account = b.rows["account"][0]
        detail: dict[str, Any] = {"segment": account["segment"], "arr": str(account["arr"])}
        if scenario == sc.CHAMPION_DEPARTURE:
            champ = b.rows["contact"][0]
            detail.update(contact=champ["external_id"], departed_on=champ["departed_on"].isoformat())
        if scenario == sc.OVERDUE_INVOICE:
            inv = b.rows["invoice"][-1]
            detail.update(invoice=inv["external_id"], days_overdue=(self.spec.as_of - inv["due_on"]).days)
        if scenario == sc.NPS_DETRACTOR:
            response = b.rows["survey_response"][-1]
            detail.update(survey_response=response["external_id"], score=response["score"])
        b.labels.insert(
            0,
            {
                "account_external_id": ext,
                "scenario": scenario,
                "planted_on": self.spec.as_of,
                "kind": sc.KIND[scenario],
                "evidence": detail,
            },
        )

    def _outcome(
        self,
        rng: random.Random,
        ext: str,
        health: float,
        scenario: str | None,
        story: stories.Story,
        renewal: date,
    ) -> Row:
        """Whether the account churns at its next renewal: the label calibration learns from. The course
        decides most of it; a steady account's own level decides the rest."""
        bump = {
            sc.USAGE_DECLINE: 1.8,
            sc.NPS_DETRACTOR: 1.2,
            sc.CHAMPION_DEPARTURE: 1.0,
            sc.OVERDUE_INVOICE: 0.8,
            sc.POWER_USERS: -0.8,
            sc.NEW_DEPARTMENT: -0.8,
            sc.APPROACHING_PLAN_LIMITS: -0.5,
            sc.HEALTHY_CONTROL: -1.0,
        }
        base = stories.OUTCOME_LOGIT.get(story.course, -2.4 + 5.0 * (0.65 - health))
        logit = base + bump.get(scenario or "", 0.0)
        churned = rng.random() < 1 / (1 + math.exp(-logit))
        return {"account_external_id": ext, "churned": int(churned), "renewal_date": renewal}


def _customer_wrote(extra: str | None, theme: str | None) -> bool:
    """A goodbye, a decision not to renew and a budget complaint come from the customer, never from us."""
    return extra in text.CANCEL_INTENT or theme == "budget" or bool(extra and "I am leaving the company" in extra)


def _season(industry: str, week_of_year: int) -> float:
    """Schools empty in summer and over the holidays; retail peaks before them; everyone slows at year end."""
    if industry == "Education":
        return 0.65 if 27 <= week_of_year <= 35 else 0.75 if week_of_year in (1, 51, 52) else 1.0
    if industry == "Retail":
        return 1.08 if 45 <= week_of_year <= 50 else 0.85 if week_of_year in (1, 2) else 1.0
    return 0.8 if week_of_year in (1, 51, 52) else 0.9 if 31 <= week_of_year <= 35 else 1.0


def _person(
    rng: random.Random, ext: str, number: int, domain: str, title: str, department: str, roles: list[str]
) -> Row:
    first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
    return {
        "external_id": f"{ext}-P{number:02d}",
        "account_external_id": ext,
        "name": f"{first} {last}",
        "email": f"{first}.{last}@{domain}".lower().replace(" ", ""),
        "title": title,
        "department": department,
        "roles": roles,
        "status": "active",
        "departed_on": None,
    }


def _poisson(rng: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= threshold:
            return k
        k += 1


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))
