"""Size of the tests under simulated nulls, and the power simulator on the real prices (issue #12).

1. The null designs of ``tests/test_size.py`` (:data:`ipposaki.study.null_design.SIZE_DESIGNS`):
   1,000 samples of 15 firms, market model, estimation -250:-11, event -5:5, one ``run_study``
   call per design with ``basket`` = sample. Prints each test's rejection rate at 5% per design
   and window (nominal 5%; the size tests accept [2.5%, 8%]) and the time per design.
2. When ``../shared/data/prices/daily.csv`` is beside the checkout: ``simulate`` on the New
   York panel of the real prices (XNYS sessions, market ^GSPC), 30 pseudo-events per run, 200
   runs, abnormal returns 0, 1% and 2% on day 0, same-date and random clustering.

Reproduce::

    .venv/bin/python benchmarks/bench_size.py            # about 2 minutes
    .venv/bin/python benchmarks/bench_size.py --quick    # 200 samples, no real prices
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from ipposaki.study import run_study
from ipposaki.study.null_design import NULL_MARKET, SIZE_DESIGNS, null_design
from ipposaki.study.simulate import rejection_rates, simulate

ROOT = Path(__file__).resolve().parents[1]
DAILY = ROOT.parent / "shared" / "data" / "prices" / "daily.csv"
WINDOWS = ["0:0", "-1:1"]
SEEDS = {"complete": 10, "gappy-estimation": 11, "missing-event-days": 12, "correlated-gappy": 13}


def size_table(samples: int) -> pd.DataFrame:
    """Rejection rates at 5% per test, design and window; prints the time per design."""
    columns = {}
    for name, design in SIZE_DESIGNS.items():
        t0 = time.perf_counter()
        returns, events = null_design(
            design, samples=samples, seed=SEEDS.get(name, 0), event_window="-5:5"
        )
        t1 = time.perf_counter()
        res = run_study(
            returns,
            events,
            market=NULL_MARKET,
            estimation_window="-250:-11",
            event_window="-5:5",
            car_windows=WINDOWS,
            min_estimation_obs=60,
        )
        t2 = time.perf_counter()
        rates = rejection_rates(res.tests, WINDOWS, [0.05])
        print(
            f"  {name:20s} {samples:,} samples x {design.firms} firms: data {t1 - t0:5.1f} s, "
            f"run_study {t2 - t1:5.1f} s, rates {time.perf_counter() - t2:4.1f} s"
        )
        for window in WINDOWS:
            block = rates.loc[rates["window"] == window].set_index("test")["rejection_rate"]
            columns[(name, window)] = block
    table = pd.DataFrame(columns)
    table.columns = [f"{d} {w}" for d, w in table.columns]
    return table


def real_prices() -> None:
    """The user simulator on the New York panel of the real prices."""
    from ipposaki.panel import build_panel
    from ipposaki.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "store.duckdb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.import_files([DAILY], non_sessions="skip")
        returns = build_panel(store, "XNYS").returns
    for cluster in ("same-date", "random"):
        t0 = time.perf_counter()
        res = simulate(
            returns,
            market="^GSPC",
            events_per_run=30,
            runs=200,
            abnormal=[0.0, 0.01, 0.02],
            cluster=cluster,  # type: ignore[arg-type]
            estimation_window="-250:-11",
            event_window="-5:10",
            car_windows=WINDOWS,
            seed=1,
            data_source=f"{DAILY.name} (XNYS)",
        )
        took = time.perf_counter() - t0
        print(
            f"\nsimulate, real prices (XNYS, {returns.shape[1] - 1} symbols, market ^GSPC), "
            f"{cluster}: 200 runs x 30 pseudo-events x 3 abnormal returns in {took:.1f} s"
        )
        print(res.table(0.05).to_markdown(index=False, floatfmt=".3f"))


def main() -> None:
    """Run the size designs, then the simulator on the real prices when present."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 samples, no real prices")
    args = parser.parse_args()
    samples = 200 if args.quick else 1000
    t0 = time.perf_counter()
    print(f"Size under simulated nulls ({samples:,} samples per design), rejection rate at 5%:")
    table = size_table(samples)
    print(table.to_markdown(floatfmt=".3f"))
    print(f"size designs: {time.perf_counter() - t0:.1f} s")
    if not args.quick and DAILY.is_file():
        real_prices()
    elif not args.quick:
        print(f"\n{DAILY} not found: the real-price simulation is skipped")


if __name__ == "__main__":
    main()
