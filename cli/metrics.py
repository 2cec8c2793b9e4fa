"""`watchtower metrics`: the success metrics for a period, each figure beside its formula."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import typer

from cli.context import AppContext, CliError, app_context, console, handle_errors, parse_date
from cli.guards import require_schema
from core.config_errors import ConfigError

if TYPE_CHECKING:
    from metrics import Metric, MetricsReport


def _money(amount: Decimal | float, currency: str | None) -> str:
    return f"{currency or ''} {amount:,.0f}".strip()


def _value(metric: Metric) -> str:
    if metric.value is None:
        return "n/a"
    if metric.unit == "ratio":
        return f"{metric.value * 100:.1f}%"
    if metric.unit == "money":
        return _money(metric.value, metric.currency)
    return f"{metric.value:,.1f} days"


def _amount(amount: Decimal | None, metric: Metric) -> str:
    if amount is None:
        return "-"
    return _money(amount, metric.currency) if metric.measure == "money" else f"{amount:,.0f}"


def _period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """Fill in what was not given, as the help describes."""
    import metrics

    if start is None and end is None:
        return metrics.last_full_quarter(today)
    if start is None:
        assert end is not None
        return metrics.quarter_of(end)[0], end
    return start, end if end is not None else today - timedelta(days=1)


def _rows(report: MetricsReport) -> list[Metric]:
    """The report's order, with the renewal rate's band breakdown right under the overall rate."""
    rows: list[Metric] = []
    for metric in report.metrics:
        rows.append(metric)
        if metric.key == "gross_renewal_rate":
            rows += report.by_band.values()
    return rows


def _cell(metric: Metric | None) -> str:
    return _value(metric) if metric is not None and metric.value is not None else "[dim]n/a[/]"


def _period_name(report: MetricsReport) -> str:
    start = report.period_start
    if (report.period_end - start).days > 31:
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    return f"{start:%Y-%m}"


def _show_trend(
    app: AppContext, period: str, end: date, count: int, segment: str | None, owner: str | None, as_json: bool
) -> None:
    from rich.markup import escape
    from rich.table import Table

    import metrics
    from metrics.renewals import ordered_bands

    if period not in ("month", "quarter"):
        raise CliError(f"--trend must be month or quarter, got '{period}'")
    require_schema(app.engine)
    try:
        with app.engine.connect() as conn:
            reports = metrics.trend(
                conn,
                end=end,
                period="month" if period == "month" else "quarter",
                count=count,
                segment=segment,
                owner=owner,
            )
    except metrics.MetricsError as exc:
        raise CliError(str(exc), "run 'watchtower summary' to see the segments and the book") from None
    except ConfigError as exc:
        raise CliError(str(exc), "the metrics read each play's kind from plays.yaml; run 'watchtower config'") from None
    if as_json:
        console.print_json(json.dumps([r.model_dump(mode="json") for r in reports]))
        return
    table = Table(title=f"Success metrics by {period}, complete {period}s to {end}", title_justify="left")
    table.add_column("metric", overflow="fold")
    for report in reports:
        table.add_column(_period_name(report), justify="right", no_wrap=True)
    bands = ordered_bands(band for report in reports for band in report.by_band)
    for metric in reports[-1].metrics:
        table.add_row(escape(metric.label), *(_cell(r.get(metric.key)) for r in reports))
        if metric.key == "gross_renewal_rate":
            for band in bands:
                label = f"  {band} at T-90"
                table.add_row(escape(label), *(_cell(r.by_band.get(band)) for r in reports))
    console.print(table)
    console.print("[dim]Each formula: the same command without --trend, or --json.[/]")


@handle_errors
def metrics_command(
    ctx: typer.Context,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First day of the period (default: see above).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day of the period, included.")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Only accounts of this segment.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only accounts this CSM owns (email).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The full report as JSON, with every id counted.")] = False,
    trend: Annotated[
        str | None,
        typer.Option("--trend", help="month or quarter: the last --count complete periods ending by --to instead."),
    ] = None,
    count: Annotated[int, typer.Option("--count", min=1, max=24, help="How many periods --trend shows.")] = 4,
) -> None:
    """NRR, GRR, logo retention, renewal rate by health band and what the plays did, with their formulas.

    The cohort is frozen on the first day: new logos are excluded.

    Without --from and --to: the last full calendar quarter before today. With --from alone: up to
    yesterday. With --to alone: from the first day of its quarter.
    """
    from rich.markup import escape
    from rich.table import Table

    import metrics

    app = app_context(ctx)
    start = parse_date(date_from, option="--from")
    end = parse_date(date_to, option="--to")
    if trend is not None:
        _show_trend(app, trend, end or app.today() - timedelta(days=1), count, segment, owner, as_json)
        return
    start, end = _period(start, end, app.today())
    if end < start:
        raise CliError(f"--to {end} is before --from {start}", "give a period whose last day follows its first")
    require_schema(app.engine)
    try:
        with app.engine.connect() as conn:
            report = metrics.compute(conn, start=start, end=end, segment=segment, owner=owner)
    except metrics.MetricsError as exc:
        raise CliError(str(exc), "run 'watchtower summary' to see the segments and the book") from None
    except ConfigError as exc:
        raise CliError(str(exc), "the metrics read each play's kind from plays.yaml; run 'watchtower config'") from None
    if as_json:
        console.print_json(json.dumps(report.model_dump(mode="json")))
        return
    scope = escape(" · ".join(s for s in (segment and f"segment {segment}", owner and f"owner {owner}") if s))
    table = Table(
        title=f"Success metrics {start} to {end}{f' ({scope})' if scope else ''}", title_justify="left", show_lines=True
    )
    table.add_column("metric and formula", overflow="fold", ratio=1)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("numerator", justify="right", no_wrap=True)
    table.add_column("denominator", justify="right", no_wrap=True)
    rows = _rows(report)
    for metric in rows:
        if metric.key.startswith("gross_renewal_rate:"):
            label = f"  {escape(metric.label)}"  # the formula is the overall rate's, one row up
        else:
            label = f"[bold]{escape(metric.label)}[/]\n[dim]{escape(metric.formula)}[/]"
        value = _value(metric) if metric.value is not None else "[dim]n/a[/]"
        table.add_row(label, value, _amount(metric.numerator, metric), _amount(metric.denominator, metric))
    console.print(table)
    for metric in rows:
        if metric.value is None:
            console.print(f"[dim]{escape(metric.label)}: n/a, {escape(metric.why_undefined or '')}[/]", highlight=False)
    console.print("[dim]Add --json for every id counted.[/]")
