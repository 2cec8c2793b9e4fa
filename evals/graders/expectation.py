"""A scorecard against what its planted scenario implies: the band it may (or may not) have, and the signal
the scenario damages among the account's weakest.

``expected``: ``band_in`` or ``band_not_in`` (bands), ``weakest_any`` (signals, one of which must be among the
``weakest_n`` signals that cost the account the most points). ``output``: ``band`` and ``weakest``.
"""

from __future__ import annotations

from typing import Any

from evals.graders import Grade


def grade(expected: Any, output: Any) -> list[Grade]:
    grades = []
    band = output.get("band")
    if "band_in" in expected or "band_not_in" in expected:
        ok = band in expected["band_in"] if "band_in" in expected else band not in expected["band_not_in"]
        grades.append(Grade("band_ok", float(ok), "" if ok else f"band {band}"))
    if "weakest_any" in expected:
        ok = bool(set(expected["weakest_any"]) & set(output.get("weakest", [])))
        grades.append(Grade("weakest_ok", float(ok), "" if ok else f"weakest {', '.join(output.get('weakest', []))}"))
    correct = all(g.score == 1 for g in grades)
    return [*grades, Grade("correct", float(correct), "; ".join(g.comment for g in grades if g.comment))]
