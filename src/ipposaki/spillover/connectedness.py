"""Diebold-Yilmaz connectedness from a VAR's generalized forecast-error variance decomposition.

A VAR(p) with an intercept is fitted by least squares to N series; its moving-average
coefficients follow by the recursion ``A_0 = I``, ``A_h = sum_{l=1}^{min(h, p)} Phi_l A_{h-l}``.
The generalized forecast-error variance decomposition at horizon H (Koop, Pesaran and Potter
1996; Pesaran and Shin 1998), as used by Diebold and Yilmaz (2012), is::

    theta_ij(H) = s_jj^-1 sum_{h=0}^{H-1} (e_i' A_h S e_j)^2 / sum_{h=0}^{H-1} e_i' A_h S A_h' e_i

with S the residual covariance. Its rows need not sum to one, so each row is divided by its
sum: ``theta~_ij = theta_ij / sum_j theta_ij``. It does not depend on the order of the series.
In percent (x 100):

* FROM_i = sum_{j != i} theta~_ij (what i receives), TO_j = sum_{i != j} theta~_ij (gives);
* NET_i = TO_i - FROM_i; the net pairwise spillover from i to j is theta~_ji - theta~_ij;
* the total index is sum_{i != j} theta~_ij / N.

The rolling version fits each window's VAR from running sums of the normal equations (no
statsmodels loop), so thousands of windows take seconds.

References
----------
Diebold, F. X. and Yilmaz, K. (2009). Measuring financial asset return and volatility spillovers,
with application to global equity markets. The Economic Journal 119, 158-171.
Diebold, F. X. and Yilmaz, K. (2012). Better to give than to receive: Predictive directional
measurement of volatility spillovers. International Journal of Forecasting 28, 57-66.
Koop, G., Pesaran, M. H. and Potter, S. M. (1996). Impulse response analysis in nonlinear
multivariate models. Journal of Econometrics 74, 119-147.
Pesaran, H. H. and Shin, Y. (1998). Generalized impulse response analysis in linear
multivariate models. Economics Letters 58, 17-29.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ipposaki.errors import DataWarning, InputError
from ipposaki.results import Result, Summary, SummaryTable, freeze, versions

if TYPE_CHECKING:
    from ipposaki._typing import DateLike
    from ipposaki.store import Store

__all__ = [
    "Connectedness",
    "RollingConnectedness",
    "connectedness",
    "connectedness_returns",
    "gfevd",
    "ma_coefficients",
    "read_returns",
    "rolling_connectedness",
    "rolling_var",
]

#: How the store loader lines up two exchanges' returns (shown in summaries).
ALIGNMENT_NOTE = (
    "non-synchronous trading: each {target} session's row holds {target}'s close-to-close "
    "returns and {source}'s returns compounded over the {source} sessions that closed before "
    "that {target} session opened (as in `spillover align`), so {source}'s part of a row is "
    "known before {target}'s"
)


def ma_coefficients(coefs: np.ndarray, horizon: int) -> np.ndarray:
    """Moving-average coefficients ``A_0 .. A_{H-1}`` of a VAR, for one or many VARs at once.

    Parameters
    ----------
    coefs : numpy.ndarray
        Lag matrices ``Phi_1 .. Phi_p``, shape ``(..., p, N, N)``; ``Phi_l[i, j]`` is the effect
        of series j at lag l on series i.
    horizon : int
        H, the number of MA matrices returned (h = 0 .. H - 1).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., H, N, N)``, ``A_0 = I`` and ``A_h = sum_l Phi_l A_{h-l}``.
    """
    *batch, p, n, _ = coefs.shape
    out = np.zeros((*batch, horizon, n, n))
    out[..., 0, :, :] = np.eye(n)
    for h in range(1, horizon):
        acc = np.zeros((*batch, n, n))
        for lag in range(1, min(h, p) + 1):
            acc += coefs[..., lag - 1, :, :] @ out[..., h - lag, :, :]
        out[..., h, :, :] = acc
    return out


def gfevd(ma: np.ndarray, sigma: np.ndarray, normalize: bool = True) -> np.ndarray:
    """Generalized forecast-error variance decomposition (Pesaran-Shin), for all i, j at once.

    Parameters
    ----------
    ma : numpy.ndarray
        MA coefficients ``(..., H, N, N)`` from :func:`ma_coefficients`.
    sigma : numpy.ndarray
        Residual covariance ``(..., N, N)``.
    normalize : bool, default True
        Divide each row by its sum (Diebold-Yilmaz 2012), so rows sum to 1.

    Returns
    -------
    numpy.ndarray
        ``theta[..., i, j]``: the share of series i's H-step forecast-error variance due to
        shocks to series j.
    """
    a_sigma = ma @ sigma[..., None, :, :]  # (..., H, N, N): e_i' A_h S e_j
    num = (a_sigma**2).sum(axis=-3) / np.diagonal(sigma, axis1=-2, axis2=-1)[..., None, :]
    # e_i' A_h S A_h' e_i = sum_j (A_h S)_ij (A_h)_ij
    den = (a_sigma * ma).sum(axis=(-3, -1))
    theta = num / den[..., :, None]
    if normalize:
        theta = theta / theta.sum(axis=-1, keepdims=True)
    return theta


def _spillovers(share: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """TO, FROM, NET (``(..., N)``) and the total index (``(...)``), in percent."""
    n = share.shape[-1]
    off = share * (1.0 - np.eye(n))
    to = off.sum(axis=-2) * 100.0
    frm = off.sum(axis=-1) * 100.0
    return to, frm, to - frm, frm.sum(axis=-1) / n


def _check_int(value: object, name: str, low: int) -> int:
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise InputError(name, value, f"an integer >= {low}") from None
    if number < low:
        raise InputError(name, value, f"an integer >= {low}")
    return number


def _check_returns(returns: pd.DataFrame, lags: int, need: int | None = None) -> np.ndarray:
    """The data as a float array: at least two columns, finite, enough rows for the VAR."""
    if not isinstance(returns, pd.DataFrame):
        raise InputError("returns", type(returns).__name__, "a pandas DataFrame, one column each")
    if returns.shape[1] < 2:
        raise InputError("returns", f"{returns.shape[1]} column(s)", "at least two series")
    if returns.columns.duplicated().any():
        dup = list(returns.columns[returns.columns.duplicated()])
        raise InputError("returns", f"duplicate columns {dup}", "one column per series")
    try:
        values = returns.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise InputError("returns", "non-numeric columns", "numbers only") from None
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        raise InputError(
            "returns",
            f"{int(bad.sum())} row(s) with missing or infinite values",
            "complete rows (drop or fill them first)",
        )
    spread = np.ptp(values, axis=0) if len(values) else np.ones(values.shape[1])
    flat = [str(c) for c, v in zip(returns.columns, spread, strict=True) if v == 0]
    if flat:
        raise InputError("returns", f"constant column(s) {flat}", "series that vary")
    n = values.shape[1]
    rows = need if need is not None else len(values)
    # VAR(p) with an intercept: rows - p observations, 1 + N p coefficients per equation.
    if rows - lags <= 1 + n * lags:
        what = "window" if need is not None else "returns"
        raise InputError(
            what,
            rows if need is not None else f"{rows} rows",
            f"more than {lags + 1 + n * lags} rows for a VAR({lags}) of {n} series",
        )
    if need is not None and need > len(values):
        raise InputError("window", need, f"at most the {len(values)} rows of returns")
    return values


def _labels(columns: pd.Index) -> list[str]:
    return [str(c) for c in columns]


def _frozen_manifest(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
    """``manifest`` read-only, with the versions of the software that made it."""
    return freeze({**manifest, "versions": manifest.get("versions") or versions()})


@dataclass(frozen=True, eq=False)
class RollingConnectedness(Result):
    """Read-only rolling connectedness: one VAR per window, labelled by its last row.

    Attributes
    ----------
    lags, horizon, window, step : int
        VAR order, forecast horizon, window length (rows) and step between windows.

    Notes
    -----
    :meth:`to_dir` writes ``rolling.csv`` (:attr:`frame`), ``rolling.png`` (the total index
    over time), ``summary.txt`` and ``manifest.json``.
    """

    _total: pd.Series
    _to: pd.DataFrame
    _from: pd.DataFrame
    lags: int
    horizon: int
    window: int
    step: int
    _manifest: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_manifest", _frozen_manifest(self._manifest))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: series, lags, horizon, window, step, number of windows, where the returns
        came from, and the versions."""
        return self._manifest

    @property
    def total(self) -> pd.Series:
        """Total connectedness index per window, percent."""
        return self._total.copy()

    @property
    def to(self) -> pd.DataFrame:
        """Directional TO others per window (rows) and series (columns), percent."""
        return self._to.copy()

    @property
    def from_(self) -> pd.DataFrame:
        """Directional FROM others per window and series, percent."""
        return self._from.copy()

    @property
    def net(self) -> pd.DataFrame:
        """Net spillovers (TO - FROM) per window and series, percent."""
        return self._to - self._from

    @property
    def frame(self) -> pd.DataFrame:
        """Tidy table: ``end`` (the window's last row), ``total``, and ``to:X``, ``from:X``,
        ``net:X`` for each series X."""
        parts: list[pd.Series | pd.DataFrame] = [
            self._total.rename("total").to_frame(),
            self._to.add_prefix("to:"),
            self._from.add_prefix("from:"),
            self.net.add_prefix("net:"),
        ]
        out = pd.concat(parts, axis=1)
        out.index.name = "end"
        return out.reset_index()

    @property
    def summary(self) -> Summary:
        """Window setup and the total index's range."""
        return Summary.of("\n".join(self._summary_lines()))

    def _summary_lines(self) -> list[str]:
        t = self._total
        return [
            f"Rolling connectedness: VAR({self.lags}), horizon {self.horizon}, window "
            f"{self.window}, step {self.step}, {len(t)} windows ending {t.index[0]}..{t.index[-1]}",
            f"Total index: mean {t.mean():.2f}%, min {t.min():.2f}% ({t.idxmin()}), "
            f"max {t.max():.2f}% ({t.idxmax()}), last {t.iloc[-1]:.2f}%",
        ]

    def frames(self) -> dict[str, pd.DataFrame]:
        """``rolling``: :attr:`frame`."""
        return {"rolling": self.frame}

    def write_extra(self, folder: Path) -> list[Path]:
        """``rolling.png``: the total index over time (:meth:`chart`)."""
        return [self.chart(folder / "rolling.png")]

    def chart(self, path: str | Path) -> Path:
        """Draw the total index over time as a PNG (matplotlib's Agg canvas, no display).

        Parameters
        ----------
        path : str or pathlib.Path
            The PNG file to write.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        total = self._total
        fig = Figure(figsize=(9, 4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        try:
            x: Any = pd.DatetimeIndex(total.index)
        except (ValueError, TypeError):
            x = range(len(total))
        ax.plot(x, total.to_numpy(), color="#1f4e79", linewidth=1.2)
        ax.set_ylabel("total connectedness, %")
        ax.set_title(
            f"Rolling total connectedness: VAR({self.lags}), H={self.horizon}, "
            f"window {self.window}, step {self.step}"
        )
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        return Path(path)


@dataclass(frozen=True, eq=False)
class Connectedness(Result):
    """Read-only Diebold-Yilmaz (2012) connectedness of one VAR.

    Attributes
    ----------
    lags : int
        VAR order p.
    horizon : int
        Forecast horizon H.
    nobs : int
        Observations in the VAR (rows minus p).
    rolling : RollingConnectedness or None
        The rolling index over the same returns, when one was attached
        (``dataclasses.replace(res, rolling=...)``, as ``spillover connectedness --window``
        does): its table, summary and chart join this result's.

    Notes
    -----
    :meth:`to_dir` writes ``table.csv``, ``pairwise.csv``, ``directional.csv`` (and with
    :attr:`rolling`, ``rolling.csv`` and ``rolling.png``), ``summary.txt`` and
    ``manifest.json``.
    """

    _share: pd.DataFrame
    lags: int
    horizon: int
    nobs: int
    _manifest: Mapping[str, Any] = field(default_factory=dict)
    rolling: RollingConnectedness | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_manifest", _frozen_manifest(self._manifest))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: series, lags, horizon, nobs, span, where the returns came from and how
        they were aligned, the versions, and with :attr:`rolling`, its ``window``, ``step``
        and ``windows``."""
        if self.rolling is None:
            return self._manifest
        r = self.rolling
        rolling = {"window": r.window, "step": r.step, "windows": len(r.total)}
        return freeze({**self._manifest, "rolling": rolling})

    @property
    def fevd(self) -> pd.DataFrame:
        """Normalised GFEVD shares (rows: receivers, columns: senders); rows sum to 1."""
        return self._share.copy()

    @property
    def total(self) -> float:
        """Total connectedness index, percent: the mean of the FROM column."""
        return float(_spillovers(self._share.to_numpy())[3])

    @property
    def directional(self) -> pd.DataFrame:
        """One row per series: ``to``, ``from`` and ``net`` (to - from) spillovers, percent."""
        to, frm, net, _ = _spillovers(self._share.to_numpy())
        index = pd.Index(self._share.index, name="series")
        return pd.DataFrame({"to": to, "from": frm, "net": net}, index=index)

    @property
    def pairwise(self) -> pd.DataFrame:
        """Net pairwise spillovers, one row per pair (i before j in column order).

        Columns ``series``, ``other``, ``to_other`` (theta~_ji, percent), ``from_other``
        (theta~_ij) and ``net`` (to_other - from_other: positive when ``series`` transmits more
        to ``other`` than it receives from it).
        """
        share = self._share.to_numpy() * 100.0
        names = list(self._share.columns)
        i, j = np.triu_indices(len(names), k=1)
        return pd.DataFrame(
            {
                "series": [names[a] for a in i],
                "other": [names[b] for b in j],
                "to_other": share[j, i],
                "from_other": share[i, j],
                "net": share[j, i] - share[i, j],
            }
        )

    @property
    def pairwise_matrix(self) -> pd.DataFrame:
        """Net pairwise spillovers as an antisymmetric matrix: ``[i, j]`` is i's net to j."""
        share = self._share.to_numpy() * 100.0
        return pd.DataFrame(share.T - share, index=self._share.index, columns=self._share.columns)

    @property
    def table(self) -> pd.DataFrame:
        """The spillover table of Diebold and Yilmaz (2012), percent.

        Rows are receivers and columns senders, with a ``FROM`` column (from others), a ``TO``
        row (to others; its FROM cell is the sum), a ``TO incl. own`` row (its FROM cell is the
        total index) and a ``NET`` row (to - from).
        """
        share = self._share.to_numpy() * 100.0
        to, frm, net, total = _spillovers(self._share.to_numpy())
        names = list(self._share.columns)
        body = np.column_stack([share, frm])
        rows = np.vstack(
            [
                body,
                np.append(to, to.sum()),
                np.append(to + np.diag(share), total),
                np.append(net, np.nan),
            ]
        )
        return pd.DataFrame(
            rows,
            index=pd.Index([*names, "TO", "TO incl. own", "NET"], name="receiver"),
            columns=pd.Index([*names, "FROM"], name="sender"),
        )

    @property
    def summary(self) -> Summary:
        """The table, rounded to two decimals, with the total index and the setup (and the
        rolling index's, with :attr:`rolling`)."""
        m = self._manifest
        head = (
            f"Connectedness (Diebold-Yilmaz 2012, generalized FEVD): VAR({self.lags}), "
            f"horizon {self.horizon}, {self.nobs} observations"
        )
        if m.get("start") is not None:
            head += f", {m['start']}..{m['end']}"
        tail = [f"Total index {self.total:.2f}%"]
        if m.get("alignment"):
            tail.append(str(m["alignment"]))
        rolling = self.rolling
        return Summary.of(
            head,
            SummaryTable(self.table, index=True, digits=2),
            "\n".join(tail),
            "\n".join(rolling._summary_lines()) if rolling is not None else None,
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``table`` (:attr:`table`, receivers as a column), ``pairwise``, ``directional``
        (series as a column) and, with :attr:`rolling`, ``rolling``."""
        out = {
            "table": self.table.reset_index(),
            "pairwise": self.pairwise,
            "directional": self.directional.reset_index(),
        }
        if self.rolling is not None:
            out |= self.rolling.frames()
        return out

    def write_extra(self, folder: Path) -> list[Path]:
        """``rolling.png`` when the result has a rolling index (:attr:`rolling`)."""
        return [] if self.rolling is None else [self.rolling.chart(folder / "rolling.png")]


def _fit_statsmodels(values: np.ndarray, lags: int) -> tuple[np.ndarray, np.ndarray, int]:
    from statsmodels.tsa.api import VAR

    res = VAR(values).fit(lags, trend="c")
    return np.asarray(res.coefs), np.asarray(res.sigma_u), int(res.nobs)


def connectedness(
    returns: pd.DataFrame, lags: int = 1, horizon: int = 10, manifest: dict[str, Any] | None = None
) -> Connectedness:
    """Diebold-Yilmaz (2012) connectedness of a VAR(p) fitted to ``returns``.

    Parameters
    ----------
    returns : pandas.DataFrame
        Rows in time order, one column per series (returns or log volatilities), no missing
        values.
    lags : int, default 1
        VAR order p (with an intercept; fitted by statsmodels' ``VAR``).
    horizon : int, default 10
        Forecast horizon H (MA terms h = 0 .. H - 1).
    manifest : dict, optional
        Extra provenance kept in the result's manifest.

    Returns
    -------
    Connectedness
        The table, total index, directional and pairwise spillovers.

    Raises
    ------
    InputError
        For fewer than two series, missing values, a constant series, too few rows, or
        lags/horizon below 1.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> data = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    >>> res = connectedness(data, lags=1, horizon=10)
    >>> list(res.table.columns)
    ['a', 'b', 'c', 'FROM']
    >>> bool(np.allclose(res.fevd.sum(axis=1), 1.0))
    True
    """
    lags = _check_int(lags, "lags", 1)
    horizon = _check_int(horizon, "horizon", 1)
    values = _check_returns(returns, lags)
    coefs, sigma, nobs = _fit_statsmodels(values, lags)
    share = gfevd(ma_coefficients(coefs, horizon), sigma)
    names = _labels(returns.columns)
    frame = pd.DataFrame(
        share,
        index=pd.Index(names, name="receiver"),
        columns=pd.Index(names, name="sender"),
    )
    info: dict[str, Any] = {
        "series": names,
        "lags": lags,
        "horizon": horizon,
        "nobs": nobs,
        "start": str(returns.index[0]) if len(returns) else None,
        "end": str(returns.index[-1]) if len(returns) else None,
    }
    info.update(manifest or {})
    for key in ("start", "end"):
        if isinstance(info[key], str) and info[key].endswith(" 00:00:00"):
            info[key] = info[key][:10]
    return Connectedness(frame, lags, horizon, nobs, info)


def rolling_var(
    values: np.ndarray, lags: int, window: int, step: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares VAR(p) with an intercept on every window, from running normal equations.

    Window w holds rows ``starts[w] .. starts[w] + window - 1`` (the last window ends at the
    last row; earlier ones every ``step`` rows before it) and uses its own first p rows
    as the lags of its first observation, exactly as fitting statsmodels' ``VAR`` to that
    slice. The data are centred on their full-sample means first (the slopes and residuals
    of a VAR with an intercept do not change), which keeps the running sums accurate.

    Parameters
    ----------
    values : numpy.ndarray
        ``(T, N)`` data without missing values.
    lags : int
        VAR order p.
    window : int
        Rows per window.
    step : int, default 1
        Rows between window starts.

    Returns
    -------
    starts : numpy.ndarray
        First row of each window, ``(W,)``.
    intercepts : numpy.ndarray
        ``(W, N)`` intercepts on the original (uncentred) scale.
    coefs : numpy.ndarray
        ``(W, p, N, N)`` lag matrices.
    sigma : numpy.ndarray
        ``(W, N, N)`` residual covariances, divided by ``window - p - (1 + N p)`` as statsmodels'
        ``sigma_u``.
    """
    t, n = values.shape
    mean = values.mean(axis=0)
    z = values - mean
    # Observation rows t = p .. T-1: x_t = [1, z_{t-1}, ..., z_{t-p}], y_t = z_t.
    x = np.concatenate(
        [np.ones((t - lags, 1))] + [z[lags - lag : t - lag] for lag in range(1, lags + 1)], axis=1
    )
    y = z[lags:]
    m = x.shape[1]
    starts = np.arange((t - window) % step, t - window + 1, step)  # the last window ends at T
    # Prefix sums over observations: P[k] = sum of the first k observations' products.
    xy = np.concatenate([x, y], axis=1)
    cross = np.zeros((t - lags + 1, m + n, m + n))
    np.cumsum(xy[:, :, None] * xy[:, None, :], axis=0, out=cross[1:])
    # Window w's observations are rows starts[w] + p .. starts[w] + window - 1 of the data,
    # i.e. observation indices starts[w] .. starts[w] + window - p - 1.
    sums = cross[starts + window - lags] - cross[starts]
    xtx, xty, yty = sums[:, :m, :m], sums[:, :m, m:], sums[:, m:, m:]
    try:
        beta = np.linalg.solve(xtx, xty)  # (W, m, N)
    except np.linalg.LinAlgError:  # some window is singular: solve one by one, NaN for those
        beta = np.full(xty.shape, np.nan)
        for w in range(len(starts)):
            try:
                beta[w] = np.linalg.solve(xtx[w], xty[w])
            except np.linalg.LinAlgError:
                pass
    dof = window - lags - m
    sigma = (yty - np.swapaxes(beta, -1, -2) @ xty) / dof
    sigma = (sigma + np.swapaxes(sigma, -1, -2)) / 2.0
    slopes = beta[:, 1:, :].reshape(len(starts), lags, n, n)  # [w, l, j, i]
    coefs = np.swapaxes(slopes, -1, -2)  # Phi_l[i, j]
    intercepts = beta[:, 0, :] + mean - np.einsum("wlij,j->wi", coefs, mean)
    return starts, intercepts, coefs, sigma


def rolling_connectedness(
    returns: pd.DataFrame,
    lags: int = 1,
    horizon: int = 10,
    window: int = 250,
    step: int = 1,
    manifest: dict[str, Any] | None = None,
) -> RollingConnectedness:
    """Connectedness over rolling windows: the total index and directional spillovers.

    Parameters
    ----------
    returns : pandas.DataFrame
        Rows in time order, one column per series, no missing values.
    lags : int, default 1
        VAR order p.
    horizon : int, default 10
        Forecast horizon H.
    window : int, default 250
        Rows per window (the VAR uses ``window - lags`` observations).
    step : int, default 1
        Rows between consecutive windows.
    manifest : dict, optional
        Extra provenance kept in the result's manifest.

    Returns
    -------
    RollingConnectedness
        One row per window, labelled by the window's last row; the last window ends at the last
        row of ``returns``.

    Raises
    ------
    InputError
        For bad lags, horizon, window or step, missing values, or a window longer than the data
        or too short for the VAR.

    Warns
    -----
    DataWarning
        When some window's VAR is singular (a series constant within it, or collinear series):
        that window's indices are NaN.
    """
    lags = _check_int(lags, "lags", 1)
    horizon = _check_int(horizon, "horizon", 1)
    window = _check_int(window, "window", 2)
    step = _check_int(step, "step", 1)
    values = _check_returns(returns, lags, need=window)
    starts, _, coefs, sigma = rolling_var(values, lags, window, step)
    to, frm, _, total = _spillovers(_rolling_shares(values, starts, coefs, sigma, horizon, window))
    names = _labels(returns.columns)
    ends = returns.index[starts + window - 1]
    index = pd.Index(ends, name="end")
    info: dict[str, Any] = {
        "series": names,
        "lags": lags,
        "horizon": horizon,
        "window": window,
        "step": step,
        "windows": len(starts),
    }
    info.update(manifest or {})
    return RollingConnectedness(
        pd.Series(total, index=index, name="total"),
        pd.DataFrame(to, index=index, columns=names),
        pd.DataFrame(frm, index=index, columns=names),
        lags,
        horizon,
        window,
        step,
        info,
    )


def _rolling_shares(
    values: np.ndarray,
    starts: np.ndarray,
    coefs: np.ndarray,
    sigma: np.ndarray,
    horizon: int,
    window: int,
) -> np.ndarray:
    """Each window's generalized FEVD shares, NaN for a window whose VAR is singular.

    Parameters
    ----------
    values : numpy.ndarray
        (T, N) returns.
    starts : numpy.ndarray
        (W,) first row of each window.
    coefs, sigma : numpy.ndarray
        (W, p, N, N) VAR coefficients and (W, N, N) residual covariances, per window.
    horizon : int
        Forecast horizon H.
    window : int
        Rows per window.

    Returns
    -------
    numpy.ndarray
        (W, N, N) shares, computed in chunks that bound the (chunk, H, N, N) temporaries.

    Warns
    -----
    DataWarning
        When some window has a series constant in it or non-finite shares, pointing at the
        caller of :func:`rolling_connectedness`.
    """
    shares = np.empty((len(starts), values.shape[1], values.shape[1]))
    chunk = max(1, 2_000_000 // (horizon * values.shape[1] ** 2))  # (chunk, H, N, N) temporaries
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo in range(0, len(starts), chunk):
            hi = lo + chunk
            shares[lo:hi] = gfevd(ma_coefficients(coefs[lo:hi], horizon), sigma[lo:hi])
    windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)[starts]
    flat = (np.ptp(windows, axis=-1) == 0).any(axis=-1)  # a series constant in the window
    singular = flat | ~np.isfinite(shares).all(axis=(1, 2))
    if singular.any():
        warnings.warn(
            f"{int(singular.sum())} of {len(starts)} windows have a singular VAR (a series "
            "constant, or series collinear, within the window); their indices are NaN",
            DataWarning,
            stacklevel=3,
        )
        shares[singular] = np.nan
    return shares


def connectedness_returns(
    store: Store,
    symbols: list[str],
    start: DateLike | None = None,
    end: DateLike | None = None,
    source: str = "XNYS",
    target: str = "XTKS",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Daily returns of stored symbols, on one exchange or aligned across two.

    Symbols listed on one exchange give that exchange's close-to-close returns. Symbols on
    ``source`` and ``target`` (New York and Tokyo) give rows on ``target``'s sessions: the
    target symbols' returns beside the source symbols' returns compounded over the source
    sessions that closed before the target session opened (:func:`spillover_data`, as in
    ``spillover align``). Rows with any missing return are dropped.

    Parameters
    ----------
    store : Store
        The price store.
    symbols : list of str
        Stored symbols, at least two.
    start, end : date-like, optional
        Sessions (of ``target`` when two exchanges are involved).
    source, target : str, default "XNYS", "XTKS"
        Exchanges whose sessions are aligned when the symbols span two.

    Returns
    -------
    tuple[pandas.DataFrame, dict]
        The returns (sessions x symbols, in the given order) and a manifest saying how they
        were aligned and how many rows were dropped.

    Raises
    ------
    InputError
        For fewer than two symbols, symbols on other exchanges, or no complete rows.
    UnknownNameError
        For a symbol that is not stored.
    """
    from ipposaki.errors import UnknownNameError
    from ipposaki.panel import build_panel

    symbols = list(dict.fromkeys(symbols))
    if len(symbols) < 2:
        raise InputError("symbols", ",".join(symbols), "at least two distinct symbols")
    stored = store.symbols()
    for sym in symbols:
        if sym not in stored:
            raise UnknownNameError("symbol", sym, stored)
    home = store.instruments().set_index("symbol")["exchange"]
    exchanges = {sym: str(home.get(sym, "") or "") for sym in symbols}
    places = sorted({e for e in exchanges.values() if e})
    info: dict[str, Any] = {"symbols": symbols}
    if len(places) <= 1:
        exchange = places[0] if places else target
        panel = build_panel(store, exchange, symbols, start, end)
        frame = panel.returns[symbols]
        info["exchange"] = exchange
        info["alignment"] = f"returns on {exchange} sessions (one exchange: no alignment needed)"
    else:
        frame = _aligned(store, exchanges, start, end, source, target)
        info["alignment"] = ALIGNMENT_NOTE.format(source=source, target=target)
        info["source"], info["target"] = source, target
    complete = frame.notna().all(axis=1)
    first = complete.idxmax() if complete.any() else None
    frame = frame.loc[first:] if first is not None else frame
    dropped = int((~frame.notna().all(axis=1)).sum())
    frame = frame.dropna()
    if frame.empty:
        raise InputError("symbols", ",".join(symbols), "symbols with common sessions of data")
    info["dropped_rows"] = dropped
    frame.index = pd.DatetimeIndex(frame.index).strftime("%Y-%m-%d")
    frame.index.name = "session"
    return frame, info


def _aligned(
    store: Store,
    exchanges: dict[str, str],
    start: DateLike | None,
    end: DateLike | None,
    source: str,
    target: str,
) -> pd.DataFrame:
    """Symbols on two exchanges on ``target``'s sessions (see :func:`connectedness_returns`).

    Parameters
    ----------
    store : Store
        The price store.
    exchanges : dict of str to str
        Each symbol's exchange (``""`` when unknown: read as a driver), in the given order.
    start, end : date-like or None
        Target sessions; default from 1990 to today.
    source, target : str
        The earlier and the later exchange.

    Returns
    -------
    pandas.DataFrame
        Target sessions x symbols, in the order of ``exchanges``.

    Raises
    ------
    InputError
        For a symbol on another exchange.
    """
    from ipposaki.spillover.data import spillover_data

    if {e for e in exchanges.values() if e} - {source, target}:
        raise InputError(
            "symbols",
            ",".join(f"{s} ({e})" for s, e in exchanges.items()),
            f"symbols on {source} and {target} only (set source/target)",
        )
    symbols = list(exchanges)
    drivers = [s for s in symbols if exchanges[s] in ("", source)]
    targets = [s for s in symbols if exchanges[s] == target]
    lo = start if start is not None else "1990-01-01"
    hi = end if end is not None else pd.Timestamp.today().normalize()
    data = spillover_data(store, source, target, targets, drivers, lo, hi)
    return pd.concat([data.x[drivers], data.y[targets]], axis=1)[symbols]


def read_returns(path: str | Path) -> pd.DataFrame:
    """Read a returns table: a CSV whose first column labels the rows (dates), then one numeric
    column per series. Rows with a missing value are kept (the fit refuses them by name).

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.

    Returns
    -------
    pandas.DataFrame
        Rows in file order, one float column per series.

    Raises
    ------
    InputError
        If the file cannot be read, has fewer than two series, or a non-numeric value.
    """
    file = Path(path)
    if not file.is_file():
        raise InputError("returns", str(path), "an existing CSV file")
    try:
        frame = pd.read_csv(file, index_col=0)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError("returns", str(path), f"a readable CSV ({exc})") from None
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            raise InputError("returns", f"{path}: column {col!r}", "numbers in every column")
    return frame.astype(float)
