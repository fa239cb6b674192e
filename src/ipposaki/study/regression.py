"""Cross-sectional regressions of CAR on firm characteristics, with robust standard errors.

``CAR_i = c + sum_k g_k z_ik + u_i`` by OLS in closed form. Covariances:

* ``nonrobust``: ``s^2 (Z'Z)^{-1}``;
* ``HC1`` (White 1980 with the ``n / (n - p)`` correction):
  ``n/(n-p) (Z'Z)^{-1} Z' diag(u_i^2) Z (Z'Z)^{-1}``;
* ``HC3`` (MacKinnon and White 1985): ``u_i^2`` divided by ``(1 - h_ii)^2``, ``h_ii`` the leverage.

t statistics use t(n - p). The tests check these against statsmodels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ipposaki.errors import InputError
from ipposaki.results import Result, Summary, SummaryTable, freeze, versions

__all__ = ["CovType", "CrossSectionResult", "car_regression"]

CovType = Literal["nonrobust", "HC1", "HC3"]


@dataclass(frozen=True, eq=False)
class CrossSectionResult(Result):
    """Read-only result of :func:`car_regression`.

    It follows the results protocol (:class:`ipposaki.results.Result`): :attr:`summary`, a
    read-only :attr:`manifest`, :meth:`frames` (``params``, the coefficients with a ``term``
    column, then ``data``, the rows used) and :meth:`to_dir`.

    Attributes
    ----------
    cov_type : str
        Covariance estimator.
    nobs : int
        Observations used.
    r2 : float
        R-squared.
    """

    _table: pd.DataFrame
    _data: pd.DataFrame
    cov_type: str
    nobs: int
    r2: float
    dropped: tuple[str, ...]

    @property
    def params(self) -> pd.DataFrame:
        """One row per coefficient (index ``term``): coef, std_err, t_stat, p_value, ci_low,
        ci_high."""
        return self._table.copy()

    @property
    def data(self) -> pd.DataFrame:
        """The rows used (CAR and characteristics), for scatter plots."""
        return self._data.copy()

    @property
    def summary(self) -> Summary:
        """The model in a line, then the coefficient table (four decimals)."""
        head = f"CAR regression ({self.cov_type} SEs), n = {self.nobs}, R^2 = {self.r2:.3f}"
        if self.dropped:
            head += f"; dropped for missing values: {', '.join(self.dropped)}"
        return Summary.of(head, SummaryTable(self._table, index=True, digits=4))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: covariance estimator, terms, observations, R-squared, rows dropped for
        missing values, versions."""
        return freeze(
            {
                "cov_type": self.cov_type,
                "terms": [str(t) for t in self._table.index],
                "nobs": int(self.nobs),
                "r2": float(self.r2),
                "dropped": self.dropped,
                "versions": versions(),
            }
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``params`` (the coefficients, the term a column) and ``data`` (the rows used)."""
        return {"params": self._table.reset_index(), "data": self.data}


def car_regression(
    data: pd.DataFrame,
    y: str,
    x: list[str],
    cov_type: CovType = "HC1",
    id_column: str | None = "symbol",
) -> CrossSectionResult:
    """Regress ``y`` (a CAR column) on characteristics ``x`` with an intercept.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per firm-event.
    y : str
        The dependent column, e.g. ``"car"``.
    x : list of str
        Characteristic columns, e.g. ``["china_share", "log_size", "beta"]``.
    cov_type : {"nonrobust", "HC1", "HC3"}, default "HC1"
        Covariance estimator.
    id_column : str, optional
        Column naming each row, used to list rows dropped for missing values.

    Returns
    -------
    CrossSectionResult
        Coefficients with standard errors, t statistics, p-values and 95% intervals.

    Raises
    ------
    InputError
        For an unknown column or covariance type, or too few rows.
    """
    if cov_type not in ("nonrobust", "HC1", "HC3"):
        raise InputError("cov_type", cov_type, "one of nonrobust, HC1, HC3")
    for col in [y, *x]:
        if col not in data.columns:
            raise InputError("column", col, f"one of {list(data.columns)}")
    used = data[[y, *x]].apply(pd.to_numeric, errors="coerce")
    ok = used.notna().all(axis=1).to_numpy()
    dropped = tuple(str(v) for v in data.loc[~ok, id_column]) if id_column in data else ()
    z = np.column_stack([np.ones(ok.sum()), used.loc[ok, x].to_numpy(dtype=float)])
    yy = used.loc[ok, y].to_numpy(dtype=float)
    n, p = z.shape
    if n <= p:
        raise InputError("data", f"{n} usable rows", f"more than {p} rows for {p} coefficients")
    ztz_inv = np.linalg.inv(z.T @ z)
    coef = ztz_inv @ z.T @ yy
    u = yy - z @ coef
    if cov_type == "nonrobust":
        cov = ztz_inv * (u @ u / (n - p))
    else:
        weights = u**2
        if cov_type == "HC1":
            weights = weights * n / (n - p)
        else:
            h = np.einsum("ij,jk,ik->i", z, ztz_inv, z)
            weights = weights / (1.0 - h) ** 2
        cov = ztz_inv @ (z.T * weights) @ z @ ztz_inv
    se = np.sqrt(np.diag(cov))
    t = coef / se
    crit = stats.t.ppf(0.975, n - p)
    table = pd.DataFrame(
        {
            "coef": coef,
            "std_err": se,
            "t_stat": t,
            "p_value": 2 * stats.t.sf(np.abs(t), n - p),
            "ci_low": coef - crit * se,
            "ci_high": coef + crit * se,
        },
        index=pd.Index(["const", *x], name="term"),
    )
    r2 = 1.0 - (u @ u) / np.sum((yy - yy.mean()) ** 2)
    return CrossSectionResult(table, data.loc[ok].reset_index(drop=True), cov_type, n, r2, dropped)
