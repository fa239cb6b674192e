"""The study's file interface: returns, prices, events and factors files in, tables out.

Returns and prices come as CSV or Parquet, long (``date,symbol,return`` or
``date,symbol,close``) or wide (``date`` then one column per symbol). Prices are turned into
returns on the file's own dates with the panel's rule: a return needs a price on the date and on
the date before it, so a gap stays a gap.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ipposaki.errors import DataValidationError, InputError
from ipposaki.panel import returns_from_prices
from ipposaki.sources.files import read_price_file

__all__ = ["read_events", "read_factors", "read_prices_as_returns", "read_returns"]


def _read_table(path: str | Path, argument: str) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError(argument, str(path), "an existing .csv or .parquet file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise InputError(argument, str(path), "a file ending in .csv or .parquet")
    if frame.empty:
        raise DataValidationError(str(path), "the file has no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _dates(frame: pd.DataFrame, path: str | Path) -> pd.DatetimeIndex:
    col = next((c for c in frame.columns if c.lower() in ("date", "session")), None)
    if col is None:
        raise DataValidationError(str(path), "missing required column 'date'")
    parsed = pd.to_datetime(frame[col], errors="coerce", format="mixed")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise DataValidationError(
            str(path), f"line {row + 2}: date={frame[col].iloc[row]!r} is not a date"
        )
    return pd.DatetimeIndex(parsed).normalize()


def read_returns(path: str | Path) -> pd.DataFrame:
    """Read returns, long (``date,symbol,return``) or wide (``date`` + symbols).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet file.

    Returns
    -------
    pandas.DataFrame
        Dates x symbols, sorted by date.

    Raises
    ------
    DataValidationError
        On a missing column, an unparseable date or a duplicate (date, symbol).
    """
    frame = _read_table(path, "--returns")
    dates = _dates(frame, path)
    lower = {c.lower(): c for c in frame.columns}
    if "symbol" in lower:
        if "return" not in lower:
            raise DataValidationError(str(path), "missing required column 'return'")
        long = pd.DataFrame(
            {
                "date": dates,
                "symbol": frame[lower["symbol"]].astype(str),
                "ret": pd.to_numeric(frame[lower["return"]], errors="coerce"),
            }
        )
        dup = long.duplicated(["date", "symbol"])
        if dup.any():
            row = long.loc[dup].iloc[0]
            raise DataValidationError(
                str(path), f"two returns for {row['symbol']} on {row['date'].date()}"
            )
        wide = long.pivot(index="date", columns="symbol", values="ret")
    else:
        values = frame.drop(columns=[c for c in frame.columns if c.lower() in ("date", "session")])
        wide = values.apply(pd.to_numeric, errors="coerce").set_axis(dates, axis=0)
    wide.columns.name = None
    return wide.sort_index()


def read_prices_as_returns(path: str | Path, log: bool = False) -> pd.DataFrame:
    """Read prices (long or wide) and return dates x symbols returns.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet file (validated like an import: positive numbers, parseable dates).
    log : bool, default False
        Log returns instead of simple returns.

    Returns
    -------
    pandas.DataFrame
        Dates x symbols returns; the first date and every date after a gap is NaN.
    """
    rows = read_price_file(path)
    price = rows["adj_close"].where(rows["adj_close"].notna(), rows["close"])
    if (price <= 0).any():
        pos = int(np.flatnonzero((price <= 0).to_numpy())[0])
        raise DataValidationError(
            str(path),
            f"line {int(rows['line'].iloc[pos])}: price {price.iloc[pos]} is not positive",
        )
    long = pd.DataFrame(
        {"date": rows["session"], "symbol": rows["symbol"].astype(str), "price": price}
    )
    if long.duplicated(["date", "symbol"]).any():
        row = long.loc[long.duplicated(["date", "symbol"])].iloc[0]
        raise DataValidationError(
            str(path), f"two prices for {row['symbol']} on {pd.Timestamp(row['date']).date()}"
        )
    wide = long.pivot(index="date", columns="symbol", values="price").sort_index()
    wide.columns.name = None
    values = returns_from_prices(wide.to_numpy(dtype=np.float64), "log" if log else "simple")
    return pd.DataFrame(values, index=pd.DatetimeIndex(wide.index), columns=wide.columns)


def read_events(path: str | Path) -> pd.DataFrame:
    """Read an events CSV or Parquet (columns as in :data:`~ipposaki.study.events.EVENT_COLUMNS`).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    pandas.DataFrame
        The events table, as read (validated by the engine).
    """
    frame = _read_table(path, "--events")
    frame.columns = [c.lower() for c in frame.columns]
    return frame


def read_factors(path: str | Path) -> pd.DataFrame:
    """Read factor returns: ``date`` then one column per factor (e.g. Fama-French).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet file.

    Returns
    -------
    pandas.DataFrame
        Dates x factors.
    """
    frame = _read_table(path, "--factors")
    dates = _dates(frame, path)
    values = frame.drop(columns=[c for c in frame.columns if c.lower() in ("date", "session")])
    if values.shape[1] == 0:
        raise DataValidationError(str(path), "no factor columns besides 'date'")
    return values.apply(pd.to_numeric, errors="coerce").set_axis(dates, axis=0).sort_index()
