"""Rows of one file that share a natural key, found without keeping the keys in memory.

Each row's key is hashed to 8 bytes and kept with its row number (16 bytes a row: 16 MB for a million rows);
after the pass the hashes are sorted and equal neighbours are the candidates. Only those rows' keys are
then compared for real, so a hash collision can never refuse a good file.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable
from typing import Any

import numpy as np


def _digest(key: tuple[Any, ...]) -> int:
    return int.from_bytes(hashlib.blake2b(repr(key).encode(), digest_size=8).digest(), "little")


class KeyLedger:
    def __init__(self) -> None:
        self._hashes = array("Q")
        self._rows = array("Q")

    def add(self, row: int, key: tuple[Any, ...]) -> None:
        self._hashes.append(_digest(key))
        self._rows.append(row)

    def candidate_rows(self) -> set[int]:
        """Rows whose key hash another row shares: a superset of the true duplicates."""
        if len(self._hashes) < 2:
            return set()
        hashes = np.frombuffer(self._hashes, dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        ranked = hashes[order]
        same = ranked[1:] == ranked[:-1]
        marked = np.zeros(len(ranked), dtype=bool)
        marked[1:] |= same
        marked[:-1] |= same
        return {int(r) for r in np.frombuffer(self._rows, dtype=np.uint64)[order][marked]}


def duplicates(candidates: Iterable[tuple[int, tuple[Any, ...]]]) -> list[tuple[int, int, tuple[Any, ...]]]:
    """(row, first row with the same key, key) for each repeated key among the candidates, in row order."""
    first: dict[tuple[Any, ...], int] = {}
    found: list[tuple[int, int, tuple[Any, ...]]] = []
    for row, key in sorted(candidates, key=lambda item: item[0]):
        if key in first:
            found.append((row, first[key], key))
        else:
            first[key] = row
    return found
