"""What a test of the battery reports: :class:`TestResult`, with each test's null hypothesis
and reference (:data:`NULLS`, :data:`REFERENCES`) and the tests' names (:data:`TEST_NAMES`).

The formulas are in :mod:`ipposaki.study.battery`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

__all__ = ["NULLS", "REFERENCES", "TEST_NAMES", "TestResult"]

REFERENCES: dict[str, str] = {
    "t_cross_section": "cross-sectional t test",
    "brown_warner_1980": "Brown and Warner (1980), J. Financial Economics 8:205-258",
    "brown_warner_1985": "Brown and Warner (1985), J. Financial Economics 14:3-31",
    "patell": "Patell (1976), J. Accounting Research 14(2):246-276",
    "bmp": "Boehmer, Musumeci and Poulsen (1991), J. Financial Economics 30(2):253-272",
    "kolari_pynnonen": "Kolari and Pynnönen (2010), Review of Financial Studies 23(11):3996-4025",
    "lamb": "Lamb (1995), J. Risk and Insurance 62(1):111-123",
    "sign": "sign test (binomial, p = 0.5)",
    "generalized_sign": "Cowan (1992), Review of Quantitative Finance and Accounting 2:343-358",
    "corrado_rank": "Corrado (1989), J. Financial Economics 23(2):385-395",
    "modified_rank": "Campbell and Wasley (1993), J. Financial Economics 33(1):73-92",
    "corrado_sign": (
        "Corrado and Zivney (1992), J. Financial and Quantitative Analysis 27(3):465-478"
    ),
    "wilcoxon": "Wilcoxon (1945) signed-rank test",
    "grank": "Kolari and Pynnönen (2011), J. Empirical Finance 18(5):953-971",
}
#: The null hypothesis of each test.
NULLS: dict[str, str] = {
    "t_cross_section": "the mean CAR over the window is zero (CARs independent across pairs)",
    "brown_warner_1980": (
        "the mean CAR is zero, with each pair's variance from its estimation residuals "
        "(independent pairs)"
    ),
    "brown_warner_1985": (
        "the portfolio's cumulative abnormal return is zero, with its variance from the "
        "portfolio's estimation-window residuals"
    ),
    "patell": "every standardised CAR has mean zero (independent pairs, no event-induced variance)",
    "bmp": "the mean standardised CAR is zero (event-induced variance allowed)",
    "kolari_pynnonen": (
        "the mean standardised CAR is zero, allowing event-induced variance and "
        "cross-correlation between pairs"
    ),
    "lamb": "the portfolio's abnormal return is zero, with the prediction-error adjustment",
    "sign": "positive and negative CARs are equally likely",
    "generalized_sign": (
        "the share of positive CARs equals the share of positive estimation residuals"
    ),
    "corrado_rank": "event-window ARs rank like estimation-window ARs (mean rank in the middle)",
    "modified_rank": (
        "event-window ARs rank like estimation-window ARs (standardised ranks average 1/2)"
    ),
    "corrado_sign": "event-window ARs fall above the pair's median as often as below it",
    "wilcoxon": "the CARs are symmetric about zero (median CAR zero)",
    "grank": (
        "standardised CARs rank like standardised estimation residuals (allowing "
        "cross-correlation and event-induced variance)"
    ),
}
TEST_NAMES: tuple[str, ...] = tuple(REFERENCES)


@dataclass(frozen=True)
class TestResult:
    """One test of one window in one basket.

    Attributes
    ----------
    test : str
        Test name (see :data:`TEST_NAMES`).
    basket, window : str
        Basket of pairs (``"all"``: every pair) and window (``"k:k"`` for a single day).
    statistic, p_value : float
        The statistic and its two-sided p-value.
    df : float
        Degrees of freedom (NaN where the distribution has none).
    nobs : int
        Pairs used.
    distribution : str
        Null distribution, e.g. ``"t(24)"`` or ``"N(0,1)"``.
    null : str
        The null hypothesis.
    reference : str
        The paper the test follows.
    z : float
        The standardised statistic where the test reports another one (Wilcoxon's ``W+``);
        NaN otherwise.
    """

    test: str
    basket: str
    window: str
    statistic: float
    p_value: float
    df: float
    nobs: int
    distribution: str
    null: str
    reference: str
    z: float = float("nan")

    @classmethod
    def many(cls, rows: Iterable[tuple[Any, ...]]) -> list[TestResult]:
        """Results from rows holding every field's value in order (``z`` too).

        The same objects as the constructor's, made without its per-field
        ``object.__setattr__`` calls (a frozen dataclass's cost: 2.4 µs a result against
        0.6 µs; a small study makes hundreds).

        Examples
        --------
        >>> row = ("sign", "all", "0:0", 1.5, 0.13, float("nan"), 10, "N(0,1)", "n", "r", 0.0)
        >>> TestResult.many([row]) == [TestResult(*row)]
        True
        """
        names = [f.name for f in fields(cls)]
        made = []
        for row in rows:
            result = object.__new__(cls)
            result.__dict__.update(zip(names, row, strict=True))
            made.append(result)
        return made
