"""Per-invocation state shared by the commands: settings, engine and the error policy."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Annotated, Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from core.db import make_engine
from core.settings import Settings
from sources.errors import ImportFailed, UnknownEntity

P = ParamSpec("P")
R = TypeVar("R")

console = Console(soft_wrap=True)
err_console = Console(stderr=True)
logger = logging.getLogger("watchtower")
#: The width of output that is not a terminal (a pipe, a file, a test) when COLUMNS does not say: tables of
#: ids, dates and emails cut at 80 columns are the complaint this answers.
PIPE_WIDTH = 100

AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="The day to act as of (YYYY-MM-DD); default today in WATCHTOWER_TIMEZONE."),
]


def output_width(interactive: bool) -> int | None:
    """COLUMNS when set, the terminal's own width (None: rich measures it) on a TTY, else PIPE_WIDTH."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return None if interactive else PIPE_WIDTH


def fit_consoles() -> None:
    """Size both consoles for this run; called by the root command, since one process may run many (tests)."""
    for target, stream in ((console, sys.stdout), (err_console, sys.stderr)):
        isatty = getattr(stream, "isatty", None)
        width = output_width(bool(isatty and isatty()))
        target._width = width  # rich's own slot: None lets it measure the terminal again


class CliError(Exception):
    """An error meant for the person at the terminal: a message and a hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


@dataclass
class AppContext:
    settings: Settings
    debug: bool = False
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def today(self) -> date:
        """'Today' is decided here, at the edge; everything below takes an explicit as-of date."""
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    def as_of(self, value: str | None, *, option: str = "--as-of") -> date:
        """The one as-of date of a command: the option when given, else today in the team's time zone.

        Every command derives its day here, so two commands run on the same day report the same date."""
        return parse_date(value, option=option) or self.today()

    def moment(self, day: date) -> datetime:
        """The clock for hour-level deadlines: now when ``day`` is today, else the start of that day."""
        zone = ZoneInfo(self.settings.timezone)
        now = datetime.now(zone)
        return now if day == now.date() else datetime.combine(day, time.min, tzinfo=zone)


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        raise CliError("internal: command ran without the root callback")
    return obj


def _fail(message: str, hint: str | None = None) -> typer.Exit:
    # Messages quote files and keys such as groups[usage]; escape them so Rich does not read them as markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if hint:
        err_console.print(f"[dim]hint:[/] {escape(hint)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _report_import(exc: ImportFailed) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    for error in exc.errors:
        err_console.print(f"  {error}", highlight=False, soft_wrap=True, markup=False)
    if exc.truncated:
        err_console.print("  ... more errors not shown (raise --max-errors to see them)", highlight=False)
    err_console.print(
        "[dim]hint:[/] fix the rows above and import the file again; nothing was written", highlight=False
    )
    return typer.Exit(code=1)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one clear line plus a hint; tracebacks only with --debug."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # Typer hands over its (vendored) click context; recognise it by what it can do, not its class.
        ctx = next((a for a in [*args, *kwargs.values()] if hasattr(a, "find_root")), None)
        root = ctx.find_root().obj if ctx is not None else None
        debug = isinstance(root, AppContext) and root.debug
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except ImportFailed as exc:
            if debug:
                raise
            raise _report_import(exc) from None
        except (CliError, UnknownEntity) as exc:
            if debug:
                raise
            raise _fail(str(exc), getattr(exc, "hint", None)) from None
        except ValidationError as exc:
            if debug:
                raise
            raise _fail(
                f"invalid settings: {exc.errors(include_url=False)[0]['msg']}", "check your environment variables"
            ) from None
        except OperationalError as exc:
            if debug:
                raise
            raise _fail(
                f"database unavailable: {str(exc.orig).strip().splitlines()[0]}",
                "check DATABASE_URL and that the database is running, then run 'watchtower init'",
            ) from None
        except SQLAlchemyError as exc:
            if debug:
                raise
            raise _fail(f"database error: {str(exc).splitlines()[0]}", "run with --debug for details") from None
        except OSError as exc:
            if debug:
                raise
            raise _fail(
                f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), "check the path and permissions"
            ) from None
        except Exception as exc:
            if debug:
                raise
            logger.debug("unexpected error", exc_info=True)
            raise _fail(
                f"unexpected {type(exc).__name__}: {exc}", "run again with --debug and report the traceback"
            ) from None

    return wrapper


EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def parse_date(value: str | None, *, option: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} must be a date like 2026-03-31, got '{value}'") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        # Scores read months back and renewals run years ahead: near year 1 or 9999 that arithmetic overflows.
        raise CliError(f"{option} must be between {EARLIEST_DATE} and {LATEST_DATE}, got '{value}'")
    return day


def settings_with(overrides: dict[str, Any]) -> Settings:
    """Per-run arguments beat the environment: only pass the ones the user actually gave."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
