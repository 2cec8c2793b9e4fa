"""`watchtower brief`: the weekly briefing for leadership or one CSM, stored, sent and printed or written."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.context import CliError, app_context, console, handle_errors, parse_date
from cli.guards import require_schema


class Format(StrEnum):
    md = "md"
    html = "html"
    json = "json"


@handle_errors
def brief_command(
    ctx: typer.Context,
    audience: Annotated[
        str, typer.Option("--audience", help="leadership, or csm:EMAIL for one CSM's book.", show_default=True)
    ] = "leadership",
    as_of: Annotated[str | None, typer.Option("--as-of", help="The week's date (YYYY-MM-DD); default today.")] = None,
    output_format: Annotated[Format, typer.Option("--format", help="md, html or json (the facts and the texts).")] = (
        Format.md
    ),
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of the terminal.")] = None,
    send: Annotated[
        bool, typer.Option("--send/--no-send", help="Queue the email and the Slack message in the outbox.")
    ] = True,
) -> None:
    """Produce the weekly briefing: renewals and their forecast, health and movers, alerts, plays, approvals and
    expansion, with what changed since the week before. Producing a week again replaces its briefing; its
    messages are queued once. With a model configured the summary is the model's, checked against the facts."""
    import json

    from agents.briefing.service import Briefer
    from playbooks.briefing_facts import owner_of

    app = app_context(ctx)
    require_schema(app.engine)
    try:
        owner_of(audience)
    except ValueError as exc:
        raise CliError(
            f"--audience: {exc}", "for example --audience leadership or --audience csm:dana@co.example"
        ) from None
    day = parse_date(as_of, option="--as-of") or app.today()
    try:
        result = Briefer.from_settings(app.engine, app.settings).produce(
            audience=audience, as_of=day, now=datetime.now(UTC), deliver=send
        )
    except ValueError as exc:  # a CSM with no book that day, a metric the book cannot give
        raise CliError(f"--audience {audience}: {exc}", "`watchtower summary` lists the book and its CSMs") from None
    if output_format is Format.json:
        text = json.dumps(
            {
                "briefing_id": result["briefing_id"],
                "audience": audience,
                "as_of": day.isoformat(),
                "produced_by": result["produced_by"],
                "findings": result["findings"],
                "facts": result["facts"],
                "markdown": result["markdown"],
                "outbox_messages": result["messages"],
            },
            indent=2,
        )
    else:
        text = result["markdown"] if output_format is Format.md else result["html"]
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(
            f"briefing {result['briefing_id']} ({audience}, {day}) written to {out}; "
            f"summary {result['produced_by']}, {len(result['messages'])} outbox message(s)",
            highlight=False,
            markup=False,
        )
        return
    if output_format is Format.md and console.is_terminal:
        from rich.markdown import Markdown

        console.print(Markdown(text))
    else:
        console.print(text, highlight=False, markup=False, soft_wrap=True)
