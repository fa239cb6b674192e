"""The event-study tests: one import for the battery's public names.

The battery lives in modules named after what they hold:

* :mod:`ipposaki.study.hypotheses`: :class:`TestResult` (what a test reports), each test's
  null hypothesis and reference, the tests' names;
* :mod:`ipposaki.study.sums`: the per-pair arrays (:class:`PairStats`) and the additive
  per-day sums (:class:`TimeSums`) of a group of pairs;
* :mod:`ipposaki.study.ranks`: ranks within rows and the generalized rank test's sums;
* :mod:`ipposaki.study.battery`: the tests themselves, their formulas (its docstring gives
  every one) and :func:`run_battery`.

Every name this module exported before the split is still importable from it.
"""

from __future__ import annotations

from ipposaki.study.battery import _daily_variance as _daily_variance
from ipposaki.study.battery import _grank as _grank
from ipposaki.study.battery import _ratio as _ratio
from ipposaki.study.battery import _two_sided_t as _two_sided_t
from ipposaki.study.battery import _wilcoxon as _wilcoxon
from ipposaki.study.battery import run_battery
from ipposaki.study.hypotheses import NULLS, REFERENCES, TEST_NAMES, TestResult
from ipposaki.study.ranks import _ranks_zero as _ranks_zero
from ipposaki.study.ranks import grank_sums
from ipposaki.study.sums import PairStats, TimeSums, pair_stats_est, time_sums

__all__ = [
    "NULLS",
    "REFERENCES",
    "TEST_NAMES",
    "PairStats",
    "TestResult",
    "TimeSums",
    "grank_sums",
    "pair_stats_est",
    "run_battery",
    "time_sums",
]
