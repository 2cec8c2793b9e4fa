"""Ranking metrics for a churn-risk score, in plain numpy (no model library needed)."""

from __future__ import annotations

import numpy as np


def roc_auc(y: np.ndarray, risk: np.ndarray) -> float | None:
    """Probability that a random churner is ranked riskier than a random stayer (ties count half)."""
    positives, negatives = int(y.sum()), int(len(y) - y.sum())
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(risk, kind="mergesort")
    ranks = np.empty(len(risk))
    sorted_risk = risk[order]
    i = 0
    while i < len(risk):  # average ranks over ties
        j = i
        while j + 1 < len(risk) and sorted_risk[j + 1] == sorted_risk[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def pr_auc(y: np.ndarray, risk: np.ndarray) -> float | None:
    """Average precision: the mean precision at each churner, ranked by risk (ties broken by position)."""
    if y.sum() == 0:
        return None
    order = np.argsort(-risk, kind="mergesort")
    hits = y[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())


def top_decile_lift(y: np.ndarray, risk: np.ndarray) -> float | None:
    """Churn rate among the riskiest 10% divided by the overall churn rate."""
    if y.sum() == 0:
        return None
    n = max(1, len(y) // 10)
    top = y[np.argsort(-risk, kind="mergesort")[:n]]
    return float(top.mean() / y.mean())
