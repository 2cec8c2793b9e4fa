"""The success metrics: each defined once, its formula in its docstring and beside every figure it produces.

``compute`` answers one period, ``trend`` the same metrics over consecutive calendar periods. Both read
the core tables directly and take their dates from the caller; nothing here reads the clock.
"""

from metrics.model import Metric, MetricsError, MetricsReport
from metrics.periods import last_complete, last_full_quarter, quarter_of
from metrics.report import KEYS, compute, trend

__all__ = [
    "KEYS",
    "Metric",
    "MetricsError",
    "MetricsReport",
    "compute",
    "last_complete",
    "last_full_quarter",
    "quarter_of",
    "trend",
]
