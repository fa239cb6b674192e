"""Benchmark the volume and volatility measures (issue #17): 10,000 firms, target < 1 s.

The floor is the return study on the same data (the engine and test battery every measure
shares); each measure is timed against it and against the target. Setting as in
``bench_study.py``: synthetic data on real NYSE sessions ending 2022-12-30, one common event,
estimation window -260..-11, event window -10..+10, CAR windows -10:10, -10:9, 0:0, 0:1, -1:1;
shares traded log-normal per firm (``ln V ~ N(mu_i, sd_i)``), returns from a market model. Times
exclude making the data; best of ``--repeat`` runs in one process. Wall time is the target; the
CPU time of the process (all its threads) is printed beside it, because on a shared machine the
wall time mostly measures the other processes.

Reproduce::

    .venv/bin/python benchmarks/bench_measures.py            # 10,000 firms
    .venv/bin/python benchmarks/bench_measures.py --firms 1000 --repeat 2
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
import pandas as pd

TARGET_SECONDS = 1.0


def make_data(n_firms: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns (with a market column MKT), shares traded and one common event per firm."""
    from ipposaki.calendars import sessions

    rng = np.random.default_rng(seed)
    idx = sessions("XNYS", "2021-06-01", "2022-12-30")
    names = [f"S{i:05d}" for i in range(n_firms)]
    market = rng.normal(0.0003, 0.01, len(idx))
    beta = rng.uniform(0.5, 1.5, n_firms)
    returns = pd.DataFrame(
        market[:, None] * beta + rng.normal(0.0, 0.02, (len(idx), n_firms)),
        index=idx,
        columns=names,
    )
    returns["MKT"] = market
    log_v = rng.uniform(10.0, 16.0, n_firms) + rng.uniform(0.2, 0.6, n_firms) * (
        rng.standard_normal((len(idx), n_firms))
    )
    volume = pd.DataFrame(np.floor(np.exp(log_v)), index=idx, columns=names)
    volume["MKT"] = np.floor(np.exp(rng.normal(20.0, 0.3, len(idx))))
    events = pd.DataFrame({"symbol": names, "event_date": idx[300]})
    return returns, volume, events


def best_of(repeat: int, **kwargs: Any) -> tuple[float, float, int]:
    """Best wall and CPU times of ``repeat`` studies, and the pairs studied."""
    from ipposaki.study import run_study

    best, best_cpu, pairs = np.inf, np.inf, 0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run_study(
            estimation_window="-260:-11",
            event_window="-10:10",
            car_windows=["-10:10", "-10:9", "0:0", "0:1", "-1:1"],
            **kwargs,
        )
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        pairs = len(result.params)
    return best, best_cpu, pairs


def main() -> None:
    """Print one table: seconds, ratio to the return study, the target and whether it is met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    returns, volume, events = make_data(args.firms)
    base = {"returns": returns, "events": events}
    cases: list[tuple[str, dict[str, Any]]] = [
        ("return, market model (floor)", {"market": "MKT"}),
        (
            "volume, constant-mean",
            {"model": "constant-mean", "measure": "volume", "volume": volume},
        ),
        (
            "volume, market model on MKT's volume",
            {"market": "MKT", "measure": "volume", "volume": volume},
        ),
        ("volume, market model on the universe mean", {"measure": "volume", "volume": volume}),
        ("volatility, market model", {"market": "MKT", "measure": "volatility"}),
    ]
    best_of(1, **base, **cases[0][1])  # warm-up: imports and first allocations
    load = os.getloadavg()[0]
    print(f"{args.firms:,} firms, best of {args.repeat}; load average {load:.1f}")
    print(
        f"| case | pairs | seconds | CPU seconds | ÷ return study | target < {TARGET_SECONDS:g} s "
        "| met |"
    )
    print("|---|---:|---:|---:|---:|---|---|")
    floor = np.nan
    for label, kwargs in cases:
        seconds, cpu, pairs = best_of(args.repeat, **base, **kwargs)
        floor = seconds if np.isnan(floor) else floor
        met = "yes" if seconds < TARGET_SECONDS else "no"
        print(
            f"| {label} | {pairs:,} | {seconds:.3f} | {cpu:.3f} | {seconds / floor:.2f} | "
            f"< {TARGET_SECONDS:g} s | {met} |"
        )


if __name__ == "__main__":
    main()
