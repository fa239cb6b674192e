"""The headline of a shock, computed from the data: what moved on each event session.

* **moves**: every symbol of each exchange's panel on each of its event sessions, with the price
  level, the change from the previous session and the return.
* **headline**: per event session, the ``top_moves`` largest moves by absolute return among the
  headline universe (by default the spec's baskets' symbols and the benchmark indices), sorted
  from the largest fall to the largest rise.
* **indices**: the benchmark indices with level, point change and percent (by default every
  index of New York and Tokyo in the instruments table, volatility indices left out).
* **fx**: USD/JPY on each event date, when the store holds it (``JPY=X``, else the noon New
  York rate ``DEXJPUS``).
* **baskets**: each basket's raw move (the equal-weight mean of its members' returns) beside its
  abnormal move (the mean of its members' abnormal returns in the event study) on each of its
  exchange's event sessions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ipposaki.errors import InputError
from ipposaki.panel import ReturnsPanel
from ipposaki.shock.sessions import ShockSession
from ipposaki.store import Store
from ipposaki.study.spec import SpecResult, StudySpec

__all__ = ["FX_SYMBOLS", "basket_moves", "benchmark_indices", "fx_moves", "headline", "moves"]

#: USD/JPY series, in order of preference: the daily bar, then FRED's noon New York rate.
FX_SYMBOLS = ("JPY=X", "DEXJPUS")


def spec_baskets(spec: StudySpec) -> list[str]:
    """The spec's baskets, in the order its events name them."""
    return list(dict.fromkeys(b for ev in spec.events for b in ev.baskets))


def benchmark_indices(instruments: pd.DataFrame, chosen: tuple[str, ...] = ()) -> list[str]:
    """The benchmark indices: ``chosen``, else every index of New York and Tokyo (volatility
    indices such as the VIX left out: their percent change is not a market's return)."""
    if chosen:
        return list(chosen)
    from ipposaki.instruments import builtin_instruments

    builtin = builtin_instruments().set_index("symbol")["sector"]
    # A store made before the built-in table marked the VIX keeps its old sector: ask both.
    volatility = (instruments["sector"] == "volatility") | (
        instruments["symbol"].map(builtin) == "volatility"
    )
    idx = instruments.loc[
        (instruments["kind"] == "index")
        & instruments["exchange"].isin(["XNYS", "XTKS"])
        & ~volatility
    ]
    return idx["symbol"].tolist()


def moves(
    panels: dict[str, ReturnsPanel],
    sessions: tuple[ShockSession, ...],
    instruments: pd.DataFrame,
    baskets: pd.DataFrame,
) -> pd.DataFrame:
    """Every symbol of each exchange's panel on each of that exchange's event sessions.

    Returns
    -------
    pandas.DataFrame
        exchange, session, event_label (the session's label), role, symbol, name, name_ja, kind,
        baskets (comma-joined basket ids), level, change, ret.

    Raises
    ------
    InputError
        When the data has no prices on an event session.
    """
    inst = instruments.set_index("symbol")
    member_of = baskets.groupby("symbol")["basket"].agg(", ".join)
    frames = []
    for s in sessions:
        panel = panels[s.exchange]
        day = pd.Timestamp(s.day)
        if day not in panel.returns.index:
            raise InputError(
                "data",
                f"no {s.exchange} prices on {s.day}",
                "prices covering every event session (see `ipposaki data info`)",
            )
        pos = panel.returns.index.get_loc(day)
        prices = panel.prices
        level = prices.loc[day]
        prev = prices.iloc[pos - 1] if isinstance(pos, int) and pos > 0 else level * np.nan
        symbols = list(panel.returns.columns)
        frames.append(
            pd.DataFrame(
                {
                    "exchange": s.exchange,
                    "session": s.day,
                    "event_label": s.label,
                    "role": s.role,
                    "symbol": symbols,
                    "name": [inst["name"].get(x, x) or x for x in symbols],
                    "name_ja": [
                        inst["name_ja"].get(x, "") or inst["name"].get(x, x) for x in symbols
                    ],
                    "kind": [inst["kind"].get(x, "") for x in symbols],
                    "baskets": [member_of.get(x, "") for x in symbols],
                    "level": level.reindex(symbols).to_numpy(dtype=float),
                    "change": (level - prev).reindex(symbols).to_numpy(dtype=float),
                    "ret": panel.returns.loc[day].reindex(symbols).to_numpy(dtype=float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def headline(frame: pd.DataFrame, universe: list[str], k: int) -> pd.DataFrame:
    """Per event session, the ``k`` largest moves by absolute return among ``universe``,
    sorted from the largest fall to the largest rise."""
    pool = frame.loc[frame["symbol"].isin(universe) & frame["ret"].notna()]
    picks = []
    for _, grp in pool.groupby(["exchange", "session"], sort=False):
        top = grp.loc[grp["ret"].abs().nlargest(k).index]
        picks.append(top.sort_values("ret", kind="stable"))
    if not picks:
        return frame.iloc[0:0].copy()
    return pd.concat(picks).reset_index(drop=True)


def fx_moves(store: Store, days: list[str]) -> pd.DataFrame:
    """USD/JPY on each of ``days`` with its change from the previous observation.

    Returns
    -------
    pandas.DataFrame
        symbol, date, level, prev_date, change, ret; empty when the store holds no USD/JPY on
        those days.
    """
    columns = ["symbol", "date", "level", "prev_date", "change", "ret"]
    held = set(store.symbols())
    for symbol in FX_SYMBOLS:
        if symbol not in held:
            continue
        lo = pd.Timestamp(min(days)) - pd.Timedelta(days=10)
        rows = store.prices([symbol], lo, max(days))
        series = rows.set_index(pd.to_datetime(rows["session"]))["close"].dropna()
        out = []
        for day in sorted(set(days)):
            stamp = pd.Timestamp(day)
            if stamp not in series.index:
                continue
            before = series.loc[series.index < stamp]
            if before.empty:
                continue
            level, prev = float(series.loc[stamp]), float(before.iloc[-1])
            out.append(
                {
                    "symbol": symbol,
                    "date": day,
                    "level": level,
                    "prev_date": f"{before.index[-1]:%Y-%m-%d}",
                    "change": level - prev,
                    "ret": level / prev - 1.0,
                }
            )
        if out:
            return pd.DataFrame(out, columns=columns)
    return pd.DataFrame(columns=columns)


def basket_moves(
    frame: pd.DataFrame,
    baskets: pd.DataFrame,
    names: list[str],
    study: SpecResult | None,
) -> pd.DataFrame:
    """Each basket's raw and abnormal move on each event session of its exchange.

    Returns
    -------
    pandas.DataFrame
        basket, name, name_ja, exchange, session, event_label, role, mean_ret (the raw
        equal-weight move), median_ret, nobs (members with a return), n_members, mean_ar (the
        abnormal move: the members' mean abnormal return that session), nobs_ar.
    """
    members = baskets.loc[baskets["basket"].isin(names)]
    joined = members.merge(frame, on="symbol", suffixes=("_basket", ""))
    keys = ["basket", "exchange", "session", "event_label", "role"]
    grouped = joined.groupby(keys, sort=False)["ret"]
    stats = grouped.agg(mean_ret="mean", median_ret="median", nobs="count", n_members="size")
    out: pd.DataFrame = stats.reset_index()
    label = members.drop_duplicates("basket").set_index("basket")
    out.insert(1, "name", out["basket"].map(label["name"]))
    out.insert(2, "name_ja", out["basket"].map(label["name_ja"]))
    out["mean_ar"], out["nobs_ar"] = np.nan, 0
    if study is not None:
        for exchange, res in study.results.items():
            ar = res.ar
            ar = ar.assign(
                basket=ar["basket"].astype(str).str.split("/").str[-1],
                day=pd.to_datetime(ar["session"]).dt.strftime("%Y-%m-%d"),
            )
            mean = ar.groupby(["basket", "day"])["ar"].agg(["mean", "count"])
            for i, row in out.loc[out["exchange"] == exchange].iterrows():
                key = (row["basket"], row["session"])
                if key in mean.index:
                    out.loc[i, "mean_ar"] = mean.loc[key, "mean"]
                    out.loc[i, "nobs_ar"] = int(mean.loc[key, "count"])
    order = {b: i for i, b in enumerate(names)}
    by_basket = np.argsort([order.get(b, len(order)) for b in out["basket"]], kind="stable")
    return out.iloc[by_basket].reset_index(drop=True)
