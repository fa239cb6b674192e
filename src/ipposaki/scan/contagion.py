"""The contagion view: each basket's CAR path on its own exchange, side by side in UTC time.

For an event (a zoned timestamp), every basket is studied on its exchange's sessions with the
market model (estimation -250..-11) and its CAAR path is placed at the UTC close of each
session, so Tokyo's and New York's paths interleave as they happened. Co-movement compares, per
basket, the average pairwise correlation of its members' standardised abnormal returns in the
estimation window with that in the event window (day 0 to ``after``): a rise means the members
moved together more than usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.calendars import session_times, sessions
from ipposaki.crossmarket import event_sessions
from ipposaki.panel import build_panel
from ipposaki.results import Result, Summary, SummaryTable, freeze, versions
from ipposaki.scan.scanner import rolling_sar
from ipposaki.store import Store
from ipposaki.study import run_study

__all__ = ["ContagionView", "contagion"]


@dataclass(frozen=True, eq=False)
class ContagionView(Result):
    """Read-only CAAR paths and co-movement of baskets around one event.

    Notes
    -----
    :meth:`to_dir` writes ``paths.csv``, ``comovement.csv``, ``summary.txt`` and
    ``manifest.json``.
    """

    _paths: pd.DataFrame
    _comovement: pd.DataFrame
    _manifest: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        info = {**self._manifest, "versions": self._manifest.get("versions") or versions()}
        object.__setattr__(self, "_manifest", freeze(info))

    @property
    def manifest(self) -> Mapping[str, Any]:
        """Read-only: the event, the baskets, the event window, the model and its estimation
        window, and the versions."""
        return self._manifest

    @property
    def paths(self) -> pd.DataFrame:
        """basket, exchange, rel_day, session, close_utc, aar, caar: sorted by close_utc."""
        return self._paths.copy()

    @property
    def comovement(self) -> pd.DataFrame:
        """basket, exchange, n_members, corr_estimation, corr_event."""
        return self._comovement.copy()

    @property
    def summary(self) -> Summary:
        """The paths (four decimals) and the co-movement (three), each after a line saying
        what it is."""
        m = self._manifest
        when = f" around {m['timestamp']}" if m.get("timestamp") else ""
        window = f"{-int(m['before'])}..{m['after']}" if "before" in m else "the event window"
        return Summary.of(
            f"Contagion view{when}: each basket's AAR and CAAR on its own exchange's sessions "
            f"{window} (market model, estimation -250..-11), in the order of their UTC closes",
            SummaryTable(self._paths, digits=4),
            "Co-movement: the mean pairwise correlation of the members' standardised abnormal "
            "returns in the estimation window and from day 0 on",
            SummaryTable(self._comovement, digits=3),
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """``paths`` and ``comovement``."""
        return {"paths": self.paths, "comovement": self.comovement}


def _mean_pairwise_corr(block: np.ndarray) -> float:
    """Average off-diagonal correlation of the columns of ``block`` (rows with NaN dropped)."""
    block = block[~np.isnan(block).any(axis=1)]
    if block.shape[0] < 3 or block.shape[1] < 2:
        return np.nan
    corr = np.corrcoef(block.T)
    n = corr.shape[0]
    return float((corr.sum() - n) / (n * (n - 1)))


def contagion(
    store: Store, timestamp: object, baskets: list[str], before: int = 5, after: int = 10
) -> ContagionView:
    """Build the contagion view of ``baskets`` around the event at ``timestamp``.

    Parameters
    ----------
    store : Store
        The price store.
    timestamp : str or datetime-like
        The event, with its zone.
    baskets : list of str
        Basket names (each on one exchange).
    before, after : int
        Event window in sessions around each exchange's day 0.

    Returns
    -------
    ContagionView
        Paths and co-movement.
    """
    inst = store.instruments().set_index("symbol")
    stored = set(store.symbols())
    paths, comove = [], []
    for basket in baskets:
        members = [s for s in store.basket(basket) if s in stored]
        exchange = str(inst.loc[members[0], "exchange"])
        bench = str(inst.loc[members[0], "benchmark"])
        day0 = pd.Timestamp(event_sessions(timestamp, [exchange])["event_session"].iloc[0])
        grid = sessions(exchange)
        pos = int(grid.searchsorted(day0))
        lo, hi = grid[max(pos - 270, 0)], grid[min(pos + after + 2, len(grid) - 1)]
        panel = build_panel(store, exchange, [*members, bench], lo, hi)
        events = pd.DataFrame({"symbol": members, "event_date": day0, "basket": basket})
        res = run_study(
            panel.returns,
            events,
            market=bench,
            event_window=(-before, after),
            car_windows=[(0, 0)],
        )
        aar = res.aar.query("basket == @basket")
        times = session_times(
            exchange, grid[max(pos - before, 0)], grid[min(pos + after, len(grid) - 1)]
        )
        rel_sessions = grid[pos + aar["rel_day"].to_numpy()]
        paths.append(
            pd.DataFrame(
                {
                    "basket": basket,
                    "exchange": exchange,
                    "rel_day": aar["rel_day"].to_numpy(),
                    "session": rel_sessions,
                    "close_utc": times["close"].reindex(rel_sessions).to_numpy(),
                    "aar": aar["aar"].to_numpy(),
                    "caar": aar["caar"].to_numpy(),
                }
            )
        )
        sar = rolling_sar(
            panel.returns[members].to_numpy(dtype=float),
            panel.returns[bench].to_numpy(dtype=float),
            250,
            125,
        )
        p0 = int(panel.sessions.searchsorted(day0))
        comove.append(
            {
                "basket": basket,
                "exchange": exchange,
                "n_members": len(members),
                "corr_estimation": _mean_pairwise_corr(sar[max(p0 - 250, 0) : p0 - 10]),
                "corr_event": _mean_pairwise_corr(sar[p0 : p0 + after + 1]),
            }
        )
    table = pd.concat(paths, ignore_index=True).sort_values(["close_utc", "basket"])
    manifest = {
        "timestamp": str(pd.Timestamp(timestamp)),  # type: ignore[arg-type]
        "baskets": list(baskets),
        "before": before,
        "after": after,
        "model": "market",
        "estimation_window": [-250, -11],
    }
    return ContagionView(table.reset_index(drop=True), pd.DataFrame(comove), manifest)
