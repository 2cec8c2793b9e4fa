"""Propose band thresholds from outcomes, for a person to review with the rest of a calibrated model.

A band is only worth its name if the accounts in it churn at a rate clearly different from the band
next to it, in the order the names promise. The rule:

1. Candidate thresholds are whole scores at the 5%, 10%, ... 95% quantiles of the out-of-fold scores
   (scores of accounts the model was not fitted on), so a threshold reads as a plain number.
2. A set of thresholds (one fewer than the bands) is admissible when every band holds at least
   ``max(MIN_BAND_ACCOUNTS, MIN_BAND_SHARE of the accounts)`` and each band churns more than the band
   above it by a margin a one-sided two-proportion z-test finds clear (z >= ``MIN_SEPARATION``).
3. Among admissible sets, the one whose band churn rates explain the outcomes best (highest binomial
   log-likelihood) is proposed.
4. When no set is admissible the data cannot support that many ordered bands; the base bands are kept
   and the reason is returned for the report.

The thresholds are chosen on the same out-of-fold scores their churn rates are reported on, so those
rates are a little optimistic; the size and separation floors keep that small.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from scorecards.health_model import Band

MIN_BAND_ACCOUNTS = 30
MIN_BAND_SHARE = 0.05
MIN_SEPARATION = 1.645  # one-sided 5%
QUANTILES = tuple(range(5, 100, 5))


@dataclass(frozen=True)
class BandProposal:
    bands: tuple[Band, ...]
    #: True when the bands come from the outcomes, False when the base bands were kept.
    from_outcomes: bool
    #: Why the base bands were kept; empty when the proposal stands.
    reason: str = ""


def min_band_size(accounts: int) -> int:
    return max(MIN_BAND_ACCOUNTS, int(np.ceil(MIN_BAND_SHARE * accounts)))


def _separation(churned_a: int, size_a: int, churned_b: int, size_b: int) -> float:
    """z for 'band b churns more than band a'."""
    pooled = (churned_a + churned_b) / (size_a + size_b)
    spread = np.sqrt(pooled * (1 - pooled) * (1 / size_a + 1 / size_b))
    if spread == 0:
        return 0.0
    return float((churned_b / size_b - churned_a / size_a) / spread)


def _log_likelihood(churned: list[int], sizes: list[int]) -> float:
    total = 0.0
    for c, n in zip(churned, sizes, strict=True):
        for k in (c, n - c):
            if k:
                total += k * np.log(k / n)
    return total


def propose_bands(scores: np.ndarray, y: np.ndarray, base: tuple[Band, ...]) -> BandProposal:
    """``scores`` are 0-100 health scores (higher is healthier), NaN where an account had no data."""
    known = ~np.isnan(scores)
    scores, y = scores[known], y[known]
    count = len(base)
    floor = min_band_size(len(scores))
    if len(scores) < count * floor:
        return BandProposal(
            base, False, f"{len(scores)} scored accounts cannot fill {count} bands of at least {floor} accounts"
        )
    candidates = sorted({round(float(np.percentile(scores, q))) for q in QUANTILES} - {0}, reverse=True)
    best: tuple[float, tuple[int, ...]] | None = None
    for cuts in combinations(candidates, count - 1):
        edges = [np.inf, *cuts, -np.inf]
        members = [(scores < edges[i]) & (scores >= edges[i + 1]) for i in range(count)]
        sizes = [int(m.sum()) for m in members]
        if min(sizes) < floor:
            continue
        churned = [int(y[m].sum()) for m in members]
        steps = [_separation(churned[i], sizes[i], churned[i + 1], sizes[i + 1]) for i in range(count - 1)]
        if min(steps) < MIN_SEPARATION:
            continue
        fit = _log_likelihood(churned, sizes)
        if best is None or fit > best[0]:
            best = (fit, cuts)
    if best is None:
        return BandProposal(
            base,
            False,
            f"no {count} bands of at least {floor} accounts each churn clearly more than the band above them",
        )
    mins = [*best[1], 0]
    return BandProposal(tuple(Band(name=b.name, min=float(m)) for b, m in zip(base, mins, strict=True)), True)


def band_of(score: float, bands: tuple[Band, ...]) -> str:
    return next(b.name for b in bands if score >= b.min)
