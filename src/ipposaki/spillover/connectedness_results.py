"""The results of Diebold-Yilmaz connectedness: :class:`Connectedness` (one VAR's spillover
table, total index, directional and pairwise spillovers) and :class:`RollingConnectedness` (the
indices over rolling windows), both read-only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ipposaki.results import Result, Summary, SummaryTable, freeze, versions
from ipposaki.spillover.fevd import spillovers

__all__ = ["Connectedness", "RollingConnectedness", "frozen_manifest"]


def frozen_manifest(manifest: Mapping[str, Any]) -> Mapping[str, Any]:
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
        object.__setattr__(self, "_manifest", frozen_manifest(self._manifest))

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
        object.__setattr__(self, "_manifest", frozen_manifest(self._manifest))

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
        return float(spillovers(self._share.to_numpy())[3])

    @property
    def directional(self) -> pd.DataFrame:
        """One row per series: ``to``, ``from`` and ``net`` (to - from) spillovers, percent."""
        to, frm, net, _ = spillovers(self._share.to_numpy())
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
        to, frm, net, total = spillovers(self._share.to_numpy())
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
