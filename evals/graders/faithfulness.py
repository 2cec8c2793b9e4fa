"""Every number, date and name in a narrative must trace to the record it was written from.

A real text's output is ``{"claims": n, "untraced": [...], "by_kind": {...}}`` from ``core.faithfulness``:
the score is the share of claims that trace (1.0 when the text makes none), and the comment lists those
that do not. A fault case's output also has ``"fault": true`` and the original text's untraced claims: it
is caught when the original traces fully and the planted fault leaves something untraced.
"""

from __future__ import annotations

from typing import Any

from evals.graders import Grade


def grade(expected: Any, output: Any) -> list[Grade]:
    claims, untraced = int(output["claims"]), list(output["untraced"])
    if output.get("fault"):
        original = list(output.get("original_untraced") or [])
        caught = not original and bool(untraced)
        why = (
            f"the original text already fails: {', '.join(original[:5])}"
            if original
            else "; ".join(untraced[:5])
            if untraced
            else f"the fault in {output.get('text')} traced to its record"
        )
        return [Grade("caught", float(caught), why)]
    share = 1.0 if claims == 0 else (claims - len(untraced)) / claims
    kinds = output.get("by_kind") or {}
    return [
        Grade("traced_share", share, ", ".join(untraced[:10])),
        Grade("claims", float(claims)),
        Grade("numbers", float(sum(kinds.get(k, 0) for k in ("percent", "money", "days", "number")))),
        Grade("dates", float(kinds.get("date", 0))),
        Grade("names", float(kinds.get("name", 0))),
        Grade("faithful", float(not untraced)),
    ]
