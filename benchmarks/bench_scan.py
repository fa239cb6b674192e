"""Benchmark the shock scanner (issue #5).

1. 10 years x all 98 symbols of the real data (``../shared/data/prices``): target < 3 s.
2. A synthetic 5,000 symbols x 2,500 sessions in 100 baskets of 50: target < 20 s and < 4 GiB.

Each scan runs in a fresh process so its peak memory (VmHWM) is its own; the store is built
before and not timed. Reproduce::

    .venv/bin/python benchmarks/bench_scan.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT.parent / "shared" / "data" / "prices" / "daily.csv"

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
from ipposaki.scan import scan
from ipposaki.store import Store
store, start, end = sys.argv[1:4]
t0 = time.perf_counter()
res = scan(Store(store), start, end, ["all"])
seconds = time.perf_counter() - t0
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(json.dumps({"seconds": seconds, "episodes": len(res.episodes), "peak_gib": int(hwm) / 1024**2}))
"""


def child(store: Path, start: str, end: str) -> dict[str, float]:
    """Scan in a fresh interpreter and return its JSON line."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), start, end],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def synthetic_store(folder: Path, n_symbols: int = 5_000, n_sessions: int = 2_500) -> Path:
    """A store of synthetic prices, 100 baskets of 50, and an equal-weighted ^GSPC."""
    from ipposaki.sources.synthetic import synthetic_panel
    from ipposaki.store import Store

    frame = synthetic_panel(n_symbols, n_sessions, seed=5)
    wide = frame.pivot(index="session", columns="symbol", values="close")
    market = 100 * np.exp(
        np.log1p(wide.pct_change(fill_method=None).mean(axis=1).fillna(0)).cumsum()
    )
    index = pd.DataFrame({"symbol": "^GSPC", "session": market.index, "close": market.to_numpy()})
    store = Store(folder / "synthetic.duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store.ingest(pd.concat([frame, index], ignore_index=True), "synthetic")
    inst = store.instruments()
    inst.loc[inst["symbol"].str.startswith("S"), "kind"] = "stock"
    store.add_instruments(inst)
    symbols = sorted(frame["symbol"].unique())
    baskets = pd.DataFrame(
        {"basket": [f"b{i // 50:03d}" for i in range(len(symbols))], "symbol": symbols}
    ).assign(name=lambda d: d["basket"], name_ja=lambda d: d["basket"])
    store.add_baskets(baskets)
    return store.path


def main() -> None:
    """Run both cases and print a table."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = []
        if PRICES.is_file():
            from ipposaki.store import Store

            real = Store(folder / "real.duckdb")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                real.import_files([PRICES], non_sessions="skip")
            res = child(real.path, "2016-01-01", "2025-12-31")
            rows.append(("real: 98 symbols, 2016-2025", res))
        t0 = time.perf_counter()
        path = synthetic_store(folder)
        print(f"built the synthetic store in {time.perf_counter() - t0:.1f} s")
        from ipposaki.store import Store

        lo, hi = Store(path).span()
        assert lo is not None and hi is not None
        start = str((lo + (hi - lo) * 0.12).date())  # leave a year for the first market model
        res = child(path, start, str(hi.date()))
        rows.append(("synthetic: 5,000 x 2,500", res))
    print(f"{'case':<32} {'seconds':>8} {'episodes':>9} {'peak GiB':>9}")
    for label, res in rows:
        print(
            f"{label:<32} {res['seconds']:>8.2f} {int(res['episodes']):>9} {res['peak_gib']:>9.2f}"
        )


if __name__ == "__main__":
    main()
