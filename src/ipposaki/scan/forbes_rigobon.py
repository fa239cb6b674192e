"""Contagion or interdependence: the Forbes–Rigobon (2002) heteroskedasticity-adjusted correlation.

Correlations rise mechanically when the source market's volatility rises, so a higher
New York -> Tokyo correlation in a crisis is not by itself evidence of contagion. Forbes and
Rigobon (2002, "No contagion, only interdependence", Journal of Finance 57(5), 2223-2261)
adjust the crisis correlation for the rise in the source's variance:

``rho* = rho_c / sqrt(1 + delta (1 - rho_c^2))``,  ``delta = var_c(x) / var_t(x) - 1``

with ``x`` the source market's returns, ``c`` the crisis window and ``t`` the tranquil window
before it. Contagion is a rise of ``rho*`` above the tranquil correlation ``rho_t``.

**The test.** Fisher's z applied to ``rho*`` as if it were a correlation of ``n_c`` pairs is far
too conservative: ``rho*`` is estimated more precisely than that, because the crisis's larger
variance of ``x`` pins down the slope. Simulated under the null (``y = b x + e`` in both
windows, ``x`` twice as volatile in the crisis, normal errors, 4,000 draws) it rejected
0.6-2.4% of the time at a nominal 5% (``tests/test_forbes_rigobon.py``; about 5% with
Student-t(5) errors, where a second bias offsets the first). So the same hypothesis is tested in an
equivalent form: with OLS slope ``b`` and residual standard deviation ``s_e`` in each window,
``rho*^2 = psi_c^2 s_xt^2 / (1 + psi_c^2 s_xt^2)`` and ``rho_t^2 = psi_t^2 s_xt^2 / (1 +
psi_t^2 s_xt^2)`` with ``psi = b / s_e``, so ``rho* > rho_t`` exactly when ``psi_c > psi_t``.
The statistic is ``t = (psi_c - psi_t) / sqrt(v_c + v_t)`` with jackknife (leave-one-pair-out)
variances ``v``, one-sided against Student's t with ``n_c - 2`` degrees of freedom; its
simulated rejection rate at 5% is 3.6-5.1% with normal errors and 3.6-7.6% with Student-t(5)
errors, for crisis windows of 20 and 60 pairs. Fisher's z is kept as ``fisher_p_value`` for
comparison with published tables.

Returns are paired across the two exchanges' calendars as in ``spillover align``: each Tokyo
session's return with the return of the last New York session that closed before it opened, so
New York's news reaches Tokyo in the same pair (non-synchronous trading handled by alignment,
not by averaging over two days). The crisis window of a scanned episode starts at its first
Tokyo session and holds ``crisis`` pairs (default 20, about a month: a five-session episode is
too short for a correlation); the tranquil window is the ``tranquil`` pairs just before it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ipposaki._typing import DateLike
from ipposaki.crossmarket import align_sessions
from ipposaki.errors import InputError
from ipposaki.panel import build_panel
from ipposaki.results import Result, Summary, freeze, versions
from ipposaki.store import Store
from ipposaki.study.statistics import TestResult

__all__ = ["CorrelationTest", "aligned_returns", "correlation_test", "episode_contagion"]


#: The null hypothesis of the Forbes-Rigobon test, in words.
FR_NULL = (
    "no contagion: the crisis correlation adjusted for the source's variance is not above the "
    "tranquil one"
)
#: The papers the test follows.
FR_REFERENCE = (
    "Forbes and Rigobon (2002), with a jackknife t test (see ipposaki.scan.forbes_rigobon)"
)


@dataclass(frozen=True)
class CorrelationTest(Result):
    """One Forbes–Rigobon test: tranquil, crisis and adjusted correlations, t and p.

    Attributes
    ----------
    rho_tranquil, rho_crisis, rho_adjusted : float
        The tranquil and crisis correlations, and the crisis one adjusted for the rise in the
        source's variance.
    delta : float
        The source's crisis variance over its tranquil variance, minus one.
    t_stat, p_value : float
        The jackknife t statistic and its one-sided p-value (see the module).
    fisher_p_value : float
        Fisher's z p-value, for comparison with published tables.
    nobs_tranquil, nobs_crisis : int
        Complete pairs in each window.
    """

    rho_tranquil: float
    rho_crisis: float
    delta: float
    rho_adjusted: float
    t_stat: float
    p_value: float
    fisher_p_value: float
    nobs_tranquil: int
    nobs_crisis: int

    @property
    def test(self) -> TestResult:
        """The t test as a :class:`~ipposaki.study.statistics.TestResult` (one-sided p)."""
        return TestResult(
            test="forbes_rigobon",
            basket="",
            window="",
            statistic=self.t_stat,
            p_value=self.p_value,
            df=float(self.nobs_crisis - 2),
            nobs=self.nobs_crisis,
            distribution=f"t({self.nobs_crisis - 2})",
            null=FR_NULL,
            reference=FR_REFERENCE,
        )

    @property
    def summary(self) -> Summary:
        """One line in words."""
        verdict = "contagion" if self.p_value < 0.05 else "no contagion, only interdependence"
        return Summary.of(
            f"correlation {self.rho_tranquil:.2f} tranquil (n={self.nobs_tranquil}) -> "
            f"{self.rho_crisis:.2f} crisis (n={self.nobs_crisis}), "
            f"{self.rho_adjusted:.2f} adjusted "
            f"for the source's variance (x{1 + self.delta:.1f}); t={self.t_stat:.2f}, "
            f"p={self.p_value:.3f}: {verdict} at 5%"
        )

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: the test, its null, distribution and reference, and the versions."""
        test = self.test
        return freeze(
            {
                "test": test.test,
                "null": test.null,
                "alternative": "the adjusted crisis correlation is above the tranquil one",
                "distribution": test.distribution,
                "reference": test.reference,
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``correlation_test``: one row with every attribute."""
        return {"correlation_test": pd.DataFrame([asdict(self)])}


def _psi(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """OLS slope over residual standard deviation, and its jackknife variance."""
    n = len(x)
    xc, yc = x - x.mean(), y - y.mean()
    b = (xc @ yc) / (xc @ xc)
    resid = yc - b * xc
    psi = b / math.sqrt((resid @ resid) / (n - 2))
    # Leave-one-pair-out sums give every jackknife estimate at once.
    m = n - 1
    sx, sy = x.sum() - x, y.sum() - y
    sxx = (x @ x) - x * x - sx**2 / m
    sxy = (x @ y) - x * y - sx * sy / m
    syy = (y @ y) - y * y - sy**2 / m
    b_i = sxy / sxx
    psi_i = b_i / np.sqrt((syy - b_i * sxy) / (m - 2))
    return float(psi), float(m / n * ((psi_i - psi_i.mean()) ** 2).sum())


def _corr(x: np.ndarray, y: np.ndarray) -> float:
    xc, yc = x - x.mean(), y - y.mean()
    return float((xc @ yc) / math.sqrt((xc @ xc) * (yc @ yc)))


def correlation_test(
    x_crisis: np.ndarray, y_crisis: np.ndarray, x_tranquil: np.ndarray, y_tranquil: np.ndarray
) -> CorrelationTest:
    """Forbes–Rigobon test of a rise in correlation from a tranquil to a crisis window.

    Parameters
    ----------
    x_crisis, y_crisis : numpy.ndarray
        Source and target returns in the crisis window (pairs with a NaN are dropped).
    x_tranquil, y_tranquil : numpy.ndarray
        The same in the tranquil window.

    Returns
    -------
    CorrelationTest
        The correlations, the variance ratio minus one (``delta``), the t statistic and one-sided
        p-value of ``rho_adjusted > rho_tranquil`` (see the module), and Fisher's z p-value.

    Raises
    ------
    InputError
        If a window has fewer than 5 complete pairs or a constant series.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=300); y = 0.5 * x + rng.normal(size=300)
    >>> t = correlation_test(3 * x[:60], 1.5 * x[:60] + rng.normal(size=60), x[60:], y[60:])
    >>> t.rho_crisis > t.rho_adjusted  # the adjustment removes the variance effect
    True
    """
    pairs = []
    for name, x, y in (("crisis", x_crisis, y_crisis), ("tranquil", x_tranquil, y_tranquil)):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        keep = ~(np.isnan(x) | np.isnan(y))
        x, y = x[keep], y[keep]
        if len(x) < 5 or np.ptp(x) == 0 or np.ptp(y) == 0:
            raise InputError(name, f"{len(x)} pairs", "at least 5 complete, non-constant pairs")
        pairs.append((x, y))
    (xc, yc), (xt, yt) = pairs
    rho_c, rho_t = _corr(xc, yc), _corr(xt, yt)
    delta = float(np.var(xc, ddof=1) / np.var(xt, ddof=1) - 1.0)
    rho_adj = rho_c / math.sqrt(1.0 + delta * (1.0 - rho_c**2))
    n_c, n_t = len(xc), len(xt)
    se = math.sqrt(1.0 / (n_c - 3) + 1.0 / (n_t - 3))
    z = (math.atanh(min(rho_adj, 1 - 1e-15)) - math.atanh(min(rho_t, 1 - 1e-15))) / se
    (psi_c, v_c), (psi_t, v_t) = _psi(xc, yc), _psi(xt, yt)
    t_stat = (psi_c - psi_t) / math.sqrt(v_c + v_t)
    return CorrelationTest(
        rho_tranquil=rho_t,
        rho_crisis=rho_c,
        delta=delta,
        rho_adjusted=rho_adj,
        t_stat=t_stat,
        p_value=float(stats.t.sf(t_stat, n_c - 2)),
        fisher_p_value=float(stats.norm.sf(z)),
        nobs_tranquil=n_t,
        nobs_crisis=n_c,
    )


def aligned_returns(
    store: Store,
    start: DateLike,
    end: DateLike,
    source: tuple[str, str] = ("XNYS", "^GSPC"),
    target: tuple[str, str] = ("XTKS", "^TOPX"),
) -> pd.DataFrame:
    """Each target session's return with the last source session's return before it opened.

    As in ``spillover align``: when the source was closed between two target sessions, both
    are paired with the same source return; when the target was closed, the source sessions in
    between are not paired.

    Parameters
    ----------
    store : Store
        The price store.
    start, end : date-like
        Target sessions.
    source, target : tuple of (exchange, symbol)
        The two markets, e.g. New York's S&P 500 and Tokyo's TOPIX.

    Returns
    -------
    pandas.DataFrame
        Indexed by target_session: source_session, x (source return), y (target return).
    """
    align = align_sessions(source[0], target[0], start, end)
    lo = align["source_session"].min()
    y = build_panel(store, target[0], [target[1]], align.index[0], align.index[-1]).returns
    x = build_panel(store, source[0], [source[1]], lo, align["source_session"].max()).returns
    out = align[["source_session"]].copy()
    out["x"] = x[source[1]].reindex(out["source_session"]).to_numpy()
    out["y"] = y[target[1]].reindex(out.index).to_numpy()
    return out


def episode_contagion(
    store: Store,
    episodes: pd.DataFrame,
    source: tuple[str, str] = ("XNYS", "^GSPC"),
    target: tuple[str, str] = ("XTKS", "^TOPX"),
    crisis: int = 20,
    tranquil: int = 250,
) -> pd.DataFrame:
    """The Forbes–Rigobon test for each scanned episode.

    Parameters
    ----------
    store : Store
        The price store.
    episodes : pandas.DataFrame
        A scan's episodes (rank, start, sessions).
    source, target : tuple of (exchange, symbol)
        The markets whose correlation is tested.
    crisis, tranquil : int
        Pairs in the crisis window (from the episode's first target session) and in the
        tranquil window just before it.

    Returns
    -------
    pandas.DataFrame
        rank, start, sessions, crisis_start, nobs_tranquil, nobs_crisis, rho_tranquil, rho_crisis,
        delta, rho_adjusted, t_stat, p_value, fisher_p_value, contagion (p_value < 0.05); episodes
        without enough data are left out.
    """
    for name, value, low in (("crisis", crisis, 5), ("tranquil", tranquil, 5)):
        if not isinstance(value, int) or value < low:
            raise InputError(name, value, f"an integer >= {low}")
    cols = ["rank", "start", "sessions", "crisis_start", "nobs_tranquil", "nobs_crisis"]
    cols += ["rho_tranquil", "rho_crisis", "delta", "rho_adjusted", "t_stat", "p_value"]
    cols += ["fisher_p_value", "contagion"]
    if episodes.empty:
        return pd.DataFrame(columns=cols)
    where = episodes["start"].str.split(" ")
    days = pd.to_datetime(where.str[1])
    on_source = (where.str[0] == source[0]).to_numpy()
    lo = days.min() - pd.Timedelta(days=int(tranquil * 1.6) + 30)
    hi = days.max() + pd.Timedelta(days=int(crisis * 1.6) + 30)
    pairs = aligned_returns(store, lo, hi, source, target)
    index = pairs.index
    rows = []
    src = pairs["source_session"].to_numpy()
    for ep, day, from_source in zip(episodes.itertuples(index=False), days, on_source, strict=True):
        # The first target session the episode reaches: the day itself on the target, or the
        # first target session that follows the source's start session.
        first = int(
            np.searchsorted(src, np.datetime64(day), "left")
            if from_source
            else index.searchsorted(day)
        )
        if first < tranquil or first + crisis > len(index):
            continue
        calm = pairs.iloc[first - tranquil : first][["x", "y"]].to_numpy(dtype=float)
        hot = pairs.iloc[first : first + crisis][["x", "y"]].to_numpy(dtype=float)
        try:
            test = correlation_test(hot[:, 0], hot[:, 1], calm[:, 0], calm[:, 1])
        except InputError:
            continue  # too few prices in one window
        rows.append(
            {
                "rank": ep.rank,
                "start": ep.start,
                "sessions": ep.sessions,
                "crisis_start": index[first],
                **{k: getattr(test, k) for k in cols[4:-1]},
                "contagion": test.p_value < 0.05,
            }
        )
    return pd.DataFrame(rows, columns=cols)
