"""From raw records to validated row models, collecting every located error.

Nothing here touches the database; reference checks that need it live in
``sources.references``. Each row also records which fields it actually gives:
a re-import writes only those, so a file with fewer columns never erases the
ones it lacks. An empty cell (or a JSON null or blank string) gives nothing unless
the import asks for ``clear_empty``, which then sets the field back to its default.
A map (``metrics``) is given key by key, as ``metrics.x`` columns or as a JSON
object alike, so an event with one metric keeps the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sources.duplicates import KeyLedger, duplicates
from sources.entities import EntitySpec
from sources.errors import RowError
from sources.json_stream import TOO_DEEP
from sources.readers import LIST_SEPARATOR, ParsedFile, RawRecord
from sources.schemas import ImportRow
from sources.spreadsheet import restore

DEFAULT_ERROR_LIMIT = 50


@dataclass(frozen=True)
class ImportOptions:
    #: An empty cell or a JSON null sets the field to its default instead of keeping the stored value.
    clear_empty: bool = False
    #: Take CSV cells verbatim instead of undoing the export's spreadsheet quoting (``sources.spreadsheet``).
    raw: bool = False


DEFAULT_OPTIONS = ImportOptions()


@dataclass(frozen=True)
class ValidRow:
    row: int
    data: ImportRow
    #: The row-model fields this row sets; every other stored column is left as it is.
    given: frozenset[str] = frozenset()
    #: Map fields given key by key (``metrics.exports`` columns): the keys to remove; other stored keys stay.
    merged: dict[str, frozenset[str]] = field(default_factory=dict)


class ErrorCollector:
    """Keeps the first ``limit`` errors and remembers whether more were dropped."""

    def __init__(self, limit: int = DEFAULT_ERROR_LIMIT) -> None:
        self.limit = limit
        self.errors: list[RowError] = []
        self.truncated = False

    def add(self, error: RowError) -> None:
        if len(self.errors) < self.limit:
            self.errors.append(error)
        else:
            self.truncated = True

    @property
    def full(self) -> bool:
        return self.truncated

    def __bool__(self) -> bool:
        return bool(self.errors)


def _known(spec: EntitySpec, column: str) -> bool:
    if "." in column:
        base, sub = column.split(".", 1)
        return base in spec.dict_fields and bool(sub)
    return column in spec.row_fields


def check_columns(spec: EntitySpec, parsed: ParsedFile, errors: ErrorCollector) -> None:
    """Reject unknown and missing CSV columns once for the file, rather than once per row."""
    if parsed.columns is None:
        return
    present: set[str] = set()
    for column in parsed.columns:
        if not _known(spec, column):
            errors.add(RowError(parsed.name, 1, column, f"unknown column; {spec.name} columns are: {_hint(spec)}"))
            continue
        present.add(column.split(".", 1)[0])
    for name in spec.required_fields:
        if name not in present:
            errors.add(RowError(parsed.name, 1, name, "required column is missing from the header"))


def _hint(spec: EntitySpec) -> str:
    return ", ".join(spec.row_fields)


@dataclass
class _Coerced:
    values: dict[str, Any] = field(default_factory=dict)
    cleared: set[str] = field(default_factory=set)
    merged: dict[str, set[str]] = field(default_factory=dict)


def _blank(value: Any) -> bool:
    """Nothing given: a null, an empty cell, or a JSON string of only spaces (what many exports write for none)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _merge_key(out: _Coerced, base: str, key: str, value: Any, options: ImportOptions) -> None:
    removed = out.merged.setdefault(base, set())
    if _blank(value):
        if options.clear_empty:
            removed.add(key)
        return
    out.values.setdefault(base, {})[key] = value


def _coerce(spec: EntitySpec, values: dict[str, Any], csv_cells: bool, options: ImportOptions) -> _Coerced:
    """Cells to model input: blanks dropped (or marked cleared), lists split, ``name.key`` columns nested."""
    out = _Coerced()
    for column, cell in values.items():
        value = cell
        if csv_cells:
            value = cell.strip()
            if not options.raw:
                value = restore(value)
        empty = _blank(value)
        base, _, sub = column.partition(".")
        if sub and base in spec.dict_fields:
            _merge_key(out, base, sub, value, options)
        elif column in spec.dict_fields and isinstance(value, dict):
            # A JSON object gives its keys, as ``metrics.x`` columns do; the keys it leaves out stay.
            for key, item in value.items():
                _merge_key(out, column, key, item, options)
        elif empty:
            if options.clear_empty:
                out.cleared.add(column)
        elif column in spec.list_fields and isinstance(value, str):
            out.values[column] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        else:
            out.values[column] = value
    return out


#: Rows are flat: a map of numbers or a list of names is the deepest a field goes. Anything far deeper is
#: refused before it reaches code that walks it recursively (validation, error messages, the text check).
MAX_NESTING = 16


def _too_deep(value: Any) -> bool:
    """Whether ``value`` nests lists or objects more than MAX_NESTING levels, found without recursion."""
    level = [value]
    for _ in range(MAX_NESTING + 1):
        level = [
            inner
            for item in level
            if isinstance(item, list | dict)
            for inner in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return True


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _bad_text(value: Any) -> str | None:
    """Why a value cannot be stored as text on every backend: a NUL byte or a lone surrogate."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is None:
            return None
        if found.group() == "\x00":
            return "contains a NUL byte (\\0), which cannot be stored; remove it"
        return "contains a lone surrogate (half of a UTF-16 pair), which is not text; fix the encoding"
    if isinstance(value, list):
        return next((p for v in value if (p := _bad_text(v))), None)
    if isinstance(value, dict):
        return next((p for k, v in value.items() if (p := _bad_text(k) or _bad_text(v))), None)
    return None


def _located(parsed: ParsedFile, record: RawRecord, exc: ValidationError) -> list[RowError]:
    out: list[RowError] = []
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err.get("loc", ())]
        message = err.get("msg", "invalid value")
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        field_name = ".".join(loc) if loc else None
        # Cross-field checks report "field: reason" so the person knows which cell to fix.
        if field_name is None and ": " in message:
            field_name, message = message.split(": ", 1)
        if (
            err.get("type") not in {"missing", "extra_forbidden"}
            and "input" in err
            and not isinstance(err["input"], dict)
        ):
            shown = repr(err["input"])
            message = f"{message} (got {shown[:60]}{'...' if len(shown) > 60 else ''})"
        if err.get("type") == "missing":
            message = "is required"
        out.append(RowError(parsed.name, record.row, field_name, message, parsed.row_label))
    return out


def natural_key(spec: EntitySpec, row: ImportRow) -> tuple[Any, ...]:
    """The identity of a row in file terms (external ids instead of database ids)."""
    fields = []
    for column in spec.key:
        ref = next((r for r in spec.references if r.column == column), None)
        fields.append(getattr(row, ref.field if ref else column))
    return tuple(fields)


def _key_label(spec: EntitySpec) -> str:
    if spec.uses_external_id:
        return "external_id"
    return "+".join(spec.key).replace("account_id", "account_external_id")


def iter_valid_rows(
    spec: EntitySpec, parsed: ParsedFile, errors: ErrorCollector, options: ImportOptions = DEFAULT_OPTIONS
) -> Iterator[ValidRow]:
    """Each record that validates, in file order; the others add their errors. Stops when errors are full."""
    csv_cells = parsed.format == "csv"
    unknown: set[str] = set()
    known: set[str] = set()
    for record in parsed.records:
        if errors.full:
            return
        strange: list[str] = []
        if not known.issuperset(record.values):
            known.update(k for k in record.values if _known(spec, k))
            strange = [k for k in record.values if k not in known]
        if strange:
            for key in strange:
                if key not in unknown:
                    unknown.add(key)
                    message = f"unknown field; {spec.name} fields are: {_hint(spec)}"
                    errors.add(RowError(parsed.name, record.row, key, message, parsed.row_label))
            continue
        deep = [k for k, v in record.values.items() if isinstance(v, list | dict) and _too_deep(v)]
        for key in deep:
            errors.add(RowError(parsed.name, record.row, key, TOO_DEEP, parsed.row_label))
        if deep:
            continue
        coerced = _coerce(spec, record.values, csv_cells, options)
        bad = [(k, p) for k, v in coerced.values.items() if (p := _bad_text(v))]
        for key, problem in bad:
            errors.add(RowError(parsed.name, record.row, key, problem, parsed.row_label))
        if bad:
            continue
        try:
            row = spec.row.model_validate(coerced.values)
        except ValidationError as exc:
            for error in _located(parsed, record, exc):
                errors.add(error)
            continue
        given = set(row.model_fields_set) | coerced.cleared
        given |= {base for base, removed in coerced.merged.items() if removed}
        merged = {base: frozenset(removed) for base, removed in coerced.merged.items() if base in given}
        yield ValidRow(record.row, row, frozenset(given), merged)


def check_records(
    spec: EntitySpec, parsed: ParsedFile, errors: ErrorCollector, options: ImportOptions = DEFAULT_OPTIONS
) -> int:
    """The first pass over a file: every row checked, nothing kept but 16 bytes a row for duplicate keys.

    Returns the number of rows; ``errors`` holds what is wrong, duplicates included.
    """
    check_columns(spec, parsed, errors)
    if errors:
        return 0
    ledger = KeyLedger()
    count = 0
    for vr in iter_valid_rows(spec, parsed, errors, options):
        ledger.add(vr.row, natural_key(spec, vr.data))
        count += 1
    candidates = ledger.candidate_rows()
    if candidates and not errors.full:
        keyed = (
            (vr.row, natural_key(spec, vr.data)) for vr in iter_valid_rows(spec, parsed, ErrorCollector(), options)
        )
        for row, first, key in duplicates((r, k) for r, k in keyed if r in candidates):
            errors.add(
                RowError(
                    parsed.name,
                    row,
                    _key_label(spec),
                    f"duplicate of {parsed.row_label} {first} ({', '.join(map(str, key))}); "
                    "each row must be unique in one file",
                    parsed.row_label,
                )
            )
    return count


def validate_records(
    spec: EntitySpec, parsed: ParsedFile, errors: ErrorCollector, options: ImportOptions = DEFAULT_OPTIONS
) -> list[ValidRow]:
    """Every valid row of a small input, checked as an import checks it (duplicates included)."""
    check_records(spec, parsed, errors, options)
    return [] if errors else list(iter_valid_rows(spec, parsed, errors, options))
