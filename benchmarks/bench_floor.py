"""The engine against a floor that does the same arithmetic, in one process and one run (#18).

For N firms with one common event (market model, estimation -260..-11, event window -10..10,
five CAR windows, synthetic returns on real NYSE sessions, as in ``bench_study.py``):

* **ipposaki**: ``run_study`` with the full test battery;
* **floor**: written plainly in numpy here: closed-form OLS for every firm at once, the
  abnormal returns, the five CARs, and one row-wise double argsort of the estimation+event AR
  matrix (what a rank test cannot avoid);
* **eventstudy** (the fastest Python peer, about 0.3 ms per firm), when its venv exists
  (``python benchmarks/bench_study.py --setup``), through its driver in ``benchmarks/peers``.

It prints wall seconds (best of ``--repeat`` calls; eventstudy's too, in its own process: a
single call of it varied 5-16 ms at 10 firms) and the two ratios: ipposaki / floor and
peer / ipposaki (issue #18's targets), then ipposaki / floor in CPU seconds of this process,
steadier on a loaded machine (ipposaki hashes the data on a second thread while its blocks run,
so its CPU time counts that thread too).

Reproduce::

    .venv/bin/python benchmarks/bench_floor.py                 # 10, 1,000, 10,000 firms
    .venv/bin/python benchmarks/bench_floor.py --firms 100000  # add the large case
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CAR_WINDOWS = ("-10:10", "-1:1", "0:0", "0:1", "0:5")


def make_data(n_firms: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The data of ``bench_study.py``: market-model returns on NYSE sessions, one event."""
    sys.path.insert(0, str(HERE))
    from bench_study import make_data as study_data

    return study_data(n_firms, None, seed)


def floor(returns: pd.DataFrame) -> np.ndarray:
    """The arithmetic every market-model study with a rank test does, and nothing else."""
    r = returns.to_numpy()
    y, m = r[:, :-1], r[:, -1]
    est, evw = slice(300 - 260, 300 - 10), slice(300 - 10, 300 + 11)
    xe, ye = m[est], y[est]
    xm = xe.mean()
    beta = ((xe - xm)[:, None] * (ye - ye.mean(axis=0))).sum(axis=0) / ((xe - xm) ** 2).sum()
    alpha = ye.mean(axis=0) - beta * xm
    both = np.r_[np.arange(est.start, est.stop), np.arange(evw.start, evw.stop)]
    ar = y[both] - alpha - np.outer(m[both], beta)
    event_ar = ar[-21:]
    cars = []
    for w in CAR_WINDOWS:
        a, b = (int(v) for v in w.split(":"))
        cars.append(event_ar[a + 10 : b + 11].sum(axis=0))
    ranks = np.argsort(np.argsort(ar.T, axis=1), axis=1)  # row-wise, per firm
    return np.vstack([*cars, ranks[:, -11]])


def ipposaki(returns: pd.DataFrame, events: pd.DataFrame) -> object:
    from ipposaki.study import run_study

    return run_study(
        returns,
        events,
        market="MKT",
        estimation_window="-260:-11",
        event_window="-10:10",
        car_windows=list(CAR_WINDOWS),
    )


def peer(returns: pd.DataFrame, events: pd.DataFrame, repeat: int = 1) -> float | None:
    """eventstudy's own seconds through its driver (``benchmarks/peers/common.py``), the best
    of ``repeat`` calls in its process as for ipposaki, or None when its venv is missing or it
    fails."""
    import json
    import os

    python = HERE / "_peers" / "eventstudy" / "bin" / "python"
    if not python.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        returns.rename_axis("date").to_csv(folder / "returns.csv")
        events.to_csv(folder / "events.csv", index=False)
        out = folder / "eventstudy.json"
        subprocess.run(
            [str(python), str(HERE / "peers" / "drive_eventstudy.py"), str(folder), str(out)],
            capture_output=True,
            text=True,
            check=False,
            cwd=folder,
            env={**os.environ, "PEER_REPEAT": str(repeat)},
        )
        if not out.exists():
            return None
        return float(json.loads(out.read_text())["seconds"])


def best(fn: Callable[..., object], args: tuple[object, ...], repeat: int) -> tuple[float, float]:
    """The fastest of ``repeat`` calls of ``fn(*args)``: wall seconds and CPU seconds (this
    process, all threads), each the minimum over the calls."""
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(*args)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, nargs="*", default=[10, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ipposaki(*make_data(10))  # imports and first-call costs out of the timings
    print(
        f"{'firms':>8} {'ipposaki s':>11} {'floor s':>9} {'ipposaki/floor':>15} "
        f"{'eventstudy s':>13} {'peer/ipposaki':>14} {'cpu: ipposaki/floor':>20}"
    )
    for n in sorted(set(args.firms)):
        returns, events = make_data(n)
        t_ipp, c_ipp = best(ipposaki, (returns, events), args.repeat)
        t_floor, c_floor = best(floor, (returns,), args.repeat)
        t_peer = peer(returns, events, args.repeat) if n <= 10_000 else None
        peer_txt = f"{t_peer:13.3f} {t_peer / t_ipp:14.1f}" if t_peer else f"{'-':>13} {'-':>14}"
        print(
            f"{n:8,d} {t_ipp:11.3f} {t_floor:9.4f} {t_ipp / t_floor:15.1f} {peer_txt} "
            f"{c_ipp / c_floor:20.1f}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
