"""`watchtower kb`: index the book's texts and the team's documents, see what is indexed, search it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from cli.context import CliError, app_context, console, handle_errors
from cli.guards import require_schema
from core.models import Account
from knowledge_base.documents import DocumentError

if TYPE_CHECKING:
    from knowledge_base.ingest import IngestReport

kb_app = typer.Typer(help="The knowledge base: conversations, surveys, tickets, notes and the team's documents.")


def vector_progress(done: int, total: int, rate: float) -> None:
    console.print(f"knowledge base: vectors {done:,} of {total:,} ({rate:,.0f} chunks/s)")


def print_report(report: IngestReport, *, what: str) -> None:
    table = Table(title=f"{what} ({report.seconds:.1f} s)", title_justify="left")
    for column in ("source", "added", "updated", "removed", "unchanged", "chunks written"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for name, line in sorted(report.tables.items()):
        table.add_row(name, *(f"{n:,}" for n in (line.added, line.updated, line.removed, line.unchanged, line.chunks)))
    console.print(table)
    if report.dense:
        rate = f", {report.embedded / report.seconds:,.0f} chunks/s" if report.embedded and report.seconds else ""
        console.print(
            f"vectors: {report.embedded:,} written ({report.embedded_fresh:,} embedded, the rest from the cache), "
            f"{report.vectors_removed:,} removed{rate}"
        )
    else:
        console.print("vectors: none (no vector store configured; search is lexical only)")


@kb_app.command("ingest")
@handle_errors
def ingest_command(
    ctx: typer.Context,
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="Skip the vector store.")] = False,
) -> None:
    """Index the book's conversations, survey verbatims, tickets and CSM notes: new and edited rows are
    re-chunked, deleted rows dropped; running it again changes nothing."""
    from knowledge_base.open import open_knowledge_base

    app = app_context(ctx)
    require_schema(app.engine)
    with open_knowledge_base(app.settings, dense=not lexical_only) as kb, app.engine.connect() as conn:
        report = kb.ingest_book(conn, progress=vector_progress)
    print_report(report, what="Knowledge base ingest")


@kb_app.command("add")
@handle_errors
def add_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A folder or file of Markdown, text, HTML or PDF documents.")],
    lexical_only: Annotated[bool, typer.Option("--lexical-only", help="Skip the vector store.")] = False,
) -> None:
    """Index the team's own documents (playbooks, product docs, QBR decks); every user can search them.
    Adding the same folder again updates edited files and drops deleted ones."""
    from knowledge_base.open import open_knowledge_base

    app = app_context(ctx)
    try:
        with open_knowledge_base(app.settings, dense=not lexical_only) as kb:
            report = kb.add_documents(path, progress=vector_progress)
    except (DocumentError, FileNotFoundError) as error:
        raise CliError(str(error), "supported: .md .markdown .txt .html .htm .pdf") from error
    print_report(report, what=f"Documents from {path}")


@kb_app.command("status")
@handle_errors
def status_command(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """What is indexed: sources and chunks per table, vectors, and whether search is hybrid."""
    from knowledge_base.open import open_knowledge_base

    app = app_context(ctx)
    with open_knowledge_base(app.settings) as kb:
        status = kb.status()
    if as_json:
        console.print_json(json.dumps(status))
        return
    table = Table(title=f"Knowledge base ({status['mode']})", title_justify="left")
    table.add_column("source")
    table.add_column("sources", justify="right")
    table.add_column("chunks", justify="right")
    for name, line in status["tables"].items():  # type: ignore[attr-defined]
        table.add_row(name, f"{line['sources']:,}", f"{line['chunks']:,}")
    console.print(table)
    console.print(f"embedder: {status['embedder'] or 'none'}; vectors: {status['vectors']}; "
                  f"cached vectors: {status['cached_vectors']}")  # fmt: skip


@kb_app.command("search")
@handle_errors
def search_command(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    account: Annotated[str, typer.Option("--account", help="The account's external id.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=50)] = 5,
    documents: Annotated[bool, typer.Option("--documents/--no-documents", help="Include team documents.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The best chunks of one account (and the team's documents) for a question."""
    from knowledge_base.open import open_knowledge_base

    app = app_context(ctx)
    require_schema(app.engine)
    with app.engine.connect() as conn:
        account_id = conn.execute(select(Account.id).where(Account.external_id == account)).scalar()
    if account_id is None:
        raise CliError(f"no account {account!r}", "watchtower export accounts lists them")
    scope: list[int | None] = [account_id, None] if documents else [account_id]
    with open_knowledge_base(app.settings) as kb:
        hits = kb.search(query, scope, limit)
        mode = kb.mode
    if as_json:
        rows = [
            {"rank": h.rank, "score": round(h.score, 6), "id": h.chunk.id, "source": h.chunk.source_table,
             "source_id": h.chunk.source_id, "date": h.chunk.occurred_on.isoformat() if h.chunk.occurred_on else None,
             "title": h.chunk.title, "text": h.chunk.text}
            for h in hits
        ]  # fmt: skip
        console.print_json(json.dumps({"mode": mode, "account": account, "hits": rows}))
        return
    if not hits:
        console.print(f"Nothing found for {escape(query)!r} in {account} ({mode} search).")
        return
    console.print(f"[bold]{len(hits)}[/] results for {escape(query)!r} in {account} ({mode} search)")
    for hit in hits:
        chunk = hit.chunk
        when = chunk.occurred_on.isoformat() if chunk.occurred_on else "undated"
        console.print(f"\n[bold]{hit.rank}.[/] {chunk.source_table} {escape(chunk.source_id)}  {when}  "
                      f"{escape(chunk.title or '')}")  # fmt: skip
        console.print("   " + escape(chunk.text.replace("\n", " ")[:300]))
