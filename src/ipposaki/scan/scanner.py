"""The shock scanner: find the sessions when a basket or a whole market moved, and rank episodes.

Two channels score every session of each exchange, using no data from that session onwards:

1. **Basket channel.** Each symbol's **standardised abnormal return** (SAR) comes from a rolling
   market model fitted on the ``window`` sessions *before* that session:
   ``SAR_t = AR_t / (s sqrt(1 + x_t'(X'X)^{-1} x_t))`` with ``x_t = [1, m_t]`` and ``m`` the
   exchange's benchmark. Each basket is also treated as one equal-weighted portfolio, with its
   own SAR, so the co-movement of its members counts in its variance. A basket is flagged on a
   session when at least ``k`` members have ``|SAR| > z``, or the basket portfolio itself does.
2. **Market channel** (:mod:`ipposaki.scan.market`). Abnormal returns are near zero when the
   whole market falls, so each exchange's broad indices (``^GSPC``, ``^IXIC``, ``^DJI``,
   ``^SOX``; ``^N225``, ``^TOPX``) and its equal-weighted universe of stocks (``EW:XNYS``,
   ``EW:XTKS``) are scored on their raw returns over an EWMA volatility (RiskMetrics,
   lambda = 0.94): ``z_t = r_t / sigma_t``. A series is flagged when ``|z| > z``.

Flagged sessions are grouped into **episodes** along one timeline of both exchanges' sessions
in order of their opening time, at most ``max_sessions`` sessions long (see
:mod:`ipposaki.scan.episodes`): "Tokyo 01-27 -> New York 01-27 -> Tokyo 01-28" is one episode.

The **severity** of an episode treats it as an event window. For each series (basket or market
series) flagged in the episode, its standardised cumulative score over its exchange's sessions
in the episode is ``SCAR = sum SAR / sqrt(n)`` (n sessions); the series' severity is ``|SCAR|``
and the episode's severity is the sum over its flagged series of both channels
(``severity_basket`` + ``severity_market``). A series that falls two sessions in a row scores
more than one that swings both ways. ``channels`` says which channels flagged the episode;
``severity_<series>`` gives one series' part, and :meth:`ScanResult.ranking` ranks by it.
Episodes are matched to catalogue events within one session of each exchange's day 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.calendars import sessions
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.events.catalog import Catalog, builtin_catalog
from ipposaki.ols import rolling_ols
from ipposaki.panel import build_panel
from ipposaki.panel.partitioned import PartitionedPrices
from ipposaki.results import Result, Summary, SummaryTable, freeze, versions
from ipposaki.scan.episodes import episode_table
from ipposaki.scan.forbes_rigobon import episode_contagion
from ipposaki.scan.market import EWMA_DECAY, ewma_z, market_series
from ipposaki.store import Store

__all__ = ["ScanResult", "rolling_sar", "scan"]

_SERIES_CHUNK = 1_000  # series per block of rolling regressions: bounded memory
_BENCHMARK = {"XNYS": "^GSPC", "XTKS": "^TOPX"}


def rolling_sar(returns: np.ndarray, market: np.ndarray, window: int, min_obs: int) -> np.ndarray:
    """Standardised abnormal returns from a rolling market model that uses no future data.

    Parameters
    ----------
    returns : numpy.ndarray
        (T, K) returns of K series on one exchange's sessions.
    market : numpy.ndarray
        (T,) benchmark returns.
    window, min_obs : int
        Sessions before each t in the model's window, and the fewest valid ones it needs.

    Returns
    -------
    numpy.ndarray
        (T, K) SARs; NaN where the return, the market or the fit is missing.
    """
    t, k = returns.shape
    out = np.full((t, k), np.nan)
    for lo in range(0, k, _SERIES_CHUNK):  # blocks of series, each block fully vectorised
        block = returns[:, lo : lo + _SERIES_CHUNK].T
        x = np.empty((block.shape[0], t, 2))
        x[..., 0] = 1.0
        x[..., 1] = market[None, :]
        fit = rolling_ols(block, x, window, min_obs)
        quad = np.einsum("ktp,ktpq,ktq->kt", x, fit.xtx_inv, x)
        with np.errstate(invalid="ignore", divide="ignore"):
            sar = (block - fit.predict(x)) / np.sqrt(fit.sigma2 * (1.0 + quad))
        out[:, lo : lo + _SERIES_CHUNK] = sar.T
    return out


@dataclass(frozen=True, eq=False)
class ScanResult(Result):
    """Read-only scan: flagged (exchange, session, basket) rows and ranked episodes.

    Notes
    -----
    :meth:`to_dir` writes ``episodes.csv``, ``flags.csv``, ``symbols.csv``,
    ``contagion.csv``, ``summary.txt`` and ``manifest.json``.
    """

    _flags: pd.DataFrame
    _episodes: pd.DataFrame
    _symbols: pd.DataFrame
    _manifest: Mapping[str, Any] = field(default_factory=dict)
    _contagion: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self) -> None:
        info = {**self._manifest, "versions": self._manifest.get("versions") or versions()}
        object.__setattr__(self, "_manifest", freeze(info))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: range, universe, thresholds, windows, how severity is measured, and the
        versions."""
        return self._manifest

    @property
    def flags(self) -> pd.DataFrame:
        """Every series on every session: exchange, session, basket (the basket or market
        series), channel (basket or market), basket_sar (SAR, or z for the market channel),
        n_big, n_members, flagged."""
        return self._flags.copy()

    @property
    def episodes(self) -> pd.DataFrame:
        """Episodes ranked by severity, with sessions, baskets, symbols and nearby events."""
        return self._episodes.copy()

    @property
    def symbol_sars(self) -> pd.DataFrame:
        """exchange, session, symbol, basket, sar: members beyond z on flagged sessions."""
        return self._symbols.copy()

    @property
    def contagion(self) -> pd.DataFrame:
        """The Forbes–Rigobon test of each episode (:mod:`ipposaki.scan.forbes_rigobon`): New
        York -> Tokyo correlation in the 20 aligned sessions from the episode against the 250
        before, adjusted for New York's variance; empty unless both exchanges were scanned."""
        return self._contagion.copy()

    def ranking(self, basket: str) -> pd.DataFrame:
        """Episodes ordered by one basket's severity (only those where it moved)."""
        col = f"severity_{basket}"
        if col not in self._episodes:
            cols = [str(c) for c in self._episodes.columns]
            names = [c.removeprefix("severity_") for c in cols if c.startswith("severity_")]
            raise UnknownNameError("basket", basket, names)
        moved = self._episodes.loc[self._episodes[col] > 0]
        return moved.sort_values(col, ascending=False).reset_index(drop=True)

    @property
    def summary(self) -> Summary:
        """The top ten episodes, and the contagion tests of the top five."""
        m = self._manifest
        head = (
            f"Shock scan {m['start']}..{m['end']}: {len(self._episodes)} episodes "
            f"(|SAR| > {m['z']}, rolling market model of {m['window']} sessions"
            + (f"; market channel |z| > {m['z']}, EWMA volatility)" if m["market"] else ")")
        )
        cols = ["rank", "start", "sessions", "severity", "channels", "baskets", "market", "events"]
        top = self._episodes.head(10)[cols] if len(self._episodes) else self._episodes
        contagion = None
        if len(self._contagion):
            lines = [
                f"  rank {r.rank} ({r.start}): rho {r.rho_tranquil:.2f} -> {r.rho_crisis:.2f}, "
                f"adjusted {r.rho_adjusted:.2f}, p={r.p_value:.3f}"
                + (" contagion" if r.contagion else "")
                for r in self._contagion.head(5).itertuples()
            ]
            contagion = (
                "Contagion (Forbes-Rigobon; ^GSPC -> ^TOPX, 20 aligned sessions from the "
                "episode vs the 250 before):\n" + "\n".join(lines)
            )
        return Summary.of(head, SummaryTable(top, digits=1), contagion)

    def frames(self) -> dict[str, pd.DataFrame]:
        """``episodes`` (ranked), ``flags``, ``symbols`` (:attr:`symbol_sars`) and
        ``contagion``."""
        return {
            "episodes": self.episodes,
            "flags": self.flags,
            "symbols": self.symbol_sars,
            "contagion": self.contagion,
        }


def _slice(
    src: PartitionedPrices, wanted: list[str], lo: pd.Timestamp, last: pd.Timestamp
) -> pd.DataFrame:
    """Returns of ``wanted`` on ``src``'s sessions in [lo, last]; absent symbols are all NaN."""
    a = int(src.sessions.searchsorted(lo))
    b = int(src.sessions.searchsorted(last, side="right")) - 1
    held = set(src.symbols)
    have = [s for s in wanted if s in held]
    cols = pd.Index(src.symbols).get_indexer(pd.Index(have))
    values = src.read(cols, a, b) if have and b >= a else np.empty((0, max(b - a + 1, 0)))
    frame = pd.DataFrame(values.T, index=src.sessions[a : b + 1], columns=have)
    return frame.reindex(columns=wanted)


def _baskets(
    store: Store, universe: list[str], stored: set[str]
) -> dict[str, tuple[str, list[str]]]:
    """basket -> (exchange, members). "all" adds every basket and one universe per exchange."""
    table = store.baskets()
    inst = store.instruments().set_index("symbol")
    names = sorted(table["basket"].unique())
    chosen = names if universe == ["all"] else universe
    out: dict[str, tuple[str, list[str]]] = {}
    for name in chosen:
        if name not in names:
            raise UnknownNameError("basket", name, names)
        members = [s for s in store.basket(name) if s in stored]
        if not members and universe == ["all"]:
            continue  # a basket without stored prices has nothing to scan
        exchanges = {str(inst["exchange"].get(s, "")) for s in members}
        if len(exchanges) != 1 or "" in exchanges:
            raise InputError("universe", name, "a basket of symbols listed on one exchange")
        out[name] = (exchanges.pop(), members)
    if universe == ["all"]:
        stocks = inst.loc[(inst["kind"] == "stock") & inst.index.isin(list(stored))]
        for exchange, grp in stocks.groupby("exchange"):
            if exchange:
                out[f"universe:{exchange!s}"] = (str(exchange), sorted(grp.index))
    return out


def scan(
    store: Store,
    start: DateLike,
    end: DateLike,
    universe: list[str] | None = None,
    z: float = 2.0,
    k: int | None = None,
    window: int = 250,
    max_gap: int = 0,
    catalog: Catalog | None = None,
    parquet: str | Path | None = None,
    max_sessions: int = 5,
    market: bool = True,
    contagion: bool = True,
) -> ScanResult:
    """Scan baskets and markets for shock sessions in [start, end] and rank the episodes.

    Parameters
    ----------
    store : Store
        The price store.
    start, end : date-like
        Sessions to scan.
    universe : list of str, optional
        Basket names, or ``["all"]`` (every basket, plus every stock of each exchange as
        ``universe:XNYS`` / ``universe:XTKS``). Default ``["all"]``.
    z : float, default 2.0
        SAR threshold for members and for the basket portfolio, and |z| threshold of the market
        channel. Two standard deviations catch a volatile basket's two-session fall (Japanese
        chip equipment on Tokyo's 2025-01-27 and 01-28: basket SARs of -2.45 and -2.07);
        ranking by severity keeps the noise at the bottom of the list.
    k : int, optional
        Members beyond ``z`` that flag a basket; default half its members, at least 2.
    window : int, default 250
        Sessions in the rolling market model before each session.
    max_gap : int, default 0
        Unflagged sessions (either exchange) allowed between two flagged ones of an episode.
    catalog : Catalog, optional
        Events to match with episodes; default the built-in catalogue.
    parquet : path, optional
        Read the prices from this partitioned Parquet directory (``data export``) instead of
        the store, one exchange partition at a time; baskets and instruments still come from
        the store.
    max_sessions : int, default 5
        The most sessions (of both exchanges) an episode may span.
    market : bool, default True
        Score the market channel too (each exchange's broad indices and equal-weighted
        universe against their EWMA volatility).
    contagion : bool, default True
        Test each episode for contagion from New York to Tokyo (Forbes–Rigobon, ``^GSPC`` ->
        ``^TOPX``) when both exchanges are scanned and both indices are stored.

    Returns
    -------
    ScanResult
        Flags, ranked episodes and the flagged symbols.

    Raises
    ------
    InputError
        If the range holds no data, naming the data that exists.
    """
    _check_options(z, k, window, max_gap, max_sessions)
    universe = universe or ["all"]
    catalog = catalog or builtin_catalog()
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    sources, (lo_have, hi_have), stored = _price_sources(store, parquet)
    baskets = _baskets(store, universe, stored)
    if lo_have is None or hi_have is None or last < lo_have or first > hi_have:
        have = f"{lo_have.date()}..{hi_have.date()}" if lo_have and hi_have else "none"
        raise InputError("start/end", f"{first.date()}..{last.date()}", f"dates with data ({have})")
    flags, sym_rows, series = [], [], list(baskets)
    for exchange in sorted({ex for ex, _ in baskets.values()}):
        mine = {b: mem for b, (ex, mem) in baskets.items() if ex == exchange}
        found = _scan_exchange(
            store, sources.get(exchange), exchange, mine, stored, first, last, window, k, z, market
        )
        flags += found[0]
        sym_rows += found[1]
        series += found[2]
    flag_table = pd.concat(flags, ignore_index=True)
    symbols = pd.concat(sym_rows, ignore_index=True) if sym_rows else pd.DataFrame()
    episodes = episode_table(
        flag_table, symbols, first, last, max_gap, max_sessions, catalog, series, store.earnings()
    )
    manifest = {
        "start": str(first.date()),
        "end": str(last.date()),
        "universe": universe,
        "z": z,
        "k": k,
        "window": window,
        "max_gap": max_gap,
        "max_sessions": max_sessions,
        "market": market,
        "market_volatility": f"EWMA of squared returns, decay {EWMA_DECAY} (RiskMetrics)",
        "severity": "sum over flagged series (baskets and market) of |SCAR| over the episode",
    }
    tests = _contagion(store, episodes, flag_table, stored, contagion and parquet is None)
    return ScanResult(flag_table, episodes, symbols, manifest, tests)


def _contagion(
    store: Store, episodes: pd.DataFrame, flags: pd.DataFrame, stored: set[str], wanted: bool
) -> pd.DataFrame:
    """The Forbes-Rigobon tests of the episodes, when asked and possible, else an empty frame.

    Parameters
    ----------
    store : Store
        The price store (the tests read ``^GSPC`` and ``^TOPX`` from it).
    episodes : pandas.DataFrame
        The ranked episodes.
    flags : pandas.DataFrame
        The flag table (both exchanges must have been scanned).
    stored : set of str
        The symbols with prices (both indices must be among them).
    wanted : bool
        Whether the tests are asked for and the prices come from the store.

    Returns
    -------
    pandas.DataFrame
        See :func:`~ipposaki.scan.forbes_rigobon.episode_contagion`.
    """
    pair = {"XNYS", "XTKS"} <= set(flags["exchange"]) and {"^GSPC", "^TOPX"} <= stored
    if wanted and pair and not episodes.empty:
        return episode_contagion(store, episodes)
    return pd.DataFrame()


def _check_options(z: float, k: int | None, window: int, max_gap: int, max_sessions: int) -> None:
    """Refuse a bad threshold, count or window before any data is read.

    Raises
    ------
    InputError
        Naming the argument: ``k``, ``window``, ``max_gap`` and ``max_sessions`` are integers
        (at least 1, 2, 0 and 1), ``z`` a finite number > 0.
    """
    for name, value, low in (("k", k, 1), ("window", window, 2), ("max_gap", max_gap, 0)):
        if value is not None and (not isinstance(value, int | np.integer) or value < low):
            raise InputError(name, value, f"an integer >= {low}")
    if not isinstance(max_sessions, int | np.integer) or max_sessions < 1:
        raise InputError("max_sessions", max_sessions, "an integer >= 1")
    if not (isinstance(z, int | float) and math.isfinite(z) and z > 0):
        raise InputError("z", z, "a finite number > 0")


def _price_sources(
    store: Store, parquet: str | Path | None
) -> tuple[dict[str, PartitionedPrices], tuple[pd.Timestamp | None, pd.Timestamp | None], set[str]]:
    """Where the prices are read: the store, or a partitioned Parquet directory per exchange.

    Parameters
    ----------
    store : Store
        The price store (its instruments name the exchanges).
    parquet : path or None
        A ``data export`` directory; None reads the store.

    Returns
    -------
    sources : dict of str to PartitionedPrices
        Each exchange's partition that holds symbols (empty for the store).
    span : tuple of pandas.Timestamp or None
        The first and last dates with data (None when there are none).
    stored : set of str
        The symbols with prices.
    """
    if parquet is None:
        lo, hi = store.span()
        return {}, (lo, hi), set(store.symbols())
    exchanges = store.instruments()["exchange"].dropna().unique()
    sources = {str(ex): PartitionedPrices(parquet, str(ex)) for ex in exchanges}
    sources = {ex: src for ex, src in sources.items() if src.symbols}
    held = [src.sessions for src in sources.values()]
    lo_have = min((h[0] for h in held), default=None)
    hi_have = max((h[-1] for h in held), default=None)
    stored = {s for src in sources.values() for s in src.symbols}
    return sources, (lo_have, hi_have), stored


def _scan_exchange(
    store: Store,
    source: PartitionedPrices | None,
    exchange: str,
    baskets: dict[str, list[str]],
    stored: set[str],
    first: pd.Timestamp,
    last: pd.Timestamp,
    window: int,
    k: int | None,
    z: float,
    market: bool,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame], list[str]]:
    """Flag one exchange's baskets and, with ``market``, its market channel.

    Parameters
    ----------
    store : Store
        The price store (instruments, and prices unless ``source`` is given).
    source : PartitionedPrices or None
        The exchange's Parquet partition, read instead of the store.
    exchange : str
        ISO MIC.
    baskets : dict of str to list of str
        The exchange's baskets and their members.
    stored : set of str
        The symbols with prices.
    first, last : pandas.Timestamp
        The scanned range.
    window, k, z, market
        As in :func:`scan`.

    Returns
    -------
    flags : list of pandas.DataFrame
        The flag tables, baskets first.
    moved : list of pandas.DataFrame
        The members that moved on the baskets' flagged sessions.
    series : list of str
        The market channel's series.
    """
    inst = store.instruments().set_index("symbol")
    members = sorted({s for mem in baskets.values() for s in mem})
    bench = str(inst["benchmark"].get(members[0], "")) or _BENCHMARK[exchange]
    indices = market_series(inst, exchange, stored) if market else []
    grid = sessions(exchange)
    lo = grid[max(int(grid.searchsorted(first)) - window - 5, 0)]
    wanted = sorted({*members, bench, *indices})
    if source is not None:
        rets = _slice(source, wanted, lo, last)
    else:
        rets = build_panel(store, exchange, wanted, lo, last).returns
    flags, moved = _basket_flags(rets, baskets, bench, exchange, first, last, window, k, z)
    if not market:
        return flags, moved, []
    stocks = [s for s in members if str(inst["kind"].get(s, "")) == "stock"]
    zs = _market_z(rets, indices, stocks, exchange).loc[first:last]
    for name in zs.columns:
        hot = zs[name].abs() > z
        flags.append(_flag_rows(exchange, zs[name], "market", hot.astype(int), 1, hot))
    return flags, moved, [str(name) for name in zs.columns]


def _basket_flags(
    rets: pd.DataFrame,
    baskets: dict[str, list[str]],
    bench: str,
    exchange: str,
    first: pd.Timestamp,
    last: pd.Timestamp,
    window: int,
    k: int | None,
    z: float,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Flag the sessions where a basket, or enough of its members, moved beyond ``z``.

    Parameters
    ----------
    rets : pandas.DataFrame
        The exchange's returns, the window before ``first`` included.
    baskets : dict of str to list of str
        The exchange's baskets and their members.
    bench : str
        The market model's benchmark.
    exchange : str
        ISO MIC.
    first, last : pandas.Timestamp
        The scanned range.
    window : int
        Sessions of the rolling market model (half of them must be valid).
    k : int or None
        Members beyond ``z`` that flag a basket; default half its members, at least 2.
    z : float
        SAR threshold.

    Returns
    -------
    flags : list of pandas.DataFrame
        One flag table per basket (see :func:`_flag_rows`).
    moved : list of pandas.DataFrame
        Per basket: session, symbol, sar, exchange, basket of each member that moved on a
        flagged session.
    """
    members = sorted({s for mem in baskets.values() for s in mem})
    basket_rets = pd.DataFrame({b: rets[mem].mean(axis=1) for b, mem in baskets.items()})
    block = pd.concat([rets[members], basket_rets], axis=1)
    sar = pd.DataFrame(
        rolling_sar(
            block.to_numpy(dtype=float), rets[bench].to_numpy(dtype=float), window, window // 2
        ),
        index=block.index,
        columns=block.columns,
    ).loc[first:last]
    flags, moved_rows = [], []
    for b, mem in baskets.items():
        need = k if k is not None else max(2, math.ceil(len(mem) / 2))
        big = (sar[mem].abs() > z).sum(axis=1)
        flagged = (big >= need) | (sar[b].abs() > z)
        flags.append(_flag_rows(exchange, sar[b], "basket", big, len(mem), flagged))
        moved = sar.loc[flagged.to_numpy(), mem]
        hit = moved.where(moved.abs() > z).stack().reset_index()  # the members that moved
        hit.columns = ["session", "symbol", "sar"]
        moved_rows.append(hit.assign(exchange=exchange, basket=b))
    return flags, moved_rows


def _market_z(
    rets: pd.DataFrame, indices: list[str], stocks: list[str], exchange: str
) -> pd.DataFrame:
    """The market channel: each broad index's and the equal-weighted stocks' EWMA z-scores.

    Parameters
    ----------
    rets : pandas.DataFrame
        The exchange's returns.
    indices : list of str
        Its broad indices.
    stocks : list of str
        Its stocks, averaged as ``EW:<exchange>``.
    exchange : str
        ISO MIC.

    Returns
    -------
    pandas.DataFrame
        Sessions x series z-scores (see :func:`~ipposaki.scan.market.ewma_z`).
    """
    raw = pd.concat([rets[indices], rets[stocks].mean(axis=1).rename(f"EW:{exchange}")], axis=1)
    return pd.DataFrame(ewma_z(raw.to_numpy()), index=raw.index, columns=raw.columns)


def _flag_rows(
    exchange: str,
    score: pd.Series,
    channel: str,
    n_big: pd.Series,
    n_members: int,
    flagged: pd.Series,
) -> pd.DataFrame:
    """One series' rows of the flags table."""
    return pd.DataFrame(
        {
            "exchange": exchange,
            "session": score.index,
            "basket": str(score.name),
            "channel": channel,
            "basket_sar": score.to_numpy(),
            "n_big": n_big.to_numpy(),
            "n_members": n_members,
            "flagged": flagged.to_numpy(),
        }
    )
