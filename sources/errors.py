"""Errors that name the file, row and field, so a person can fix the input and re-run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    file: str
    row: int | None
    field: str | None
    message: str
    row_label: str = "line"

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"{self.row_label} {self.row}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts) + f": {self.message}"


class ImportFailed(Exception):
    """Raised before anything is written; carries every error found (up to the limit)."""

    def __init__(self, file: str, errors: list[RowError], *, truncated: bool = False) -> None:
        self.file = file
        self.errors = errors
        self.truncated = truncated
        more = " (more errors not shown)" if truncated else ""
        super().__init__(f"{file}: {len(errors)} error(s){more}; nothing was imported")


class UnknownEntity(ValueError):
    pass
