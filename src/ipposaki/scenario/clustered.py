"""OLS with standard errors clustered by group, for few clusters.

With ``G`` clusters (here: announcements) and observations that share a shock within a cluster,
heteroskedasticity-robust errors (HC1) treat correlated observations as independent and are far
too small. Two clustered estimators:

* **CR1** (Liang–Zeger with the small-sample factor of Stata and statsmodels'
  ``cov_type="cluster"``): ``V = c (X'X)^-1 [sum_g X_g' e_g e_g' X_g] (X'X)^-1`` with
  ``c = G/(G-1) (n-1)/(n-k)``, and t tests with ``G - 1`` degrees of freedom.
* **CR2** (Bell and McCaffrey 2002): each cluster's residuals are first multiplied by
  ``A_g = (I - H_gg)^(-1/2)``, the symmetric inverse square root of one minus its block of the hat
  matrix (a pseudo-inverse where ``I - H_gg`` is singular, as Pustejovsky and Tipton 2018 do),
  which makes ``V`` unbiased when the errors are independent and homoskedastic. Its t tests use
  the Bell–McCaffrey degrees of freedom as written by Imbens and Kolesár (2016, eq. 11):
  for a coefficient ``l'b``, with ``G_g = (I - H)_g' A_g X_g (X'X)^-1 l`` stacked into the
  ``n x G`` matrix ``G``, ``df = (sum of the eigenvalues of G'G)^2 / (sum of their squares)``.
  With two or three clusters this is often below 2, and the interval is wide: that is the
  honest answer when a handful of events carries the evidence.

References: Bell, R. M. and McCaffrey, D. F. (2002), Survey Methodology 28(2), 169-181;
Imbens, G. W. and Kolesár, M. (2016), Review of Economics and Statistics 98(4), 701-712;
Pustejovsky, J. E. and Tipton, E. (2018), Journal of Business & Economic Statistics 36(4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ClusterCov", "ClusteredOLS", "clustered_ols"]

ClusterCov = Literal["CR1", "CR2"]


@dataclass(frozen=True)
class ClusteredOLS:
    """An OLS fit with clustered errors.

    Attributes
    ----------
    params : pandas.DataFrame
        One row per term: ``coef``, ``std_err``, ``df``, ``t_stat``, ``p_value``, ``ci_low``,
        ``ci_high`` (two-sided, Student t with ``df`` degrees of freedom, 95%).
    cov : pandas.DataFrame
        The clustered covariance of the coefficients.
    cov_type : str
        ``"CR1"`` or ``"CR2"``.
    nobs : int
        Observations.
    clusters : int
        Clusters.
    """

    params: pd.DataFrame
    cov: pd.DataFrame
    cov_type: str
    nobs: int
    clusters: int

    def predict_se(self, x: Sequence[float]) -> float:
        """Standard error of ``x'b`` (e.g. ``(1, s)`` for the fitted value at ``s``)."""
        v = np.asarray(x, dtype=float)
        return float(np.sqrt(max(v @ self.cov.to_numpy() @ v, 0.0)))


def _inv_sqrt_psd(m: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Symmetric (pseudo-)inverse square root of a positive semi-definite matrix."""
    w, v = np.linalg.eigh((m + m.T) / 2.0)
    inv = np.where(w > tol, 1.0 / np.sqrt(np.clip(w, tol, None)), 0.0)
    return (v * inv) @ v.T


def clustered_ols(
    y: Sequence[float] | np.ndarray,
    x: pd.DataFrame,
    groups: Sequence[object] | np.ndarray,
    cov_type: ClusterCov = "CR2",
    level: float = 0.95,
) -> ClusteredOLS:
    """Fit ``y = X b + e`` by OLS and cluster the errors by ``groups``.

    Parameters
    ----------
    y : array-like
        The dependent variable.
    x : pandas.DataFrame
        The regressors, with their names (include a constant column to fit an intercept).
    groups : array-like
        The cluster of each observation.
    cov_type : {"CR2", "CR1"}, default "CR2"
        CR2 with Bell–McCaffrey degrees of freedom, or CR1 with ``G - 1``.
    level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    ClusteredOLS
        Coefficients, clustered standard errors, degrees of freedom, tests and intervals.

    Raises
    ------
    ValueError
        For an unknown ``cov_type``, mismatched lengths, fewer than two clusters, or a
        regressor matrix without full column rank.
    """
    if cov_type not in ("CR1", "CR2"):
        raise ValueError(f"cov_type={cov_type!r} is not allowed: expected 'CR1' or 'CR2'")
    X = x.to_numpy(dtype=float)
    yv = np.asarray(y, dtype=float)
    g = np.asarray(groups)
    n, k = X.shape
    if len(yv) != n or len(g) != n:
        raise ValueError(
            f"y, x and groups must have the same length (got {len(yv)}, {n}, {len(g)})"
        )
    labels = list(dict.fromkeys(g.tolist()))
    if len(labels) < 2:
        raise ValueError(f"groups holds {len(labels)} cluster(s): expected at least 2")
    if np.linalg.matrix_rank(X) < k:
        raise ValueError("the regressors are collinear (X has less than full column rank)")
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ yv
    e = yv - X @ beta
    index = [np.flatnonzero(g == lab) for lab in labels]
    n_g = len(labels)
    cov, df = (_cr1 if cov_type == "CR1" else _cr2)(X, e, bread, index)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = beta / se
    p = 2.0 * stats.t.sf(np.abs(t), df)
    crit = stats.t.ppf(0.5 + level / 2.0, df)
    names = [str(c) for c in x.columns]
    params = pd.DataFrame(
        {
            "coef": beta,
            "std_err": se,
            "df": df,
            "t_stat": t,
            "p_value": p,
            "ci_low": beta - crit * se,
            "ci_high": beta + crit * se,
        },
        index=pd.Index(names, name="term"),
    )
    return ClusteredOLS(
        params=params,
        cov=pd.DataFrame(cov, index=names, columns=names),
        cov_type=cov_type,
        nobs=n,
        clusters=n_g,
    )


def _cr1(
    X: np.ndarray, e: np.ndarray, bread: np.ndarray, index: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """CR1: the cluster sandwich with the small-sample factor, and ``G - 1`` degrees of freedom.

    Parameters
    ----------
    X : numpy.ndarray
        (n, k) regressors.
    e : numpy.ndarray
        (n,) OLS residuals.
    bread : numpy.ndarray
        (k, k) ``(X'X)^-1``.
    index : list of numpy.ndarray
        Each cluster's rows.

    Returns
    -------
    cov : numpy.ndarray
        (k, k) covariance of the coefficients.
    df : numpy.ndarray
        (k,) degrees of freedom.
    """
    n, k = X.shape
    n_g = len(index)
    meat = sum(np.outer(X[i].T @ e[i], X[i].T @ e[i]) for i in index)
    cov = (n_g / (n_g - 1)) * ((n - 1) / (n - k)) * bread @ meat @ bread
    return cov, np.full(k, float(n_g - 1))


def _cr2(
    X: np.ndarray, e: np.ndarray, bread: np.ndarray, index: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """CR2 (Bell-McCaffrey): residuals adjusted by ``(I - H_gg)^(-1/2)``, with their df.

    Parameters
    ----------
    X, e, bread, index
        As in :func:`_cr1`.

    Returns
    -------
    cov : numpy.ndarray
        (k, k) covariance of the coefficients.
    df : numpy.ndarray
        (k,) Bell-McCaffrey degrees of freedom of each coefficient.
    """
    n, k = X.shape
    hat = X @ bread @ X.T
    resid_maker = np.eye(n) - hat
    adjust = [_inv_sqrt_psd(np.eye(len(i)) - hat[np.ix_(i, i)]) for i in index]
    meat = np.zeros((k, k))
    for i, a in zip(index, adjust, strict=True):
        u = X[i].T @ (a @ e[i])
        meat += np.outer(u, u)
    cov = bread @ meat @ bread
    df = np.empty(k)
    for j in range(k):
        columns = [
            resid_maker[:, i] @ (a @ (X[i] @ bread[:, j]))
            for i, a in zip(index, adjust, strict=True)
        ]
        gm = np.column_stack(columns)
        lam = np.linalg.eigvalsh(gm.T @ gm)
        df[j] = lam.sum() ** 2 / (lam**2).sum()
    return cov, df


#: Webb's (2014) six-point weights: +-sqrt(3/2), +-1, +-sqrt(1/2), each with probability 1/6.
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def wild_cluster_p(
    y: Sequence[float] | np.ndarray,
    x: pd.DataFrame,
    groups: Sequence[object] | np.ndarray,
    term: str,
    max_enumerate: int = 6**6,
    draws: int = 9_999,
    seed: int = 0,
) -> float:
    """Restricted wild cluster bootstrap p-value of ``term = 0`` with Webb weights (WCR).

    The model is refitted without ``term``; each bootstrap sample keeps its fitted values and
    multiplies each cluster's restricted residuals by one Webb weight; the statistic is the CR1
    t of ``term``. With ``6^G <= max_enumerate`` every weight vector is used once (an exact
    enumeration: no randomness), else ``draws`` random ones from ``seed``. The p-value is the
    share of bootstrap ``|t*|`` at least the observed ``|t|`` (Cameron, Gelbach and Miller
    2008; Webb 2014, for as few as 5 clusters; with 3 the bootstrap distribution has at most
    216 distinct points, so p-values are coarse).

    Raises
    ------
    ValueError
        As :func:`clustered_ols`, or for a ``term`` not among ``x``'s columns.
    """
    if term not in x.columns:
        raise ValueError(f"term={term!r} is not allowed: expected one of {list(x.columns)}")
    X = x.to_numpy(dtype=float)
    yv = np.asarray(y, dtype=float)
    g = np.asarray(groups)
    labels = list(dict.fromkeys(g.tolist()))
    code = np.array([labels.index(v) for v in g.tolist()])
    n, k = X.shape
    n_g = len(labels)
    j = list(x.columns).index(term)
    observed = clustered_ols(yv, x, g, "CR1").params
    t_obs = abs(float(observed["t_stat"].to_numpy()[j]))
    keep = [c for c in range(k) if c != j]
    xr = X[:, keep]
    fitted = xr @ np.linalg.lstsq(xr, yv, rcond=None)[0] if keep else np.zeros(n)
    resid = yv - fitted
    if 6**n_g <= max_enumerate:
        grid = np.stack(np.meshgrid(*[np.arange(6)] * n_g, indexing="ij"), -1).reshape(-1, n_g)
        weights = WEBB[grid]
    else:
        weights = np.random.default_rng(seed).choice(WEBB, size=(draws, n_g))
    ys = fitted[None, :] + weights[:, code] * resid[None, :]  # (B, n)
    bread = np.linalg.inv(X.T @ X)
    betas = ys @ (X @ bread)  # (B, k): rows b* = (X'X)^-1 X' y*
    es = ys - betas @ X.T
    scale = (n_g / (n_g - 1)) * ((n - 1) / (n - k))
    # CR1 variance of coefficient j: scale * sum_g (c' X_g' e_g)^2, c = row j of the bread.
    h = X @ bread[:, j]  # (n,)
    per_cluster = np.zeros((len(ys), n_g))
    np.add.at(per_cluster.T, code, (es * h[None, :]).T)
    se = np.sqrt(scale * (per_cluster**2).sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.abs(betas[:, j] / se)
    return float(np.mean(t_star >= t_obs - 1e-12))
