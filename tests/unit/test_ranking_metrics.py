from __future__ import annotations

import numpy as np
import pytest

from scorecards.ranking import pr_auc, roc_auc, top_decile_lift


def test_perfect_reversed_and_tied_rankings() -> None:
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert roc_auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert roc_auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 1]), np.array([0.1, 0.2])) is None


def test_auc_matches_the_pairwise_definition() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    risk = rng.integers(0, 20, 200).astype(float)
    pos, neg = risk[y == 1], risk[y == 0]
    pairwise = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (
        len(pos) * len(neg)
    )
    assert roc_auc(y, risk) == pytest.approx(pairwise)


def test_average_precision_and_lift() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    risk = np.arange(10, 0, -1).astype(float)  # first is riskiest
    assert pr_auc(y, risk) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert top_decile_lift(y, risk) == pytest.approx(1.0 / 0.2)
