"""`watchtower account ACCOUNT`: one screen with everything a CSM needs about one account."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.context import AsOf, CliError, app_context, console, handle_errors
from cli.guards import require_schema
from cli.listing import Format

if TYPE_CHECKING:
    from cli.account_view import AccountView

#: Roles a stakeholder map names first; anyone else with a role follows.
KEY_ROLES = ("champion", "economic_buyer", "executive_sponsor", "sponsor", "decision_maker")
_BAND = {"Green": "green", "Yellow": "yellow", "Orange": "dark_orange", "Red": "red"}


@handle_errors
def account_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id (ACC-00042) or its exact name.")],
    as_of: AsOf = None,
    fmt: Annotated[
        Format, typer.Option("--format", help="table for people; json for programs (csv: use the list commands).")
    ] = Format.table,
) -> None:
    """One account on one screen: health, alerts, people, renewal, plays, tasks, offers, conversations.

    The score with its reasons and what holds it down, open alerts with their numbers, the stakeholder map
    (who left, detractors), the renewal with days to go and the forecast, open plays with their next step,
    open tasks with the overdue flagged, offers with their approval state and the latest conversations."""
    from cli.account_view import AccountNotFound, account_view, find_account
    from core.identity import User

    if fmt is Format.csv:
        raise CliError("--format csv is for lists; one account is --format json or table")
    app = app_context(ctx)
    require_schema(app.engine)
    day = app.as_of(as_of)
    operator = User(id=0, username=app.settings.user or "cli", display_name="command line", email=None, role="admin")
    with app.engine.connect() as conn:
        try:
            ref = find_account(conn, account)
        except AccountNotFound as exc:
            raise CliError(
                str(exc), "find ids with `watchtower export accounts` or `watchtower renewals --format csv`"
            ) from None
        view = account_view(conn, operator, ref, day)
    if fmt is Format.json:
        console.out(json.dumps(view.model_dump(mode="json"), indent=2, ensure_ascii=False), highlight=False)
        return
    show(view)


def _section(title: str) -> None:
    console.print(f"\n[bold]{escape(title)}[/]")


def _grid(columns: int) -> Table:
    """Columns of names, dates and emails that never wrap, and a last column of text that does."""
    grid = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    for _ in range(columns - 1):
        grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def show(view: AccountView) -> None:
    a, card = view.account, view.scorecard
    console.print(
        f"[bold]{escape(a.name)}[/] ({a.external_id}) · {escape(view.segment or 'no segment')} · "
        f"ARR {view.arr or 0:,.0f} · owner {escape(a.owner_csm or 'none')} · {view.status} · as of {view.as_of}",
        highlight=False,
    )
    _section("Health")
    if card.score is None:
        console.print("no scorecard yet: `watchtower score` or `watchtower run`")
    else:
        colour = _BAND.get(card.band or "", "white")
        trend = f"{card.trend:+.1f} points" if card.trend is not None else "no earlier score"
        console.print(
            f"score {card.score:.1f}, [{colour}]{card.band}[/], trend {trend} (scorecard of {card.as_of})",
            highlight=False,
        )
        for reason in card.reasons[:5]:
            console.print(f"  - {escape(reason.text)}", highlight=False)
        drags = sorted((c for c in card.contributions if c.points_lost), key=lambda c: -(c.points_lost or 0))[:5]
        if drags:
            console.print(
                "  holding it down: "
                + ", ".join(f"{escape(c.signal)} -{c.points_lost:.1f}" for c in drags if c.points_lost),
                highlight=False,
            )
    _section(f"Open alerts ({len(view.alerts)})")
    if not view.alerts:
        console.print("none open")
    grid = _grid(4)
    for line in view.alerts:
        x = line.alert
        numbers = ", ".join(f"{k} {_number(v)}" for k, v in list(line.numbers.items())[:4])
        grid.add_row(
            x.severity, escape(x.type), str(x.opened_on), escape(x.title + (f" ({numbers})" if numbers else ""))
        )
    if view.alerts:
        console.print(grid)
    _people(view)
    _renewal(view)
    _plays(view)
    _section(f"Offers ({len(view.offers)})")
    if not view.offers:
        console.print("none")
    for o in view.offers:
        terms = ", ".join(f"{k}={v}" for k, v in o.terms.items())
        waiting = f", waiting for {', '.join(o.waiting_for)}" if o.waiting_for else ""
        console.print(
            f"  offer {o.offer_id} {o.kind} ({escape(terms)}): {o.status}, approval {o.approval_status or 'none'}"
            f"{waiting}; proposed {o.created_on}",
            highlight=False,
        )
    _section("Recent conversations")
    if not view.conversations:
        console.print("none in the last year")
    grid = _grid(3)
    for c in view.conversations:
        grid.add_row(str(c.occurred_on), c.kind + (f" {c.direction}" if c.direction else ""), escape(c.subject or "-"))
    if view.conversations:
        console.print(grid)


def _number(value: object) -> str:
    """Four significant digits: an alert's ratio reads -0.6207, not seventeen decimals."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _people(view: AccountView) -> None:
    people = view.people
    _section(f"People ({len(people)})")
    if not people:
        console.print("no stakeholders known: roles come from imported contacts")
        return
    order = {role: i for i, role in enumerate(KEY_ROLES)}
    ranked = sorted(people, key=lambda p: (p.status != "active", min((order.get(r, 99) for r in p.roles), default=99)))
    grid = _grid(5)
    for p in ranked:
        stance = p.stance or "-"
        if p.status == "departed":
            state = f"[red]left {p.departed_on or ''}[/]"
        elif stance == "detractor":
            state = "[red]detractor[/]"
        else:
            state = escape(stance)
        engaged = f"engaged {p.last_engagement}" if p.last_engagement else ""
        grid.add_row(escape(p.name), escape(", ".join(p.roles) or "-"), state, engaged, escape(p.title or ""))
    console.print(grid)


def _renewal(view: AccountView) -> None:
    _section("Renewal")
    for r in view.renewals:
        days = (r.renewal_on - view.as_of).days
        console.print(
            f"  {r.contract} ends {r.renewal_on} ({days} days to go), ARR {r.arr:,.0f}: forecast "
            f"[bold]{r.category}[/] (p {r.probability:.2f}), timeline {r.timeline.replace('_', ' ')}",
            highlight=False,
        )
    end = view.next_contract_end
    if end is not None:
        console.print(
            f"  {end.contract} ends {end.end_date} ({end.days_to_go} days to go), ARR {end.arr or 0:,.0f}: "
            "no forecast yet (the renewal timeline opens at T-120)",
            highlight=False,
        )
    if not view.renewals and end is None:
        console.print("  no active contract ahead")


def _plays(view: AccountView) -> None:
    _section(f"Open plays ({len(view.plays)})")
    if not view.plays:
        console.print("none")
    tasks = []
    for line in view.plays:
        p = line.play
        nxt = f"next: {line.next_step} due {line.next_step_due}" if line.next_step else "no step ahead"
        console.print(f"  run {p.source.id} {p.play} ({p.status}, since {p.started_on}); {nxt}", highlight=False)
        tasks.extend(p.tasks)
    _section(f"Open tasks ({len(tasks)})")
    if not tasks:
        console.print("none")
        return
    grid = _grid(5)
    for t in sorted(tasks, key=lambda t: t.due_on):
        late = (view.as_of - t.due_on).days
        flag = f"[bold red]OVERDUE {late}d[/]" if late > 0 else ""
        grid.add_row(
            f"task {t.source.id}", f"due {t.due_on}", flag, escape(t.assignee or t.owner_role), escape(t.title)
        )
    console.print(grid)
