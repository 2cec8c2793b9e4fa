"""From raw records to validated row models, collecting every located error.

Nothing here touches the database; reference checks that need it live in
``sources.references``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sources.entities import EntitySpec
from sources.errors import RowError
from sources.readers import LIST_SEPARATOR, ParsedFile, RawRecord, iter_columns
from sources.schemas import ImportRow

DEFAULT_ERROR_LIMIT = 50


@dataclass(frozen=True)
class ValidRow:
    row: int
    data: ImportRow


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


def check_columns(spec: EntitySpec, parsed: ParsedFile, errors: ErrorCollector) -> None:
    """Reject unknown and missing columns once for the file, rather than once per row."""
    present: set[str] = set()
    for column in iter_columns(parsed):
        base = column.split(".", 1)[0] if "." in column else column
        if "." in column and base in spec.dict_fields and column.split(".", 1)[1]:
            present.add(base)
            continue
        if column not in spec.row_fields:
            hint = ", ".join(spec.row_fields)
            errors.add(
                RowError(
                    parsed.name,
                    1 if parsed.columns else None,
                    column,
                    f"unknown column; {spec.name} columns are: {hint}",
                )
            )
            continue
        present.add(column)
    if parsed.columns is not None:
        for name in spec.required_fields:
            if name not in present:
                errors.add(RowError(parsed.name, 1, name, "required column is missing from the header"))


def _coerce_csv(spec: EntitySpec, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, cell in values.items():
        text = cell.strip() if isinstance(cell, str) else cell
        if text == "" or text is None:
            continue
        if "." in column:
            base, sub = column.split(".", 1)
            if base in spec.dict_fields:
                out.setdefault(base, {})[sub] = text
                continue
        if column in spec.list_fields:
            out[column] = [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
        else:
            out[column] = text
    return out


def _coerce_json(spec: EntitySpec, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if "." in key and key.split(".", 1)[0] in spec.dict_fields:
            base, sub = key.split(".", 1)
            out.setdefault(base, {})[sub] = value
        elif key in spec.list_fields and isinstance(value, str):
            out[key] = [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]
        else:
            out[key] = value
    return out


def _located(parsed: ParsedFile, record: RawRecord, exc: ValidationError) -> list[RowError]:
    out: list[RowError] = []
    for err in exc.errors(include_url=False):
        loc = [str(part) for part in err.get("loc", ())]
        message = err.get("msg", "invalid value")
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        field = ".".join(loc) if loc else None
        # Cross-field checks report "field: reason" so the person knows which cell to fix.
        if field is None and ": " in message:
            field, message = message.split(": ", 1)
        if (
            err.get("type") not in {"missing", "extra_forbidden"}
            and "input" in err
            and not isinstance(err["input"], dict)
        ):
            shown = repr(err["input"])
            message = f"{message} (got {shown[:60]}{'...' if len(shown) > 60 else ''})"
        if err.get("type") == "missing":
            message = "is required"
        out.append(RowError(parsed.name, record.row, field, message, parsed.row_label))
    return out


def natural_key(spec: EntitySpec, row: ImportRow) -> tuple[Any, ...]:
    """The identity of a row in file terms (external ids instead of database ids)."""
    fields = []
    for column in spec.key:
        ref = next((r for r in spec.references if r.column == column), None)
        fields.append(getattr(row, ref.field if ref else column))
    return tuple(fields)


def validate_records(spec: EntitySpec, parsed: ParsedFile, errors: ErrorCollector) -> list[ValidRow]:
    check_columns(spec, parsed, errors)
    if errors:
        return []
    coerce = _coerce_csv if parsed.format == "csv" else _coerce_json
    valid: list[ValidRow] = []
    first_seen: dict[tuple[Any, ...], int] = {}
    for record in parsed.records:
        try:
            row = spec.row.model_validate(coerce(spec, record.values))
        except ValidationError as exc:
            for error in _located(parsed, record, exc):
                errors.add(error)
            if errors.full:
                break
            continue
        key = natural_key(spec, row)
        if key in first_seen:
            label = (
                "external_id"
                if spec.uses_external_id
                else "+".join(spec.key).replace("account_id", "account_external_id")
            )
            errors.add(
                RowError(
                    parsed.name,
                    record.row,
                    label,
                    f"duplicate of {parsed.row_label} {first_seen[key]} ({', '.join(map(str, key))}); "
                    "each row must be unique in one file",
                    parsed.row_label,
                )
            )
            continue
        first_seen[key] = record.row
        valid.append(ValidRow(record.row, row))
    return valid
