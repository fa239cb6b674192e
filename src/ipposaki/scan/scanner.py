"""The shock scanner: find the sessions when a basket moved together, and group them into episodes.

1. For every session of each exchange, each symbol's **standardised abnormal return** (SAR) comes
   from a rolling market model fitted on the ``window`` sessions *before* that session (no future
   data): ``SAR_t = AR_t / (s sqrt(1 + x_t'(X'X)^{-1} x_t))`` with ``x_t = [1, m_t]`` and ``m`` the
   exchange's benchmark. Each basket is also treated as one equal-weighted portfolio, with its own
   SAR, so the co-movement of its members counts in its variance.
2. A **shock session** of a basket is one where at least ``k`` members have ``|SAR| > z``, or the
   basket portfolio itself does.
3. Shock sessions are grouped into **episodes** along one timeline of both exchanges' sessions in
   order of their opening time: flagged sessions belong to one episode when at most ``max_gap``
   unflagged sessions (of either exchange) lie between them. "Tokyo 01-27 -> New York 01-27 ->
   Tokyo 01-28" is one episode.
4. The **severity** of an episode treats it as an event window. For each basket flagged in the
   episode, its standardised cumulative abnormal return over its exchange's sessions in the
   episode is ``SCAR = sum SAR / sqrt(n)`` (n sessions); the basket's severity is ``|SCAR|`` and
   the episode's severity is the sum over its flagged baskets. A basket that falls two sessions
   in a row scores more than one that swings both ways. Episodes are ranked by severity;
   ``severity_<basket>`` gives one basket's part, and :meth:`ScanResult.ranking` ranks by it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki._typing import DateLike
from ipposaki.calendars import session_times, sessions
from ipposaki.errors import InputError, UnknownNameError
from ipposaki.events.catalog import Catalog, builtin_catalog
from ipposaki.panel import build_panel
from ipposaki.panel.partitioned import PartitionedPrices
from ipposaki.spillover.model import rolling_ols
from ipposaki.store import Store

__all__ = ["ScanResult", "rolling_sar", "scan"]

_SERIES_CHUNK = 1_000  # series per block of rolling regressions: bounded memory
_BENCHMARK = {"XNYS": "^GSPC", "XTKS": "^TOPX"}
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
class ScanResult:
    """Read-only scan: flagged (exchange, session, basket) rows and ranked episodes."""

    _flags: pd.DataFrame
    _episodes: pd.DataFrame
    _symbols: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def flags(self) -> pd.DataFrame:
        """Every basket on every session: exchange, session, basket, basket_sar, n_big, flagged."""
        return self._flags.copy()

    @property
    def episodes(self) -> pd.DataFrame:
        """Episodes ranked by severity, with sessions, baskets, symbols and nearby events."""
        return self._episodes.copy()

    @property
    def symbol_sars(self) -> pd.DataFrame:
        """exchange, session, symbol, basket, sar: members beyond z on flagged sessions."""
        return self._symbols.copy()

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
    def summary(self) -> str:
        """The top episodes as text."""
        m = self.manifest
        head = (
            f"Shock scan {m['start']}..{m['end']}: {len(self._episodes)} episodes "
            f"(|SAR| > {m['z']}, rolling market model of {m['window']} sessions)"
        )
        cols = ["rank", "start", "first_exchange", "sessions", "severity", "baskets", "events"]
        top = self._episodes.head(10)[cols] if len(self._episodes) else self._episodes
        with pd.option_context("display.max_colwidth", 80, "display.width", 250):
            return head + "\n" + top.to_string(index=False)

    def _repr_html_(self) -> str:
        import html

        cols = ["rank", "start", "sessions", "severity", "baskets", "events"]
        top = self._episodes.head(10)[cols] if len(self._episodes) else self._episodes
        head = html.escape(self.summary.split("\n")[0])
        return f"<p>{head}</p>" + top.to_html(index=False, float_format="{:.1f}".format)

    def __str__(self) -> str:
        return self.summary


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
    max_gap: int = 1,
    catalog: Catalog | None = None,
    parquet: str | Path | None = None,
) -> ScanResult:
    """Scan baskets for shock sessions in [start, end] and rank the episodes.

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
        SAR threshold for members and for the basket portfolio. Two standard deviations catch
        a volatile basket's two-session fall (Japanese chip equipment on Tokyo's 2025-01-27 and
        01-28: basket SARs of -2.45 and -2.07); ranking by severity keeps the noise at the
        bottom of the list.
    k : int, optional
        Members beyond ``z`` that flag a basket; default half its members, at least 2.
    window : int, default 250
        Sessions in the rolling market model before each session.
    max_gap : int, default 1
        Unflagged sessions (either exchange) allowed inside one episode.
    catalog : Catalog, optional
        Events to match with episodes; default the built-in catalogue.
    parquet : path, optional
        Read the prices from this partitioned Parquet directory (``data export``) instead of
        the store, one exchange partition at a time; baskets and instruments still come from
        the store.

    Returns
    -------
    ScanResult
        Flags, ranked episodes and the flagged symbols.

    Raises
    ------
    InputError
        If the range holds no data, naming the data that exists.
    """
    universe = universe or ["all"]
    catalog = catalog or builtin_catalog()
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    sources: dict[str, PartitionedPrices] = {}
    if parquet is not None:
        exchanges = store.instruments()["exchange"].dropna().unique()
        sources = {str(ex): PartitionedPrices(parquet, str(ex)) for ex in exchanges}
        sources = {ex: src for ex, src in sources.items() if src.symbols}
        held = [src.sessions for src in sources.values()]
        lo_have = min((h[0] for h in held), default=None)
        hi_have = max((h[-1] for h in held), default=None)
        stored = {s for src in sources.values() for s in src.symbols}
    else:
        lo_have, hi_have = store.span()
        stored = set(store.symbols())
    baskets = _baskets(store, universe, stored)
    if lo_have is None or hi_have is None or last < lo_have or first > hi_have:
        have = f"{lo_have.date()}..{hi_have.date()}" if lo_have and hi_have else "none"
        raise InputError("start/end", f"{first.date()}..{last.date()}", f"dates with data ({have})")
    inst = store.instruments().set_index("symbol")
    flags, sym_rows = [], []
    for exchange in sorted({ex for ex, _ in baskets.values()}):
        names = [b for b, (ex, _) in baskets.items() if ex == exchange]
        members = sorted({s for b in names for s in baskets[b][1]})
        bench = str(inst["benchmark"].get(members[0], "")) or _BENCHMARK[exchange]
        grid = sessions(exchange)
        lo = grid[max(int(grid.searchsorted(first)) - window - 5, 0)]
        wanted = members if bench in members else [*members, bench]
        if exchange in sources:
            rets = _slice(sources[exchange], wanted, lo, last)
        else:
            rets = build_panel(store, exchange, wanted, lo, last).returns
        basket_rets = pd.DataFrame({b: rets[baskets[b][1]].mean(axis=1) for b in names})
        series = pd.concat([rets[members], basket_rets], axis=1)
        sar = pd.DataFrame(
            rolling_sar(
                series.to_numpy(dtype=float), rets[bench].to_numpy(dtype=float), window, window // 2
            ),
            index=series.index,
            columns=series.columns,
        ).loc[first:last]
        for b in names:
            mem = baskets[b][1]
            need = k if k is not None else max(2, math.ceil(len(mem) / 2))
            big = (sar[mem].abs() > z).sum(axis=1)
            bsar = sar[b]
            flagged = (big >= need) | (bsar.abs() > z)
            flags.append(
                pd.DataFrame(
                    {
                        "exchange": exchange,
                        "session": sar.index,
                        "basket": b,
                        "basket_sar": bsar.to_numpy(),
                        "n_big": big.to_numpy(),
                        "n_members": len(mem),
                        "flagged": flagged.to_numpy(),
                    }
                )
            )
            block = sar.loc[flagged.to_numpy(), mem]
            hit = block.where(block.abs() > z).stack().reset_index()  # the members that moved
            hit.columns = ["session", "symbol", "sar"]
            sym_rows.append(hit.assign(exchange=exchange, basket=b))
    flag_table = pd.concat(flags, ignore_index=True)
    symbols = pd.concat(sym_rows, ignore_index=True) if sym_rows else pd.DataFrame()
    episodes = _episodes(flag_table, symbols, first, last, max_gap, catalog, list(baskets))
    manifest = {
        "start": str(first.date()),
        "end": str(last.date()),
        "universe": universe,
        "z": z,
        "k": k,
        "window": window,
        "max_gap": max_gap,
        "severity": "sum over flagged baskets of |SCAR| over the episode's sessions",
    }
    return ScanResult(flag_table, episodes, symbols, manifest)


def _episodes(
    flags: pd.DataFrame,
    symbols: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
    max_gap: int,
    catalog: Catalog,
    basket_names: list[str],
) -> pd.DataFrame:
    exchanges = sorted(flags["exchange"].unique())
    timeline = (
        pd.concat(
            [session_times(x, first, last).reset_index().assign(exchange=x) for x in exchanges],
            ignore_index=True,
        )
        .sort_values("open", kind="stable")
        .reset_index(drop=True)
    )
    hot = flags.loc[flags["flagged"]]
    hot_keys = hot[["exchange", "session"]].drop_duplicates().assign(hot=True)
    timeline = timeline.merge(hot_keys, on=["exchange", "session"], how="left")
    is_hot = timeline["hot"].fillna(False).to_numpy(dtype=bool)
    # Episode ids: a new episode starts at a flagged session more than max_gap unflagged
    # sessions after the previous flagged one (vectorised over the timeline).
    hot_pos = np.flatnonzero(is_hot)
    new_ep = np.ones(len(hot_pos), dtype=bool)
    new_ep[1:] = np.diff(hot_pos) - 1 > max_gap
    ep_of_hot = np.cumsum(new_ep)
    timeline["episode"] = 0
    timeline.loc[hot_pos, "episode"] = ep_of_hot
    # Spans: every session between an episode's first and last flagged one belongs to it.
    bounds = pd.DataFrame({"pos": hot_pos, "episode": ep_of_hot}).groupby("episode")["pos"]
    lo, hi = bounds.min().to_numpy(), bounds.max().to_numpy()
    span_ep = np.zeros(len(timeline), dtype=np.int64)
    for e, (a, b) in enumerate(zip(lo, hi, strict=True), start=1):  # episodes, not firms
        span_ep[a : b + 1] = e
    timeline["span"] = span_ep
    keyed = timeline[["exchange", "session", "episode", "span"]]
    flags_ep = flags.merge(keyed, on=["exchange", "session"], how="inner")
    in_span = flags_ep.loc[flags_ep["span"] > 0]
    hot_ep = flags_ep.loc[flags_ep["flagged"] & (flags_ep["episode"] > 0)]
    # Per (episode, basket): SCAR over the basket's sessions in the span, if flagged there.
    sums = in_span.groupby(["span", "basket"])["basket_sar"].agg(["sum", "count"])
    scar = (sums["sum"] / np.sqrt(sums["count"])).rename("scar")
    flagged_pairs = hot_ep.groupby(["episode", "basket"]).size().index
    scar = scar.reindex(flagged_pairs.set_names(["span", "basket"])).fillna(0.0).abs()
    severity = scar.groupby(level=0).sum()
    per_basket = scar.unstack("basket").reindex(columns=basket_names).fillna(0.0)
    ordered = hot_ep.assign(abs_sar=hot_ep["basket_sar"].abs()).sort_values(
        ["episode", "abs_sar"], ascending=[True, False]
    )
    ordered["label"] = (
        ordered["basket"]
        + " "
        + ordered["basket_sar"].map("{:+.1f}σ".format)
        + " ("
        + ordered["exchange"]
        + " "
        + ordered["session"].dt.strftime("%m-%d")
        + ")"
    )
    moved = ordered.groupby("episode")["label"].agg(lambda v: "; ".join(v.head(6)))
    if len(symbols):
        sym = symbols.merge(keyed, on=["exchange", "session"]).query("episode > 0")
        sym = sym.assign(abs_sar=sym["sar"].abs()).sort_values(
            ["episode", "abs_sar"], ascending=[True, False]
        )
        sym = sym.drop_duplicates(["episode", "symbol"])
        sym["label"] = sym["symbol"] + " " + sym["sar"].map("{:+.1f}σ".format)
        top = sym.groupby("episode")["label"].agg(lambda v: ", ".join(v.head(5)))
    else:
        top = pd.Series(dtype=object)
    items = timeline.loc[timeline["episode"] > 0]
    grouped = items.groupby("episode")
    firsts, lasts = grouped.first(), grouped.last()
    opens, closes = grouped["open"].min(), grouped["close"].max()
    labels = items["exchange"] + " " + items["session"].dt.strftime("%m-%d")
    listing = labels.groupby(items["episode"]).agg(", ".join)
    rows = []
    for ep in firsts.index:  # episodes, not firms
        near = catalog.near(opens[ep] - pd.Timedelta(days=3), closes[ep])
        row = {
            "episode": int(ep),
            "start": f"{firsts.loc[ep, 'exchange']} {firsts.loc[ep, 'session'].date()}",
            "end": f"{lasts.loc[ep, 'exchange']} {lasts.loc[ep, 'session'].date()}",
            "first_exchange": firsts.loc[ep, "exchange"],
            "start_utc": opens[ep],
            "sessions": listing[ep],
            "severity": float(severity.get(ep, 0.0)),
            "baskets": moved.get(ep, ""),
            "symbols": top.get(ep, ""),
            "events": ", ".join(e.id for e in near),
        }
        for b in basket_names:
            row[f"severity_{b}"] = float(per_basket.loc[ep, b]) if ep in per_basket.index else 0.0
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values("severity", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
