"""One block of pairs: read its windows, fit the model, take the abnormal returns and sums.

The engine (:mod:`ipposaki.study.engine`) cuts a study's pairs into blocks and runs each one
with :func:`run_chunk`, here or on a cluster (:mod:`ipposaki.study.distributed`); a block
returns per-pair arrays and per-group sums that add up across blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ipposaki.study.garch import GARCH_MODELS, GarchFit, fit_garch_pairs
from ipposaki.study.measures import abnormal_volatility
from ipposaki.study.membership import Member, scaled
from ipposaki.study.models import Fit, ModelName, fit_model
from ipposaki.study.pages import small_pages
from ipposaki.study.results import StudyParameters
from ipposaki.study.statistics import TimeSums, pair_stats_est, time_sums

__all__ = ["Chunk", "ChunkContext", "ChunkJob", "run_chunk"]


class _PaddedReturns:
    """A (symbols, sessions) returns matrix, padded: windows read through a sliding view.

    Each pair's window is one contiguous slice of its symbol's row of the (symbols, sessions)
    matrix, copied in a single fancy-indexing pass. The matrix is not copied: a window that
    starts before the first session or ends after the last one (rare: the planner excludes
    pairs whose own windows leave the data) is read element by element, NaN outside.
    """

    def __init__(self, by_symbol: np.ndarray, pad: int) -> None:
        self.matrix = np.ascontiguousarray(by_symbol, dtype=np.float64)
        self.t, self.pad = by_symbol.shape[1], pad

    def take(self, cols: np.ndarray, starts: np.ndarray, width: int, ok: np.ndarray) -> np.ndarray:
        """(n, width) returns of columns ``cols`` from sessions ``starts``; NaN where not ok."""
        inside = (starts >= 0) & (starts + width <= self.t) & (cols >= 0)
        if inside.all():
            view = np.lib.stride_tricks.sliding_window_view(self.matrix, width, axis=1)
            out = view[cols, starts]
        else:
            out = np.full((len(starts), width), np.nan)
            if self.t >= width and inside.any():
                view = np.lib.stride_tricks.sliding_window_view(self.matrix, width, axis=1)
                out[inside] = view[cols[inside], starts[inside]]
            edge = np.flatnonzero(~inside & (cols >= 0))
            if len(edge):
                at = starts[edge, None] + np.arange(width)[None, :]
                held = (at >= 0) & (at < self.t)
                values = self.matrix[cols[edge, None], np.clip(at, 0, max(self.t - 1, 0))]
                out[edge] = np.where(held, values, np.nan)
        listed = cols >= 0
        if not (listed.all() and ok.all()):  # usually every day of every window is read
            out[~(ok & listed[:, None])] = np.nan
        return out


def _factor_windows(
    factors: np.ndarray, starts: np.ndarray, width: int, ok: np.ndarray, pad: int
) -> np.ndarray:
    """(n, width, k) factor returns for windows starting at ``starts``."""
    padded = np.full((factors.shape[1], factors.shape[0] + 2 * pad), np.nan)
    padded[:, pad : pad + factors.shape[0]] = factors.T
    view = np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)
    first = np.clip(starts + pad, 0, view.shape[1] - 1)
    out = np.moveaxis(view[:, first], 0, -1).copy()
    out[~ok] = np.nan
    return out


def _regressors(
    model: ModelName,
    windows: _PaddedReturns,
    factors: np.ndarray | None,
    starts: np.ndarray,
    width: int,
    mcol: np.ndarray,
    ok: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(n, W, k) regressors and the (n, W) market return for a window."""
    market = (
        windows.take(mcol, starts, width, ok)
        if (mcol >= 0).any()
        else np.full((len(starts), width), np.nan)
    )
    if model == "factor" and factors is not None:
        return _factor_windows(factors, starts, width, ok, windows.pad), market
    return market[..., None], market


@dataclass(frozen=True)
class ChunkContext:
    """What every block of pairs shares: the window geometry and the parameters."""

    rel: np.ndarray
    width: int
    pad: int
    weights: np.ndarray
    factor_names: tuple[str, ...]
    params: StudyParameters
    corr_origin: int = 0
    corr_span: int = 0
    #: Processes for the per-pair GARCH fits inside a block (1 on a cluster's workers).
    fit_workers: int = 1
    #: Whether the study is large enough to run without the huge-page advice (study/pages.py).
    large: bool = False


@dataclass(frozen=True)
class ChunkJob:
    """One block of pairs and its group membership matrix (groups x pairs; sparse for many
    groups, see :mod:`ipposaki.study.membership`)."""

    pairs: pd.DataFrame
    member: Member


@dataclass
class Chunk:
    """What one block of pairs contributes: per-pair arrays and per-group sums."""

    keep: np.ndarray
    reason: np.ndarray
    coef: np.ndarray
    sigma2: np.ndarray
    nobs: np.ndarray
    dof: np.ndarray
    r2: np.ndarray
    y_ev: np.ndarray
    normal: np.ndarray
    ar: np.ndarray
    sar: np.ndarray
    car: np.ndarray
    car_se: np.ndarray
    bhar: np.ndarray
    days: np.ndarray
    s2: np.ndarray
    frac_pos: np.ndarray
    n_est: np.ndarray
    sar_est: np.ndarray
    resid: np.ndarray
    m_est: np.ndarray
    m_ev: np.ndarray
    sums: list[TimeSums]
    names: tuple[str, ...]


@dataclass(frozen=True)
class _Estimation:
    """A block's estimation windows and the model fitted on them."""

    y_est: np.ndarray
    m_est: np.ndarray
    valid_est: np.ndarray
    fit: Fit
    garch: GarchFit | None


@dataclass(frozen=True)
class _EventDays:
    """A block's event windows: returns, normal returns and (standardised) abnormal returns."""

    ev_ok: np.ndarray
    y_ev: np.ndarray
    m_ev: np.ndarray
    design_ev: np.ndarray
    normal: np.ndarray
    valid_ev: np.ndarray
    ar: np.ndarray
    sar: np.ndarray
    cond_var_ev: np.ndarray | None


@dataclass(frozen=True)
class _WindowSums:
    """CAR, its standard error and valid days of every window (pairs x windows), and BHAR of
    the CAR windows (pairs x CAR windows)."""

    car: np.ndarray
    car_se: np.ndarray
    bhar: np.ndarray
    days: np.ndarray
    have: np.ndarray


def _chunk(
    pairs: pd.DataFrame,
    windows: _PaddedReturns,
    factors: np.ndarray | None,
    factor_names: tuple[str, ...],
    rel: np.ndarray,
    width: int,
    weights: np.ndarray,
    member: Member,
    params: StudyParameters,
    corr_origin: int,
    corr_span: int,
    fit_workers: int = 1,
) -> Chunk:
    est = _fit_estimation(pairs, windows, factors, factor_names, rel, width, params, fit_workers)
    ev = _event_days(pairs, windows, factors, rel, est, params.model)  # type: ignore[arg-type]
    reason = _exclusion_reasons(est, ev.valid_ev, params)
    keep = reason == ""
    sums = _window_sums(est, ev, weights, params)
    measure = getattr(params, "measure", "return")
    tested_est, ar, sar, sar_est, car, car_se = _tested_series(est, ev, sums, weights, measure)
    s2, frac_pos, n_est = pair_stats_est(tested_est)
    kept = scaled(member, keep.astype(float))
    n_daily = len(rel)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar_cars = car[:, n_daily:] / car_se[:, n_daily:]  # GRANK's windows: the CARs
    block_sums = time_sums(
        kept,
        tested_est,
        ar,
        np.where(est.valid_est, est.m_est, np.nan),
        ev.m_ev,
        est_lo=pairs["est_lo"].to_numpy(np.int64),
        # Session positions on the whole grid (a sliced block shifts pos0, not cal0).
        day0=pairs["cal0"].to_numpy(np.int64),
        origin=corr_origin,
        span=corr_span,
        scar=scar_cars if params.convention != "estudy2" else None,
        # GARCH residuals are standardised day by day: their order is not the residuals'.
        sar_est=sar_est if est.garch is not None else None,
    )
    fit, garch = est.fit, est.garch
    # estudy2's statistics need the residuals and the unmasked market; nobody else does.
    estudy2 = params.convention == "estudy2"
    return Chunk(
        keep=keep,
        reason=reason,
        coef=fit.coef if garch is None else garch.coef,
        sigma2=fit.sigma2,
        nobs=fit.nobs,
        dof=fit.dof,
        r2=fit.r2,
        y_ev=ev.y_ev,
        normal=ev.normal,
        ar=ar,
        sar=sar,
        car=car,
        car_se=car_se,
        bhar=sums.bhar,
        days=sums.days,
        s2=s2,
        frac_pos=frac_pos,
        n_est=n_est,
        sar_est=sar_est,
        resid=fit.resid if estudy2 else np.empty((len(pairs), 0)),
        m_est=est.m_est if estudy2 else np.empty((len(pairs), 0)),
        m_ev=ev.m_ev if estudy2 else np.empty((len(pairs), 0)),
        sums=block_sums,
        names=fit.names if garch is None else garch.names,
    )


def _fit_estimation(
    pairs: pd.DataFrame,
    windows: _PaddedReturns,
    factors: np.ndarray | None,
    factor_names: tuple[str, ...],
    rel: np.ndarray,
    width: int,
    params: StudyParameters,
    fit_workers: int,
) -> _Estimation:
    """Read a block's estimation windows, (pairs, L) padded to the longest, and fit the model.

    Parameters
    ----------
    pairs : pandas.DataFrame
        The block's pairs (``pos0``, ``col``, ``mcol``, ``est_lo``, ``est_hi``, ``ev_lo``).
    windows : _PaddedReturns
        The returns the windows are read from.
    factors : numpy.ndarray or None
        Sessions x factors, for the factor model.
    factor_names : tuple of str
        The factors' names.
    rel : numpy.ndarray
        Relative days of the union of the event windows.
    width : int
        Length of the longest estimation window.
    params : StudyParameters
        The study's parameters (model, thin trading, ``min_estimation_obs``).
    fit_workers : int
        Processes for the per-pair GARCH fits.

    Returns
    -------
    _Estimation
        The estimation returns, market, valid mask, fit and (GARCH models) the GARCH fit.
    """
    model: ModelName = params.model  # type: ignore[assignment]
    pos0 = pairs["pos0"].to_numpy(np.int64)
    col = pairs["col"].to_numpy(np.int64)
    mcol = pairs["mcol"].to_numpy(np.int64)
    est_lo, est_hi = pairs["est_lo"].to_numpy(np.int64), pairs["est_hi"].to_numpy(np.int64)
    est_start = pos0 + est_lo
    est_ok = np.arange(width)[None, :] <= (est_hi - est_lo)[:, None]
    y_est = windows.take(col, est_start, width, est_ok)
    reg_est, m_est = _regressors(model, windows, factors, est_start, width, mcol, est_ok)
    lag_lead = None
    if params.thin_trading != "none":
        lag_lead = (
            windows.take(mcol, est_start - 1, width, est_ok),
            windows.take(mcol, est_start + 1, width, est_ok),
        )
    garch = None
    if model in GARCH_MODELS:
        garch, fit, valid_est = _fit_garch_block(
            model,
            windows,
            pos0,
            col,
            mcol,
            est_hi,
            pairs["ev_lo"].to_numpy(np.int64),
            y_est,
            m_est,
            rel,
            params.min_estimation_obs,
            fit_workers,
        )
    else:
        fit, valid_est = fit_model(
            model,
            y_est,
            reg_est,
            m_est,
            params.thin_trading,  # type: ignore[arg-type]
            lag_lead,
            factor_names,
        )
    return _Estimation(y_est=y_est, m_est=m_est, valid_est=valid_est, fit=fit, garch=garch)


def _event_days(
    pairs: pd.DataFrame,
    windows: _PaddedReturns,
    factors: np.ndarray | None,
    rel: np.ndarray,
    est: _Estimation,
    model: ModelName,
) -> _EventDays:
    """Read a block's event windows, (pairs, W) over their union, and take the ARs.

    Parameters
    ----------
    pairs : pandas.DataFrame
        The block's pairs (``pos0``, ``col``, ``mcol``, ``est_hi``, ``ev_lo``, ``ev_hi``).
    windows : _PaddedReturns
        The returns the windows are read from.
    factors : numpy.ndarray or None
        Sessions x factors, for the factor model.
    rel : numpy.ndarray
        Relative days of the union of the event windows.
    est : _Estimation
        The block's fit.
    model : ModelName
        The normal-return model.

    Returns
    -------
    _EventDays
        Returns, normal returns, ARs and standardised ARs of the event days, with their masks;
        for the GARCH models the conditional variance of each event day.
    """
    pos0 = pairs["pos0"].to_numpy(np.int64)
    col = pairs["col"].to_numpy(np.int64)
    mcol = pairs["mcol"].to_numpy(np.int64)
    est_hi = pairs["est_hi"].to_numpy(np.int64)
    ev_lo, ev_hi = pairs["ev_lo"].to_numpy(np.int64), pairs["ev_hi"].to_numpy(np.int64)
    fit, garch = est.fit, est.garch
    ev_start = pos0 + rel[0]
    ev_ok = (rel[None, :] >= ev_lo[:, None]) & (rel[None, :] <= ev_hi[:, None])
    y_ev = windows.take(col, ev_start, len(rel), ev_ok)
    reg_ev, m_ev = _regressors(model, windows, factors, ev_start, len(rel), mcol, ev_ok)
    design_ev = np.nan_to_num(_design(model, reg_ev))
    normal = fit.normal(
        _design(model, reg_ev), m_ev if model == "market-adjusted" else np.zeros_like(y_ev)
    )
    valid_ev = ev_ok & ~np.isnan(y_ev) & ~np.isnan(normal)
    ar = np.where(valid_ev, y_ev - normal, np.nan)
    cond_var_ev = None
    if garch is not None:  # sigma_t^2 of each event day from the filtered recursion
        at = rel[None, :] - est_hi[:, None] - 1  # position on the path after the window
        cond_var_ev = np.where(
            at >= 0,
            np.take_along_axis(garch.path_var, np.clip(at, 0, garch.path_var.shape[1] - 1), 1),
            np.nan,
        )
        valid_ev &= ~np.isnan(cond_var_ev)
        ar = np.where(valid_ev, ar, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        if cond_var_ev is None:
            sar = ar / np.sqrt(fit.forecast_var(design_ev))
        else:
            sar = ar / np.sqrt(cond_var_ev)
    return _EventDays(
        ev_ok=ev_ok,
        y_ev=y_ev,
        m_ev=m_ev,
        design_ev=design_ev,
        normal=normal,
        valid_ev=valid_ev,
        ar=ar,
        sar=sar,
        cond_var_ev=cond_var_ev,
    )


def _exclusion_reasons(
    est: _Estimation, valid_ev: np.ndarray, params: StudyParameters
) -> np.ndarray:
    """Why each pair the fit cannot serve is excluded ("" for a pair kept).

    Parameters
    ----------
    est : _Estimation
        The block's fit.
    valid_ev : numpy.ndarray
        (pairs, W) event days with an abnormal return.
    params : StudyParameters
        The study's parameters (model, measure, ``min_estimation_obs``).

    Returns
    -------
    numpy.ndarray
        One reason per pair (object array).
    """
    fit, garch, y_est = est.fit, est.garch, est.y_est
    reason = np.full(len(fit.nobs), "", dtype=object)
    noun = "volumes" if getattr(params, "measure", "return") == "volume" else "returns"
    few = fit.nobs < params.min_estimation_obs
    reason[few] = [
        f"estimation window has {k} valid {noun}, fewer than min_estimation_obs="
        f"{params.min_estimation_obs}"
        for k in fit.nobs[few]
    ]
    no_estimation = params.model == "raw" and params.min_estimation_obs < 1
    bad_fit = (reason == "") & (np.isnan(fit.coef).any(axis=1) | ~np.isfinite(fit.sigma2))
    if no_estimation:
        bad_fit &= False
    reason[bad_fit] = "no fit: the estimation design is singular (e.g. a constant market series)"
    if garch is not None:  # the optimiser's own reason, where it failed
        failed = bad_fit & (garch.reason != "")
        reason[failed] = garch.reason[failed]
    # Residuals that are rounding noise (the returns are the model's: a copy of the market, a
    # constant spread) would make every standardised statistic arbitrary.
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(est.valid_est, y_est, 0.0) ** 2 @ np.ones(y_est.shape[1]) / fit.nobs
        flat = (reason == "") & ~(fit.sigma2 > 1e-12 * np.where(scale > 0, scale, 1.0))
    if no_estimation:
        flat &= False
    reason[flat] = (
        "zero residual variance: the returns equal the model's over the estimation window"
    )
    empty = (reason == "") & ~valid_ev.any(axis=1)
    reason[empty] = (
        "no abnormal return in the event window: the return or the model's regressors "
        "(market, factors) are missing on every event day"
    )
    return reason


def _window_sums(
    est: _Estimation, ev: _EventDays, weights: np.ndarray, params: StudyParameters
) -> _WindowSums:
    """CAR, its standard error, BHAR and valid days of every window at once.

    Sums over a window's days are products with the (W, K) day mask ``weights``.

    Parameters
    ----------
    est : _Estimation
        The block's fit.
    ev : _EventDays
        The block's event days.
    weights : numpy.ndarray
        (W, K) days of each window.
    params : StudyParameters
        The study's parameters (measure, ``log_returns``).

    Returns
    -------
    _WindowSums
        The windows' sums; ``have`` marks windows inside the pair's with a valid day.
    """
    valid_ev, ar = ev.valid_ev, ev.ar
    inside = (~ev.ev_ok).astype(np.float64) @ weights == 0  # window fully inside the pair's
    days = np.rint(valid_ev.astype(np.float64) @ weights).astype(np.int32)  # at most W
    have = inside & (days > 0)
    car = np.where(have, np.where(valid_ev, ar, 0.0) @ weights, np.nan)
    if ev.cond_var_ev is None:
        car_var = np.where(have, est.fit.car_var_windows(ev.design_ev, valid_ev, weights), np.nan)
    else:  # the ARs are martingale differences: their conditional variances add
        car_var = np.where(have, np.where(valid_ev, ev.cond_var_ev, 0.0) @ weights, np.nan)
    car_se = np.sqrt(car_var)
    # BHAR of the CAR windows only (the K - W after the W single days): nothing reads a
    # single day's, and at a million pairs those columns were 128 MB.
    cars = weights[:, weights.shape[0] :]
    bhar = np.full((len(car), cars.shape[1]), np.nan)  # compounding is for returns only
    if getattr(params, "measure", "return") == "return":
        ret_s = np.expm1(ev.y_ev) if params.log_returns else ev.y_ev
        norm_s = np.expm1(ev.normal) if params.log_returns else ev.normal
        with np.errstate(invalid="ignore", divide="ignore"):
            gross = np.exp(np.where(valid_ev, np.log1p(ret_s), 0.0) @ cars)
            gross_n = np.exp(np.where(valid_ev, np.log1p(norm_s), 0.0) @ cars)
        bhar = np.where(have[:, weights.shape[0] :], gross - gross_n, np.nan)
    return _WindowSums(car=car, car_se=car_se, bhar=bhar, days=days, have=have)


def _tested_series(
    est: _Estimation, ev: _EventDays, sums: _WindowSums, weights: np.ndarray, measure: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The series the battery tests: the residuals and ARs, or the measure's transforms.

    For ``measure="volatility"`` they become abnormal volatility ``AR^2 / s^2 - 1`` (windows
    average their days); otherwise they are the residuals, ARs and CARs.

    Parameters
    ----------
    est : _Estimation
        The block's fit.
    ev : _EventDays
        The block's event days.
    sums : _WindowSums
        The windows' sums.
    weights : numpy.ndarray
        (W, K) days of each window.
    measure : str
        What is studied.

    Returns
    -------
    tuple of numpy.ndarray
        The estimation-window series, AR, SAR, standardised estimation series (float32), CAR
        and its standard error.
    """
    fit, garch = est.fit, est.garch
    ar, sar, car, car_se = ev.ar, ev.sar, sums.car, sums.car_se
    tested_est = fit.resid  # what the battery's estimation-window series is
    with np.errstate(invalid="ignore", divide="ignore"):
        if garch is None:
            sar_est = (fit.resid / np.sqrt(fit.sigma2)[:, None]).astype(np.float32)
        else:
            sar_est = (fit.resid / np.sqrt(garch.cond_var)).astype(np.float32)
    if measure == "volatility":  # AV = AR^2 / s^2 - 1; windows average their days
        cond_var_ev = ev.cond_var_ev
        cond = None if garch is None or cond_var_ev is None else (garch.cond_var, cond_var_ev)
        av = abnormal_volatility(fit.resid, ar, fit.sigma2, ev.valid_ev, weights, cond_var=cond)
        tested_est, ar, sar = av["av_est"], av["av"], av["sar"]
        car = np.where(sums.have, av["car"], np.nan)
        car_se = np.where(sums.have, av["car_se"], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            sar_est = (tested_est / av["sd"][:, None]).astype(np.float32)
    return tested_est, ar, sar, sar_est, car, car_se


def run_chunk(
    job: ChunkJob, context: ChunkContext, windows: _PaddedReturns, factors: np.ndarray | None
) -> Chunk:
    """Fit and test one block of pairs on the returns held by ``windows`` (without numpy's
    huge-page advice in a large study: also on a Dask worker, where no study-wide switch
    reaches)."""
    with small_pages(active=context.large):
        return _chunk(
            job.pairs,
            windows,
            factors,
            context.factor_names,
            context.rel,
            context.width,
            context.weights,
            job.member,
            context.params,
            context.corr_origin,
            context.corr_span,
            context.fit_workers,
        )


def _fit_garch_block(
    model: ModelName,
    windows: _PaddedReturns,
    pos0: np.ndarray,
    col: np.ndarray,
    mcol: np.ndarray,
    est_hi: np.ndarray,
    ev_lo: np.ndarray,
    y_est: np.ndarray,
    m_est: np.ndarray,
    rel: np.ndarray,
    min_obs: int,
    workers: int,
) -> tuple[GarchFit, Fit, np.ndarray]:
    """Read the sessions after each estimation window and fit the block's GARCH models."""
    # The sessions after each estimation window, up to the last event day.
    span = max(int((rel[-1] - est_hi).max()), 1)
    path_ok = np.arange(span)[None, :] < (rel[-1] - est_hi)[:, None]
    path_y = windows.take(col, pos0 + est_hi + 1, span, path_ok)
    path_m = windows.take(mcol, pos0 + est_hi + 1, span, path_ok)
    return fit_garch_pairs(
        model,  # type: ignore[arg-type]
        y_est,
        m_est,
        path_y,
        path_m,
        before=est_hi < ev_lo,
        min_obs=min_obs,
        workers=workers,
    )


def _design(model: ModelName, regressors: np.ndarray) -> np.ndarray:
    ones = np.ones((*regressors.shape[:2], 1))
    if model == "constant-mean":
        return ones
    if model in ("market", *GARCH_MODELS):
        return np.concatenate([ones, regressors[..., :1]], axis=2)
    if model == "factor":
        return np.concatenate([ones, regressors], axis=2)
    return np.empty((*regressors.shape[:2], 0))
