"""Every number and name in a narrative must trace to the facts it was written from.

The output is ``{"claims": n, "untraced": [...]}`` from the narrative checker; the score is the share of
claims that trace (1.0 when the text makes none), and the comment lists those that do not.
"""

from __future__ import annotations

from typing import Any

from evals.graders import Grade


def grade(expected: Any, output: Any) -> list[Grade]:
    claims, untraced = int(output["claims"]), list(output["untraced"])
    share = 1.0 if claims == 0 else (claims - len(untraced)) / claims
    return [
        Grade("traced_share", share, ", ".join(untraced[:10])),
        Grade("claims", float(claims)),
        Grade("faithful", float(not untraced)),
    ]
