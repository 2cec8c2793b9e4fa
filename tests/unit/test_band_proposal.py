from __future__ import annotations

from itertools import pairwise

import numpy as np

from scorecards.band_proposal import band_of, min_band_size, propose_bands
from scorecards.health_model import DEFAULT_BANDS, Band


def _book(rates: list[tuple[tuple[float, float, int], float]], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Accounts scored uniformly in each (low, high) range, churning at the rate given for it."""
    rng = np.random.default_rng(seed)
    scores, y = [], []
    for (low, high, size), rate in rates:
        scores.append(rng.uniform(low, high, size))
        y.append((rng.random(size) < rate).astype(float))
    return np.round(np.concatenate(scores), 1), np.concatenate(y)


def _churn_by_band(scores: np.ndarray, y: np.ndarray, bands: tuple[Band, ...]) -> list[tuple[int, float]]:
    names = [band_of(float(s), bands) for s in scores]
    out = []
    for band in bands:
        members = [i for i, n in enumerate(names) if n == band.name]
        out.append((len(members), float(y[members].mean()) if members else float("nan")))
    return out


def test_proposed_bands_churn_more_band_by_band() -> None:
    scores, y = _book([((80, 100, 400), 0.03), ((60, 80, 400), 0.12), ((40, 60, 300), 0.3), ((0, 40, 200), 0.6)], 1)
    proposal = propose_bands(scores, y, DEFAULT_BANDS)
    assert proposal.from_outcomes and proposal.reason == ""
    assert [b.name for b in proposal.bands] == [b.name for b in DEFAULT_BANDS]
    mins = [b.min for b in proposal.bands]
    assert mins == sorted(mins, reverse=True) and mins[-1] == 0
    rates = [rate for _, rate in _churn_by_band(scores, y, proposal.bands)]
    assert all(a < b for a, b in pairwise(rates))


def test_every_proposed_band_holds_enough_accounts_to_mean_something() -> None:
    """Fifteen accounts at the very bottom all churned: a Red band of just them would fit best, and say little."""
    scores, y = _book([((70, 100, 120), 0.03), ((50, 70, 90), 0.15), ((20, 50, 75), 0.4), ((0, 5, 15), 1.0)], seed=2)
    proposal = propose_bands(scores, y, DEFAULT_BANDS)
    assert proposal.from_outcomes
    sizes = [size for size, _ in _churn_by_band(scores, y, proposal.bands)]
    assert min(sizes) >= min_band_size(len(scores)) > 15


def test_the_base_bands_stay_when_the_scores_do_not_separate_churn() -> None:
    rng = np.random.default_rng(3)
    scores = np.round(rng.uniform(0, 100, 1500), 1)
    y = (rng.random(1500) < 0.15).astype(float)  # churn has nothing to do with the score
    proposal = propose_bands(scores, y, DEFAULT_BANDS)
    assert not proposal.from_outcomes and proposal.bands == DEFAULT_BANDS
    assert "churn clearly more than the band above" in proposal.reason


def test_the_base_bands_stay_when_churn_is_not_ordered() -> None:
    """Churn peaks in the middle of the scale: no four bands get riskier step by step."""
    scores, y = _book([((75, 100, 400), 0.1), ((50, 75, 400), 0.4), ((25, 50, 400), 0.1), ((0, 25, 400), 0.1)], 4)
    proposal = propose_bands(scores, y, DEFAULT_BANDS)
    assert not proposal.from_outcomes and proposal.bands == DEFAULT_BANDS


def test_the_base_bands_stay_on_a_book_too_small_for_four_bands() -> None:
    scores, y = _book([((50, 100, 50), 0.05), ((0, 50, 50), 0.5)], seed=5)
    proposal = propose_bands(scores, y, DEFAULT_BANDS)
    assert not proposal.from_outcomes and "cannot fill 4 bands" in proposal.reason
