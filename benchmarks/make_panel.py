"""Write a synthetic partitioned price panel for the scale-out benchmark (issue #8).

10,000 symbols x 30 years of NYSE sessions (1995-2024, from exchange_calendars), one Parquet
file per year under ``year=YYYY/``, with columns ``symbol, session, close, exchange``.
Returns follow a market model, r = a + b m + e, with b ~ U(0.2, 1.8), Student-t(4) errors, and
a market symbol ``MKT``. Gaps are real-looking: each symbol lists and delists at random dates
(one in three lives the whole span), and 1% of its remaining closes are missing at random.

Reproduce::

    .venv/bin/python benchmarks/make_panel.py --out benchmarks/_data/panel --symbols 10000
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import exchange_calendars as xcals
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def make_panel(out: Path, n_symbols: int, first_year: int, last_year: int, seed: int) -> int:
    """Write the panel into ``out`` (atomically) and return the number of price rows."""
    rng = np.random.default_rng(seed)
    calendar = xcals.get_calendar("XNYS", start=f"{first_year}-01-01", end=f"{last_year}-12-31")
    sessions = calendar.sessions
    t = len(sessions)
    names = np.array([f"S{i:05d}" for i in range(n_symbols)] + ["MKT"])
    beta = np.append(rng.uniform(0.2, 1.8, n_symbols), 1.0)
    alpha = np.append(rng.normal(0.0, 2e-4, n_symbols), 0.0)
    scale = np.append(rng.uniform(0.008, 0.03, n_symbols), 0.0)
    born = np.where(rng.random(n_symbols + 1) < 1 / 3, 0, rng.integers(0, t - 300, n_symbols + 1))
    died = np.where(rng.random(n_symbols + 1) < 0.5, t, rng.integers(born + 300, t + 1))
    born[-1], died[-1] = 0, t  # the market lives throughout
    level = np.full(n_symbols + 1, 100.0)
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    rows = 0
    years = sessions.year
    for year in range(first_year, last_year + 1):
        days = np.flatnonzero(years == year)
        m = rng.normal(3e-4, 0.011, len(days))
        eps = rng.standard_t(4, (len(days), n_symbols + 1)) / np.sqrt(2.0) * scale
        ret = alpha + np.outer(m, beta) + eps
        close = level * np.cumprod(1.0 + ret, axis=0)  # (days, symbols)
        level = close[-1]
        alive = (days[:, None] >= born) & (days[:, None] < died)
        alive &= rng.random(alive.shape) >= 0.01
        alive[:, -1] = True
        d_idx, s_idx = np.nonzero(alive)
        table = pa.table(
            {
                "symbol": pa.DictionaryArray.from_arrays(
                    pa.array(s_idx.astype(np.int32)), pa.array(names)
                ).cast(pa.string()),
                "session": pa.array(sessions[days].values.astype("datetime64[D]")[d_idx]),
                "close": pa.array(close[d_idx, s_idx]),
                "exchange": pa.array(np.full(len(d_idx), "XNYS")),
            }
        )
        folder = staging / f"year={year}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-0.parquet", row_group_size=256_000)
        rows += table.num_rows
    if out.exists():
        shutil.rmtree(out)
    os.replace(staging, out)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/_data/panel"))
    parser.add_argument("--symbols", type=int, default=10_000)
    parser.add_argument("--first-year", type=int, default=1995)
    parser.add_argument("--last-year", type=int, default=2024)
    parser.add_argument("--seed", type=int, default=20250127)
    args = parser.parse_args()
    t0 = time.perf_counter()
    rows = make_panel(args.out, args.symbols, args.first_year, args.last_year, args.seed)
    print(f"wrote {rows:,} rows to {args.out} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
