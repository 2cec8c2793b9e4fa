"""`watchtower users`, `tokens`, `approvals`, `offers` and `web`: the people, the queue and the web app."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select, update

from actions.outbox import deliver_notice
from actions.settlement_notices import notify_settled
from agents.configuration import AGENTS
from approvals.decisions import DecisionError, decide
from approvals.escalation import escalate_overdue
from approvals.policy import ApprovalPolicy, load_policy
from approvals.queue import ACCOUNT, Actor, OfferError, submit
from approvals.terms import ROUTING_FACTS, OfferKind
from approvals.views import approval_detail, list_approvals
from cli.context import AppContext, CliError, app_context, console, err_console, handle_errors
from cli.guards import require_schema
from cli.listing import Column, Format, FormatOption, Listing, emit, page
from cli.owner import AccountOption, LimitOption, MineOption, OwnerOption, for_owner, list_context
from core.config_errors import ConfigError
from core.identity import ROLES, USER, IdentityError, User, add_user, create_token, find_user, hash_password, list_users
from core.user_admin import NotFound, deactivate, list_tokens, revoke

users_app = typer.Typer(help="People who sign in and decide: one role each.", no_args_is_help=True)
tokens_app = typer.Typer(help="API bearer tokens (stored hashed; shown once).", no_args_is_help=True)
approvals_app = typer.Typer(help="The approvals queue: list, show, decide, escalate, resume.", no_args_is_help=True)
offers_app = typer.Typer(help="Propose offers into the approvals queue.", no_args_is_help=True)
PolicyPath = Annotated[
    Path | None, typer.Option("--policy", help="Approval policy YAML; default the team's (`watchtower config`).")
]
DEMO_USERS = {
    "csm": ("csm01", "csm01@watchtower.example", "Casey (CSM)"),
    "cs_manager": ("manager", "cs-managers@watchtower.example", "Morgan (CS manager)"),
    "ae": ("ae", "account-executives@watchtower.example", "Alex (AE)"),
    "finance": ("finance", "finance@watchtower.example", "Frankie (finance)"),
    "legal": ("legal", "legal@watchtower.example", "Lee (legal)"),
    "cro": ("cro", "cro@watchtower.example", "Robin (CRO)"),
    "admin": ("admin", "admin@watchtower.example", "Ari (admin)"),
}


def _policy(path: Path | None) -> ApprovalPolicy:
    try:
        return load_policy(path)
    except ConfigError as exc:
        raise CliError(str(exc), "fix the policy file and run again") from None


def _now() -> datetime:
    return datetime.now(UTC)


def _person(app: AppContext, username: str) -> User:
    with app.engine.connect() as conn:
        user = find_user(conn, username)
    if user is None:
        raise CliError(f"no active user {username!r}", "list them with `watchtower users list`")
    return user


# --- users and tokens ----------------------------------------------------------------------------


@users_app.command("add")
@handle_errors
def users_add(
    ctx: typer.Context,
    username: str,
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    email: Annotated[str | None, typer.Option("--email", help="A CSM's email is their owner_csm on accounts.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    password: Annotated[
        bool, typer.Option("--password", help="Prompt for a web password (without it the user has API tokens only).")
    ] = False,
) -> None:
    """Add a person with one role."""
    app = app_context(ctx)
    require_schema(app.engine)
    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    try:
        with app.engine.begin() as conn:
            user = add_user(
                conn, username=username, role=role, email=email, display_name=name, password=secret, now=_now()
            )
    except IdentityError as exc:
        raise CliError(str(exc)) from None
    console.print(f"user {escape(user.username)} added as {user.role}")


@users_app.command("list")
@handle_errors
def users_list(ctx: typer.Context) -> None:
    app = app_context(ctx)
    require_schema(app.engine)
    table = Table("username", "role", "name", "email", "active")
    with app.engine.connect() as conn:
        for user, active in list_users(conn):
            table.add_row(
                user.username, user.role, escape(user.display_name), user.email or "", "yes" if active else "no"
            )
    console.print(table)


@users_app.command("demo")
@handle_errors
def users_demo(ctx: typer.Context) -> None:
    """One demo user per role, each with a fresh password printed here (run again to reset them)."""
    app = app_context(ctx)
    require_schema(app.engine)
    table = Table("role", "username", "password", title="Demo logins (watchtower web, then http://127.0.0.1:8000)")
    with app.engine.begin() as conn:
        for role, (username, email, name) in DEMO_USERS.items():
            password = secrets.token_urlsafe(9)
            if find_user(conn, username) is None:
                add_user(
                    conn, username=username, role=role, email=email, display_name=name, password=password, now=_now()
                )
            else:
                conn.execute(
                    update(USER).where(USER.c.username == username).values(password_hash=hash_password(password))
                )
            table.add_row(role, username, password)
    console.print(table)


@tokens_app.command("create")
@handle_errors
def tokens_create(
    ctx: typer.Context,
    username: str,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "cli",
    expires_days: Annotated[int | None, typer.Option("--expires-days", min=1)] = None,
) -> None:
    """Create an API token for a user; it is printed once and stored only as a hash."""
    app = app_context(ctx)
    require_schema(app.engine)
    user = _person(app, username)
    with app.engine.begin() as conn:
        token, token_id = create_token(conn, user, name=name, now=_now(), expires_days=expires_days)
    console.print(f"token {token_id} for {escape(user.username)} ({user.role}); it is not shown again:")
    typer.echo(token)


@tokens_app.command("list")
@handle_errors
def tokens_list(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
) -> None:
    """Tokens by id and prefix (the token itself is never stored), to find the one to revoke."""
    app = app_context(ctx)
    require_schema(app.engine)
    table = Table()
    for column in ("id", "user", "name", "prefix", "created", "last used", "expires", "revoked"):
        table.add_column(column, no_wrap=column in ("id", "prefix"))
    with app.engine.connect() as conn:
        for t in list_tokens(conn, username=username):
            table.add_row(
                str(t.id),
                t.username,
                escape(t.name),
                t.prefix,
                f"{t.created_at:%Y-%m-%d}",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "",
                f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "",
            )
    console.print(table)


@tokens_app.command("revoke")
@handle_errors
def tokens_revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (`watchtower tokens list`).")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the audit trail.")] = None,
) -> None:
    """Revoke one API token: its next request is refused with 401. Audited."""
    app = app_context(ctx)
    require_schema(app.engine)
    try:
        with app.engine.begin() as conn:
            done = revoke(conn, token_id, now=_now(), by="cli", reason=reason)
    except NotFound as exc:
        raise CliError(str(exc), "list them with `watchtower tokens list`") from None
    if not done.changed:
        raise CliError(f"token {token_id} was already revoked at {done.revoked_at:%Y-%m-%d %H:%M}")
    console.print(f"token {token_id} revoked")


@users_app.command("deactivate")
@handle_errors
def users_deactivate(
    ctx: typer.Context,
    username: str,
    reason: Annotated[str | None, typer.Option("--reason", help="Why, for the audit trail.")] = None,
) -> None:
    """Deactivate a person: their tokens are revoked and their web sessions end at once. Audited."""
    app = app_context(ctx)
    require_schema(app.engine)
    try:
        with app.engine.begin() as conn:
            done = deactivate(conn, username, now=_now(), by="cli", reason=reason)
    except NotFound as exc:
        raise CliError(str(exc), "list them with `watchtower users list`") from None
    if not done.changed:
        console.print(f"{escape(username)} was already inactive")
        return
    console.print(
        f"{escape(username)} deactivated: {done.tokens_revoked} token(s) revoked, "
        f"{done.sessions_ended} web session(s) ended"
    )


# --- the queue -------------------------------------------------------------------------------------


@approvals_app.command("list")
@handle_errors
def approvals_list(
    ctx: typer.Context,
    as_user: Annotated[str, typer.Option("--as", help="See the queue as this user (a CSM sees their accounts).")],
    status: Annotated[str | None, typer.Option("--status", help="pending, approved or rejected.")] = "pending",
    role: Annotated[str | None, typer.Option("--role", help="Only what this role may decide now.")] = None,
    owner: OwnerOption = None,
    mine: MineOption = False,
    limit: LimitOption = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """The approvals queue as one person sees it, soonest SLA first."""
    app, who = list_context(ctx, owner, mine)
    user = _person(app, as_user)
    with app.engine.connect() as conn:
        items, total = list_approvals(conn, user, status=status, role=role, owner=who, limit=limit)
    rows = [
        {
            "id": a["id"],
            "account": a["account"]["external_id"],
            "name": a["account"]["name"],
            "kind": a["kind"],
            "concession": concession_text(a["concession"]) or None,
            "arr_impact": float(a["arr_impact"]) if a["arr_impact"] is not None else None,
            "band": (a["health"] or {}).get("band"),
            "waiting_for": [w["group"] for w in a["waiting_for"]],
            "status": a["status"],
        }
        for a in items
    ]
    listing = Listing(
        title="",
        columns=[
            Column("id", kind="number"),
            Column("account"),
            Column("name", kind="text"),
            Column("kind"),
            Column("concession"),
            Column("arr_impact", "ARR impact", kind="number", droppable=1),
            Column("band", droppable=1),
            Column("waiting_for", "waiting for"),
            Column("status", droppable=2),
        ],
        rows=rows,
        total=total,
        empty=f"no {status + ' ' if status else ''}approvals"
        + (f" for {role}" if role else "")
        + f" that {as_user} can see"
        + for_owner(who),
    )
    emit(listing, fmt, console, err_console)


@approvals_app.command("show")
@handle_errors
def approvals_show(
    ctx: typer.Context, approval_id: int, as_user: Annotated[str, typer.Option("--as", help="As this user.")]
) -> None:
    app = app_context(ctx)
    require_schema(app.engine)
    with app.engine.connect() as conn:
        found = approval_detail(conn, _person(app, as_user), approval_id)
    if found is None:
        raise CliError(f"no approval {approval_id} that {as_user} can see")
    typer.echo(json.dumps(found, indent=2, default=str))


def concession_text(concession: dict[str, Any] | None) -> str:
    """``12.0% (2,400.00)``: what the offer gives away, as it was priced and routed."""
    if not concession or not Decimal(concession["pct"]):
        return ""
    pct = f"{Decimal(concession['pct']):.1f}%"
    return pct if concession["amount"] is None else f"{pct} ({Decimal(concession['amount']):,.2f})"


def _term_values(pairs: list[str]) -> dict[str, Any]:
    terms: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise CliError(f"--term {pair!r}: write it as name=value", "e.g. --term discount_pct=12")
        try:
            terms[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            terms[key.strip()] = raw
    return terms


@approvals_app.command("decide")
@handle_errors
def approvals_decide(
    ctx: typer.Context,
    approval_id: int,
    as_user: Annotated[str, typer.Option("--as", help="Who decides.")],
    decision: Annotated[str, typer.Option("--decision", help="approve, edit or reject.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")],
    term: Annotated[list[str] | None, typer.Option("--term", help="With edit: name=value, repeatable.")] = None,
    policy_path: PolicyPath = None,
) -> None:
    """Decide as a person; a decision that settles the offer resumes the agent run waiting on it."""
    from agents.resume import resume_settled

    app = app_context(ctx)
    require_schema(app.engine)
    policy = _policy(policy_path)
    user = _person(app, as_user)
    value: dict[str, Any] = {"decision": decision, "reason": reason}
    if term:
        value["terms"] = _term_values(term)
    now = _now()
    try:
        with app.engine.begin() as conn:
            outcome = decide(
                conn, policy, approval_id, Actor(user.username, "person", user.role, user.id), value, now=now
            )
            if outcome.settled:
                notify_settled(conn, approval_id, now=now)
    except DecisionError as exc:
        raise CliError(str(exc)) from None
    console.print(escape(outcome.message))
    if outcome.settled:
        for resumed in resume_settled(
            app.engine, app.settings.database_url, policy, now=now, approval_ids=[approval_id]
        ):
            console.print(f"resumed the agent run waiting on approval {resumed}")


@approvals_app.command("escalate")
@handle_errors
def approvals_escalate(ctx: typer.Context, policy_path: PolicyPath = None) -> None:
    """Escalate every group past its SLA (the scheduler does this every tick)."""
    app = app_context(ctx)
    require_schema(app.engine)
    for item in escalate_overdue(app.engine, _policy(policy_path), now=_now(), deliver=deliver_notice):
        console.print(f"approval {item.approval_id}: {item.group} escalated to {item.to_role or '(reminder only)'}")


@approvals_app.command("resume")
@handle_errors
def approvals_resume(ctx: typer.Context, policy_path: PolicyPath = None) -> None:
    """Resume agent runs whose offers are settled but not yet resumed (after a crash, say)."""
    from agents.resume import resume_settled

    app = app_context(ctx)
    require_schema(app.engine)
    resumed = resume_settled(app.engine, app.settings.database_url, _policy(policy_path), now=_now())
    console.print(f"{len(resumed)} run(s) resumed")


@approvals_app.command("facts")
def approvals_facts() -> None:
    """The facts approval rules can read."""
    table = Table("fact", "meaning")
    for name, meaning in ROUTING_FACTS.items():
        table.add_row(name, meaning)
    console.print(table)


@approvals_app.command("check")
@handle_errors
def approvals_check(policy_path: PolicyPath = None) -> None:
    """Validate the approval policy file."""
    policy = _policy(policy_path)
    console.print(f"[green]{policy.version}[/]: {len(policy.rules)} rules")


# --- offers ------------------------------------------------------------------------------------------


@offers_app.command("list")
@handle_errors
def offers_list(
    ctx: typer.Context,
    status: Annotated[str, typer.Option("--status", help="proposed, approved, rejected or all.")] = "all",
    account: AccountOption = None,
    owner: OwnerOption = None,
    mine: MineOption = False,
    limit: LimitOption = 50,
    fmt: FormatOption = Format.table,
) -> None:
    """Offers, newest first, with their concession and where their approval stands."""
    from approvals.views import waiting_for
    from core.models import Account, Approval, Offer

    app, who = list_context(ctx, owner, mine)
    query = (
        select(
            Offer.id.label("offer"),
            Account.external_id.label("account"),
            Account.owner_csm.label("owner"),
            Offer.kind,
            Offer.concession,
            Offer.status,
            Approval.status.label("approval"),
            Approval.groups,
            Offer.requester,
            Offer.created_on,
        )
        .join(Account, Account.id == Offer.account_id)
        .outerjoin(Approval, Approval.offer_id == Offer.id)
    )
    if status != "all":
        query = query.where(Offer.status == status)
    if account:
        query = query.where(Account.external_id == account)
    if who:
        query = query.where(Account.owner_csm == who)
    with app.engine.connect() as conn:
        found, total = page(conn, query.order_by(Offer.created_on.desc(), Offer.id.desc()), limit)
    rows = [
        {
            **{k: v for k, v in r.items() if k not in ("groups", "concession")},
            "concession": concession_text(r["concession"]) or None,
            "waiting_for": [w["group"] for w in waiting_for(r["groups"] or [])] if r["approval"] == "pending" else [],
        }
        for r in found
    ]
    listing = Listing(
        title="",
        columns=[
            Column("offer", kind="number"),
            Column("account"),
            Column("owner", droppable=2),
            Column("kind"),
            Column("concession"),
            Column("status"),
            Column("approval"),
            Column("waiting_for", "waiting for"),
            Column("requester", droppable=2),
            Column("created_on", "proposed", droppable=1),
        ],
        rows=rows,
        total=total,
        empty=f"no {'' if status == 'all' else status + ' '}offers"
        + (f" on {account}" if account else "")
        + for_owner(who),
    )
    emit(listing, fmt, console, err_console)


@offers_app.command("propose")
@handle_errors
def offers_propose(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="The account's external id.")],
    kind: Annotated[str, typer.Option("--kind", help=", ".join(OfferKind.__args__))],  # type: ignore[attr-defined]
    rationale: Annotated[str, typer.Option("--rationale", help="Why the offer is worth making.")],
    term: Annotated[list[str] | None, typer.Option("--term", help="name=value, repeatable.")] = None,
    evidence: Annotated[list[str] | None, typer.Option("--evidence", help="A reference, repeatable.")] = None,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Propose as this person; with --agent, the person who launches the agent run."),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent",
            help="Propose as this agent: the run pauses until people decide. Whoever launches it (--as USER, "
            "else the job `job:cli`) cannot decide on its offer.",
        ),
    ] = None,
    policy_path: PolicyPath = None,
) -> None:
    """Propose an offer: it is priced, routed by the policy and waits in the approvals queue."""
    from agents.resume import start_offer_run

    app = app_context(ctx)
    require_schema(app.engine)
    if as_user is None and agent is None:
        raise CliError("say who proposes: --as USER or --agent NAME")
    if agent is not None and agent not in AGENTS:
        raise CliError(f"--agent: unknown agent {agent!r}", f"one of {', '.join(AGENTS)}")
    if kind not in OfferKind.__args__:  # type: ignore[attr-defined]
        raise CliError(f"--kind: {kind!r} is not one of {', '.join(OfferKind.__args__)}")  # type: ignore[attr-defined]
    policy = _policy(policy_path)
    terms = _term_values(term or [])
    with app.engine.connect() as conn:
        account_id = conn.execute(select(ACCOUNT.c.id).where(ACCOUNT.c.external_id == account)).scalar()
    if account_id is None:
        raise CliError(f"no account {account!r}")
    try:
        if agent is not None:
            launcher = _person(app, as_user).username if as_user is not None else "job:cli"
            paused = start_offer_run(
                app.engine,
                app.settings.database_url,
                policy,
                {
                    "account_id": account_id,
                    "kind": kind,
                    "terms": terms,
                    "rationale": rationale,
                    "evidence": evidence or [],
                    "agent": agent,
                    "launched_by": launcher,
                },
            )
            console.print(
                f"offer {paused.offer_id}: approval {paused.approval_id} {paused.status}; "
                f"the {agent} run {paused.thread_id} waits for the decision"
            )
            return
        user = _person(app, as_user or "")
        with app.engine.begin() as conn:
            done = submit(
                conn,
                policy,
                account_id=account_id,
                kind=kind,
                terms=terms,
                requester=Actor(user.username, "person", user.role, user.id),
                rationale=rationale,
                evidence=evidence or [],
                now=_now(),
            )
    except OfferError as exc:
        raise CliError(str(exc)) from None
    console.print(f"offer {done.offer_id}: approval {done.approval_id} {done.status}: {escape(done.message)}")


def web_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    policy_path: PolicyPath = None,
) -> None:
    """Serve the JSON API, POST /events and the web pages (approvals queue, outbox). Session cookies are Secure
    unless WATCHTOWER_COOKIE_SECURE=false; browsers keep them on http://127.0.0.1 and http://localhost too."""
    import uvicorn

    from api.app import create_app
    from api.cookies import cookie_security

    app = app_context(ctx)
    require_schema(app.engine)
    secure, note = cookie_security(app.settings.cookie_secure)
    if note:
        console.print(f"[yellow]note:[/] {escape(note)}")
    settings = app.settings.model_copy(update={"cookie_secure": secure})
    web = create_app(settings, engine=app.engine, policy=_policy(policy_path))
    uvicorn.run(web, host=host, port=port, log_level="warning")
