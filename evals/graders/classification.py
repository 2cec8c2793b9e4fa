"""A yes/no call against its label: one grade named for the outcome (tp, fp, fn or tn), and ``correct``.

Precision, recall and F1 are aggregates of these grades over the suite (``evals.metrics``).
"""

from __future__ import annotations

from typing import Any

from evals.graders import Grade


def grade(expected: Any, output: Any) -> list[Grade]:
    label, predicted = bool(expected), bool(output)
    outcome = {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}[(label, predicted)]
    return [Grade(outcome, 1.0), Grade("correct", float(label == predicted), outcome)]
