"""Benchmark the GARCH return models (issue #17): 1,000 firm-events, target < 30 s.

Each pair is one maximum-likelihood fit with ``arch`` (no batched fit exists), so the local
backend runs the fits of a block on a pool of processes, one per core. Data: simulated
market-model returns with GARCH(1,1) errors (``omega = 1e-5, alpha = 0.08, beta = 0.9``, so an
unconditional daily volatility of 2.2%), one event per firm on real XNYS sessions, estimation
window -250:-11, event window -5:10 and the default CAR windows. Times exclude making the data;
wall time is the target; the CPU time of this process and of the fit processes is printed
beside it, because on a shared machine the wall time also measures the other processes.

Reproduce::

    .venv/bin/python benchmarks/bench_garch.py                 # 1,000 firm-events, GARCH(1,1)
    .venv/bin/python benchmarks/bench_garch.py --model egarch
    .venv/bin/python benchmarks/bench_garch.py --firms 200 --workers 1
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pandas as pd

TARGET_SECONDS = 30.0


def simulate_garch(
    n_firms: int, n_sessions: int, rng: np.random.Generator, omega: float, alpha: float, beta: float
) -> np.ndarray:
    """(sessions, firms) GARCH(1,1) errors with normal innovations, started at the mean level."""
    e = np.empty((n_sessions, n_firms))
    var = np.full(n_firms, omega / (1.0 - alpha - beta))
    prev = np.zeros(n_firms)
    for t in range(n_sessions):
        if t:
            var = omega + alpha * prev**2 + beta * var
        prev = np.sqrt(var) * rng.standard_normal(n_firms)
        e[t] = prev
    return e


def make_data(n_firms: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (with a market column MKT) and one event per firm on staggered sessions."""
    from ipposaki.calendars import sessions

    rng = np.random.default_rng(seed)
    idx = sessions("XNYS", "2021-01-04", "2022-12-30")
    names = [f"S{i:05d}" for i in range(n_firms)]
    market = rng.normal(0.0003, 0.01, len(idx))
    beta = rng.uniform(0.5, 1.5, n_firms)
    errors = simulate_garch(n_firms, len(idx), rng, 1e-5, 0.08, 0.9)
    returns = pd.DataFrame(market[:, None] * beta + errors, index=idx, columns=names)
    returns["MKT"] = market
    days = rng.integers(260, len(idx) - 11, n_firms)
    events = pd.DataFrame({"symbol": names, "event_date": idx[days]})
    return returns, events


def main() -> None:
    """Time one study and print the result line recorded in docs/benchmarks.md."""
    from ipposaki.study import run_study
    from ipposaki.study.engine import LocalRunner

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--model", choices=("garch", "egarch"), default="garch")
    parser.add_argument("--workers", type=int, default=None, help="default: one per core")
    args = parser.parse_args()
    returns, events = make_data(args.firms)
    runner = LocalRunner(fit_workers=args.workers)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, cpu = time.perf_counter(), time.process_time()
    res = run_study(returns, events, model=args.model, market="MKT", backend=runner)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pool_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    studied, excluded = len(res.params), len(res.excluded)
    workers = args.workers or os.cpu_count()
    print(
        f"{args.model}: {args.firms} firm-events, {studied} fitted, {excluded} excluded; "
        f"{workers} worker(s) on {os.cpu_count()} cores: {wall:.1f} s wall "
        f"(CPU: {cpu:.1f} s main process, {pool_cpu:.1f} s fit processes, "
        f"{1000 * (cpu + pool_cpu) / max(args.firms, 1):.0f} ms per pair); "
        f"target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if wall < TARGET_SECONDS else 'MISSED'}"
    )
    if excluded:
        print(res.excluded["reason"].str.slice(0, 60).value_counts().to_string())


if __name__ == "__main__":
    main()
