"""The read-only result of an event study: tidy frames, test objects, a summary, a manifest."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.errors import InputError, UnknownNameError
from ipposaki.results import Result, Summary, SummaryTable, freeze, versions
from ipposaki.study.bootstrap import (
    BOOT_TEST_NAMES,
    BOOTSTRAP_METHODS,
    WILD_WEIGHTS,
    Bootstrap,
    Seed,
    WildWeights,
    caar_bootstrap,
    check_draws,
    resolve_seed,
)
from ipposaki.study.frames import Deferred, _aar_frame, _ar_frame, _caar_frame, _car_frame
from ipposaki.study.lookup import positions
from ipposaki.study.multitest import (
    ADJUST_ACROSS,
    ADJUST_METHODS,
    METHOD_LABELS,
    Adjust,
    AdjustAcross,
    adjust_pvalues,
)
from ipposaki.study.statistics import TestResult

__all__ = ["EventStudyResult", "Inference", "StudyParameters"]

#: Pairs above which the CAR and AAR tables are built with the result, letting go of the
#: per-window arrays they read (pairs x windows floats, 55 MB at this size with 26 windows);
#: a smaller study builds them when first read (the CAR table of 100,000 pairs and five CAR
#: windows: 0.18 s).
EAGER_TABLES = 1 << 18

#: Files :meth:`EventStudyResult.to_dir` writes (the frames of
#: :meth:`EventStudyResult.frames`, in order, then the summary and the manifest).
OUTPUT_FILES = (
    "caar.csv",
    "tests.csv",
    "car.csv",
    "aar.csv",
    "ar.csv",
    "params.csv",
    "excluded.csv",
    "summary.txt",
    "manifest.json",
)


_PER_EVENT = "per event (each instrument's benchmark)"
_TEST_COLUMNS = ("basket", "window", "test", "statistic", "p_value", "nobs")


@dataclass(frozen=True)
class StudyParameters:
    """Everything that defines a study besides its data."""

    model: str
    market: str | None
    estimation_window: str
    event_window: str
    car_windows: tuple[str, ...]
    min_estimation_obs: int
    thin_trading: str
    roll: str
    log_returns: bool
    factors: tuple[str, ...]
    missing_policy: str
    data_source: str
    data_hash: str
    convention: str = "ipposaki"


@dataclass(frozen=True)
class Inference:
    """The inference add-ons of :meth:`EventStudyResult.with_inference`, as recorded.

    Attributes
    ----------
    adjust : {"none", "holm", "bh"}
        Multiple-testing adjustment of the p-values.
    adjust_across : {"windows", "all"}
        Families: each test's windows x groups, or every row of tests.csv.
    bootstrap : {"none", "wild", "stationary"}
        Bootstrap of the CAAR's interval and test.
    draws : int
        Bootstrap draws (0 without a bootstrap).
    seed : int or None
        The seed the draws came from (None when a Generator was passed).
    weights : str
        Wild-bootstrap weights.
    block : float or None
        Stationary bootstrap mean block length (None: ``L ** (1/3)`` per pair).
    """

    adjust: str = "none"
    adjust_across: str = "windows"
    bootstrap: str = "none"
    draws: int = 0
    seed: int | None = None
    weights: str = "rademacher"
    block: float | None = None


def _check_inference(
    adjust: str,
    adjust_across: str,
    bootstrap: str,
    draws: int,
    weights: str,
    block: float | None,
    has_residuals: bool,
) -> int:
    """Refuse an option of :meth:`EventStudyResult.with_inference`, naming the argument.

    Parameters
    ----------
    adjust, adjust_across, bootstrap, draws, weights, block
        As given to :meth:`EventStudyResult.with_inference`.
    has_residuals : bool
        Whether the result kept its estimation residuals (the stationary bootstrap needs them).

    Returns
    -------
    int
        ``draws``, checked when there is a bootstrap.

    Raises
    ------
    InputError
        For an unknown method, family or weights, a bad number of draws or block, or
        ``bootstrap="stationary"`` without the estimation residuals.
    """
    if adjust not in ADJUST_METHODS:
        raise InputError("adjust", adjust, f"one of {', '.join(ADJUST_METHODS)}")
    if adjust_across not in ADJUST_ACROSS:
        raise InputError("adjust_across", adjust_across, f"one of {', '.join(ADJUST_ACROSS)}")
    if bootstrap not in BOOTSTRAP_METHODS:
        raise InputError("bootstrap", bootstrap, f"one of {', '.join(BOOTSTRAP_METHODS)}")
    if weights not in WILD_WEIGHTS:
        raise InputError("weights", weights, f"one of {', '.join(WILD_WEIGHTS)}")
    real = isinstance(block, int | float | np.integer | np.floating) and not isinstance(block, bool)
    if block is not None and not (real and np.isfinite(block) and block >= 1.0):
        raise InputError("block", block, "a mean block length >= 1 (sessions)")
    if bootstrap != "none":
        draws = check_draws(draws)
    if bootstrap == "stationary" and not has_residuals:
        raise InputError(
            "bootstrap",
            bootstrap,
            "'wild' or 'none' (this result kept no estimation residuals; rerun run_study)",
        )
    return draws


def _adjusted_pvalues(
    tests: tuple[TestResult, ...], adjust: Adjust, adjust_across: AdjustAcross
) -> np.ndarray:
    """The p-values of ``tests`` adjusted for multiple testing within each family.

    Parameters
    ----------
    tests : tuple of TestResult
        The study's tests, then the bootstrap's.
    adjust : {"holm", "bh"}
        The adjustment.
    adjust_across : {"windows", "all"}
        The families: each test's rows, or every row together.

    Returns
    -------
    numpy.ndarray
        One adjusted p-value per test.
    """
    p = np.array([t.p_value for t in tests], dtype=np.float64)
    keys = [t.test if adjust_across == "windows" else "" for t in tests]
    p_adj = np.full_like(p, np.nan)
    codes, _ = pd.factorize(pd.Series(keys, dtype=object))
    for family in range(codes.max() + 1 if len(codes) else 0):
        rows = np.flatnonzero(codes == family)
        p_adj[rows] = adjust_pvalues(p[rows], adjust)
    return p_adj


@dataclass(frozen=True, eq=False)
class EventStudyResult(Result):
    """Read-only result of :func:`ipposaki.study.run_study`.

    Properties return copies of tidy frames; nothing changes after the study ran. It follows
    the results protocol (:class:`ipposaki.results.Result`): :attr:`summary` (the CAAR per
    group and window with the key p-values, in text, HTML, Markdown and LaTeX), a read-only
    :attr:`manifest`, :meth:`frames` (``caar`` first, so :meth:`to_frame` is the CAAR table)
    and :meth:`to_dir`, which writes each frame as CSV with ``summary.txt`` and
    ``manifest.json``.
    """

    _ar_table: Deferred
    _car_table: Deferred
    _aar_table: Deferred
    _caar_table: Deferred
    _tests: tuple[TestResult, ...]
    _params: pd.DataFrame
    _excluded: pd.DataFrame
    parameters: StudyParameters
    #: (pairs, L) standardised estimation-window residuals (NaN where a session was missing),
    #: for the stationary bootstrap of :meth:`with_inference`; None when not kept.
    _sar_est: np.ndarray | None = None
    _inference: Inference | None = None
    _boot_tests: tuple[TestResult, ...] = ()
    _boot_ci: pd.DataFrame | None = None
    _p_adj: np.ndarray | None = None

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        *,
        pairs: pd.DataFrame,
        index: pd.DatetimeIndex,
        rel: np.ndarray,
        ret: np.ndarray,
        normal: np.ndarray,
        ar: np.ndarray,
        sar: np.ndarray,
        labels: list[str],
        n_daily: int,
        car: np.ndarray,
        car_se: np.ndarray,
        bhar: np.ndarray,
        days: np.ndarray,
        fit: Any,
        tests: list[TestResult],
        excluded: pd.DataFrame,
        params: StudyParameters,
        groups: list[str],
        rbar: dict[tuple[str, str], float] | None = None,
        sar_est: np.ndarray | None = None,
        ar_table: Callable[[], pd.DataFrame] | None = None,
        ar_sums: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> EventStudyResult:
        """Assemble the tidy frames from the engine's arrays (used by the engine only).

        When the workers wrote the per-pair series to disk (:mod:`ipposaki.study.sink`),
        ``ar_table`` reads the AR table and ``ar_sums`` holds each group's per-day AR sum and
        count for the AAR; ``ret``, ``normal``, ``ar`` and ``sar`` are then not used.

        The long abnormal-return table and the CAAR table (whose median intervals cost
        O(n log n) per window) are built when first asked for; so are the CAR and AAR tables
        of a study of up to :data:`EAGER_TABLES` pairs (a larger one builds them at once,
        letting go of the per-window arrays they read).
        """
        car_labels = labels[n_daily:]
        codes = positions(pairs["basket"], groups)
        member = {
            g: np.ones(len(pairs), dtype=bool) if g == "all" else codes == i
            for i, g in enumerate(groups)
        }
        member = {g: m for g, m in member.items() if m.any()}
        car_cs = car[:, n_daily:]
        params_frame = pd.DataFrame(
            {
                "event_id": pairs["event_id"].array,
                "symbol": pairs["symbol"].array,
                **{name: fit.coef[:, j] for j, name in enumerate(fit.names)},
                "sigma": np.sqrt(fit.sigma2),
                "nobs": fit.nobs,
                "r2": fit.r2,
            }
        )
        car_table = Deferred(
            lambda: _car_frame(pairs, car_labels, car_cs, car_se[:, n_daily:], bhar, days, fit)
        )
        aar_table = Deferred(lambda: _aar_frame(member, rel, ar, ar_sums))
        if len(pairs) > EAGER_TABLES:  # built now, so the arrays they read can go at once
            car_table.get(), aar_table.get()
        return cls(
            _ar_table=Deferred(
                ar_table or (lambda: _ar_frame(pairs, index, rel, ret, normal, ar, sar))
            ),
            _car_table=car_table,
            _aar_table=aar_table,
            _caar_table=Deferred(lambda: _caar_frame(member, car_labels, car_cs, rbar or {})),
            _tests=tuple(tests),
            _params=params_frame,
            _excluded=excluded.reset_index(drop=True),
            parameters=params,
            _sar_est=sar_est,
        )

    @property
    def _ar(self) -> pd.DataFrame:
        return self._ar_table.get()

    @property
    def _car(self) -> pd.DataFrame:
        return self._car_table.get()

    @property
    def _aar(self) -> pd.DataFrame:
        return self._aar_table.get()

    @property
    def _caar(self) -> pd.DataFrame:
        return self._caar_table.get()

    # -- tidy frames ---------------------------------------------------------------------------

    @property
    def ar(self) -> pd.DataFrame:
        """ARs: event_id, symbol, basket, rel_day, session, ret, normal_ret, ar, sar."""
        return self._ar.copy()

    @property
    def car(self) -> pd.DataFrame:
        """CARs: event_id, symbol, basket, window, car, car_std_err, car_t_stat, car_p_value, bhar,
        nobs."""
        return self._car.copy()

    @property
    def aar(self) -> pd.DataFrame:
        """Average ARs per group and event day: basket, rel_day, nobs, aar, caar."""
        return self._aar.copy()

    @property
    def caar(self) -> pd.DataFrame:
        """CAAR per group and CAR window, with three 95% intervals.

        Columns: basket, window, nobs, caar and ci_low/ci_high (Student t on the CARs, as if they
        were independent); rbar (the window's average cross-correlation, see
        :mod:`ipposaki.study.correlation`) and ci_kp_low/ci_kp_high (the t interval widened by
        ``sqrt((1 + (n - 1) rbar) / (1 - rbar))``, Kolari and Pynnönen 2010; the summary shows
        this one); median, hodges_lehmann
        and median_ci_low/median_ci_high (Tukey's Walsh-average interval, see
        :mod:`ipposaki.study.signed_rank`). After :meth:`with_inference` with a bootstrap, also
        ci_boot_low/ci_boot_high (the bootstrap interval, see :mod:`ipposaki.study.bootstrap`).
        """
        if self._boot_ci is None:
            return self._caar.copy()
        if self._caar.empty:  # no pair studied: the columns, no rows
            return self._caar.assign(ci_boot_low=np.nan, ci_boot_high=np.nan)
        return self._caar.merge(self._boot_ci, on=["basket", "window"], how="left")

    @property
    def tests(self) -> pd.DataFrame:
        """Every test: basket, window, test, statistic, p_value, nobs, z, df, distribution, null.

        ``z`` is the standardised statistic of a test whose statistic is a count or rank sum
        (Wilcoxon's ``W+``); NaN for the others, whose statistic is already standardised.

        After :meth:`with_inference`: a bootstrap adds the rows of its test
        (``wild_bootstrap`` or ``stationary_bootstrap``, one per group and CAR window), and an
        adjustment adds the columns ``p_value_adj`` (after ``p_value``) and ``adjust`` (the
        method and its family).
        """
        rows = [
            {
                "basket": t.basket,
                "window": t.window,
                "test": t.test,
                "statistic": t.statistic,
                "p_value": t.p_value,
                "nobs": t.nobs,
                "z": t.z,
                "df": t.df,
                "distribution": t.distribution,
                "null": t.null,
            }
            for t in self._all_tests
        ]
        columns = [*_TEST_COLUMNS, "z", "df", "distribution", "null"]
        frame = pd.DataFrame(rows, columns=columns)
        if self._p_adj is not None and self._inference is not None:
            frame.insert(5, "p_value_adj", self._p_adj)
            frame.insert(6, "adjust", self._adjust_label)
        return frame

    @property
    def _all_tests(self) -> tuple[TestResult, ...]:
        return self._tests + self._boot_tests

    @property
    def _adjust_label(self) -> str:
        inf = self._inference
        if inf is None or inf.adjust == "none":
            return "none"
        family = (
            "per test, across windows x groups"
            if inf.adjust_across == "windows"
            else ("across every test, window and group")
        )
        return f"{METHOD_LABELS[inf.adjust]}, {family}"

    @property
    def inference(self) -> Inference:
        """The adjustment and bootstrap applied by :meth:`with_inference` (none by default)."""
        return self._inference or Inference()

    @property
    def params(self) -> pd.DataFrame:
        """Fitted parameters per pair: event_id, symbol, coefficients, sigma, nobs, r2."""
        return self._params.copy()

    @property
    def excluded(self) -> pd.DataFrame:
        """Pairs left out, with their reasons: event_id, symbol, reason."""
        return self._excluded.copy()

    def test(self, name: str, window: str = "0:0", basket: str = "all") -> TestResult:
        """Return one test as an object.

        Parameters
        ----------
        name : str
            Test name, e.g. ``"kolari_pynnonen"``.
        window : str, default "0:0"
            ``"k:k"`` for a day or a CAR window such as ``"0:1"``.
        basket : str, default "all"
            Group label.

        Returns
        -------
        TestResult
            The test.

        Raises
        ------
        UnknownNameError
            If no such test, window or basket was computed.
        """
        tests = self._all_tests
        for t in tests:
            if t.test == name and t.window == window and t.basket == basket:
                return t
        names = sorted({t.test for t in tests})
        if name not in names:
            raise UnknownNameError("test", name, names)
        windows = sorted({t.window for t in tests})
        if window not in windows:
            raise UnknownNameError("window", window, windows)
        raise UnknownNameError("basket", basket, sorted({t.basket for t in tests}))

    # -- inference add-ons ---------------------------------------------------------------------

    def with_inference(
        self,
        *,
        adjust: Adjust = "none",
        adjust_across: AdjustAcross = "windows",
        bootstrap: Bootstrap = "none",
        draws: int = 999,
        seed: Seed = None,
        weights: WildWeights = "rademacher",
        block: float | None = None,
    ) -> EventStudyResult:
        """Return a new result with bootstrap inference and adjusted p-values.

        This result is left as it was. Calling it again starts from the study's own tests.

        Parameters
        ----------
        adjust : {"none", "holm", "bh"}, default "none"
            Adjust the p-values for multiple testing: Holm (1979, family-wise error rate) or
            Benjamini-Hochberg (1995, false discovery rate); see
            :mod:`ipposaki.study.multitest`. Written to ``tests.p_value_adj``.
        adjust_across : {"windows", "all"}, default "windows"
            The family: ``"windows"`` adjusts each test's p-values across its windows (every
            event day and CAR window) and groups; ``"all"`` adjusts every p-value of the tests
            table together, across tests too.
        bootstrap : {"none", "wild", "stationary"}, default "none"
            ``"wild"``: wild bootstrap of each group's cross-section of CARs (percentile-t
            interval, null-imposed p-value). ``"stationary"``: stationary bootstrap of each
            pair's estimation-window residuals (Politis and Romano 1994), for single-firm
            studies (several pairs are treated as independent). Adds ci_boot_low/ci_boot_high
            to ``caar`` and a test per group and CAR window to ``tests`` (adjusted with the
            others). See :mod:`ipposaki.study.bootstrap`.
        draws : int, default 999
            Bootstrap draws, 99 to 10**6.
        seed : int or numpy.random.Generator, optional
            Seed of the draws; without one a fresh seed is drawn and recorded in the manifest,
            so every run can be repeated.
        weights : {"rademacher", "mammen"}, default "rademacher"
            Wild-bootstrap weights.
        block : float, optional
            Stationary bootstrap mean block length in sessions; default ``L ** (1/3)`` for a
            pair with ``L`` estimation residuals.

        Returns
        -------
        EventStudyResult
            A new read-only result.

        Raises
        ------
        InputError
            For an unknown method, family or weights, a bad number of draws, seed or block, or
            ``bootstrap="stationary"`` on a result without its estimation residuals.

        Examples
        --------
        >>> from ipposaki.study import run_study
        >>> days = pd.bdate_range("2024-01-01", periods=300)
        >>> rng = np.random.default_rng(0)
        >>> returns = pd.DataFrame(rng.normal(0, 0.01, (300, 4)), days, ["A", "B", "C", "SPY"])
        >>> events = pd.DataFrame({"symbol": ["A", "B", "C"], "event_date": days[280]})
        >>> res = run_study(returns, events, market="SPY").with_inference(
        ...     adjust="holm", bootstrap="wild", draws=199, seed=7
        ... )
        >>> list(res.caar.columns[-2:]), "p_value_adj" in res.tests.columns
        (['ci_boot_low', 'ci_boot_high'], True)
        >>> res.manifest["inference"]["seed"]
        7
        """
        draws = _check_inference(
            adjust, adjust_across, bootstrap, draws, weights, block, self._sar_est is not None
        )
        rng, recorded = resolve_seed(seed)
        boot_tests, boot_ci = self._bootstrap(bootstrap, draws, rng, weights, block)
        inference = Inference(
            adjust=adjust,
            adjust_across=adjust_across,
            bootstrap=bootstrap,
            draws=draws if bootstrap != "none" else 0,
            seed=recorded if bootstrap != "none" else None,
            weights=weights,
            block=block,
        )
        p_adj = None
        if adjust != "none":
            p_adj = _adjusted_pvalues(self._tests + boot_tests, adjust, adjust_across)
        return replace(
            self,
            _inference=inference,
            _boot_tests=boot_tests,
            _boot_ci=boot_ci,
            _p_adj=p_adj,
        )

    def _bootstrap(
        self,
        bootstrap: Bootstrap,
        draws: int,
        rng: np.random.Generator,
        weights: WildWeights,
        block: float | None,
    ) -> tuple[tuple[TestResult, ...], pd.DataFrame | None]:
        """The bootstrap tests and CAAR intervals of :meth:`with_inference` (none without).

        Parameters
        ----------
        bootstrap : {"none", "wild", "stationary"}
            The bootstrap.
        draws : int
            Bootstrap draws.
        rng : numpy.random.Generator
            Where the draws come from.
        weights : {"rademacher", "mammen"}
            Wild-bootstrap weights.
        block : float or None
            Stationary bootstrap mean block length.

        Returns
        -------
        tuple
            The bootstrap tests, and the CAAR's bootstrap intervals (None without a bootstrap).
        """
        if bootstrap == "none":
            return (), None
        sigma = self._params["sigma"] if len(self._params) else pd.Series(dtype=float)
        return caar_bootstrap(
            self._car,
            self._caar,
            sigma.to_numpy(np.float64),
            self._sar_est,
            bootstrap,
            draws,
            rng,
            weights,
            block,
        )

    # -- summary and files ---------------------------------------------------------------------

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: data hash, parameters, versions, and the excluded pairs with reasons."""
        out: dict[str, Any] = {
            "parameters": asdict(self.parameters),
            "pairs": int(self._params.shape[0]),
            "excluded": self._excluded.to_dict(orient="records"),
            "versions": versions(),
        }
        if self._inference is not None:
            out["inference"] = asdict(self._inference)
        return freeze(out)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The tidy tables by name, the file stems :meth:`to_dir` writes.

        ``caar`` (the headline table, so :meth:`to_frame` returns it), then ``tests``,
        ``car``, ``aar``, ``ar``, ``params`` and ``excluded``. Asking for them builds the
        abnormal-return table if it was not built yet.

        Returns
        -------
        dict of str to pandas.DataFrame
            Copies: changing one leaves the result as it was.
        """
        return {
            "caar": self.caar,
            "tests": self.tests,
            "car": self.car,
            "aar": self.aar,
            # A shallow copy: under copy-on-write a caller's change copies the data, so the
            # long table is not duplicated just to be written.
            "ar": self._ar.copy(deep=False),
            "params": self.params,
            "excluded": self.excluded,
        }

    def to_frame(self) -> pd.DataFrame:
        """The CAAR table (:attr:`caar`), the first of :meth:`frames`."""
        return self.caar

    def _summary_table(self) -> pd.DataFrame:
        tests = self._all_tests
        adjusted = self._p_adj is not None
        p_list = self._p_adj if self._p_adj is not None else [t.p_value for t in tests]
        p_values = {(t.basket, t.window, t.test): p for t, p in zip(tests, p_list, strict=True)}
        boot = self._boot_ci is not None and self._inference is not None
        caar = self.caar
        mark = " adj" if adjusted else ""
        savickas = any(t.test == "savickas" for t in tests)
        rows = []
        for row in caar.itertuples():
            basket, window = str(row.basket), str(row.window)

            def p(name: str, g: str = basket, w: str = window) -> float:
                return p_values.get((g, w, name), np.nan)

            line: dict[str, object] = {
                "basket": basket,
                "window": window,
                "n": row.nobs,
                "CAAR": row.caar,
                "95% CI (KP)": f"[{row.ci_kp_low:.4f}, {row.ci_kp_high:.4f}]",
            }
            if boot:
                line["95% CI (boot)"] = f"[{row.ci_boot_low:.4f}, {row.ci_boot_high:.4f}]"
            if savickas:  # GARCH models: Savickas (2003) in BMP's place
                line[f"p Savickas{mark}"] = p("savickas")
            else:
                line[f"p BMP{mark}"] = p("bmp")
            line[f"p KP{mark}"] = p("kolari_pynnonen")
            line[f"p rank{mark}"] = p("corrado_rank")
            line[f"p gen. sign{mark}"] = p("generalized_sign")
            if boot and self._inference is not None:
                line[f"p boot{mark}"] = p(BOOT_TEST_NAMES[self._inference.bootstrap])
            rows.append(line)
        return pd.DataFrame(rows)

    def _summary_head(self) -> list[str]:
        """The summary's first block, a line each: model, sample, data, notes on the table."""
        p = self.parameters
        head = [
            f"Event study: {p.model} model, estimation {p.estimation_window}, event "
            f"{p.event_window}, market {p.market or _PER_EVENT}"
            + (
                ", estudy2's test statistics (docs/conventions.md)"
                if p.convention == "estudy2"
                else ""
            ),
            f"{len(self._params)} pairs studied, {len(self._excluded)} excluded; data hash "
            f"{p.data_hash[:16]}; source {p.data_source or 'returns given directly'}",
            f"Missing data: {p.missing_policy}.",
            "95% CI (KP): Student t interval of the CAAR widened for the CARs' cross-correlation "
            "(Kolari-Pynnönen; rbar and the unadjusted interval are in caar.csv).",
        ]
        if p.convention == "estudy2":
            head.append(
                "estudy2 convention: its twelve statistics for single event days only (tests.csv);"
                " multi-day windows and the Kolari-Pynnönen test have no p-value."
            )
        return [*head, *self._inference_lines()]

    @property
    def summary(self) -> Summary:
        """Model, sample and notes, then the CAAR per group and window with key p-values.

        Two blocks: the lines of :meth:`_summary_head`, and the table (four decimals) or, when
        no pair could be studied, a line saying so. ``summary.as_latex()`` gives the LaTeX.
        """
        table = self._summary_table()
        if table.empty:
            body: str | SummaryTable = (
                "No pair could be studied: every pair is in excluded.csv with its reason."
            )
        else:
            body = SummaryTable(table, digits=4)
        return Summary.of("\n".join(self._summary_head()), body)

    def _inference_lines(self) -> list[str]:
        inf = self._inference
        if inf is None:
            return []
        lines = []
        if inf.bootstrap == "wild":
            lines.append(
                f"95% CI (boot), p boot: wild bootstrap of the CARs, {inf.weights} weights, "
                f"{inf.draws} draws, seed {inf.seed}; percentile-t interval, p-value with the "
                "null imposed."
            )
        elif inf.bootstrap == "stationary":
            blocks = f"{inf.block:g}" if inf.block is not None else "L^(1/3)"
            lines.append(
                f"95% CI (boot), p boot: stationary bootstrap of each pair's estimation "
                f"residuals (Politis-Romano, mean block {blocks}), {inf.draws} draws, seed "
                f"{inf.seed}; pairs independent."
            )
        if inf.adjust != "none":
            lines.append(
                f"p-values adjusted for multiple testing: {self._adjust_label} (raw p_value "
                "and p_value_adj in tests.csv)."
            )
        return lines

    def __repr__(self) -> str:
        return (
            f"EventStudyResult({self.parameters.model}, {len(self._params)} pairs, "
            f"{len(self._excluded)} excluded)"
        )
