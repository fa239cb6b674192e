"""Benchmark the event-study engine against the Python peers (issue #3).

Market model, estimation window of 250 sessions (-260..-11), event window of 21 sessions
(-10..+10), one common event date, N = 10, 100, 1,000 and 10,000 firms, synthetic returns on
real NYSE sessions ending 2022-12-30 (event-study-toolkit's calendar stops in 2023-07). ipposaki
runs the full test battery; each peer runs in its own virtual environment through a driver in
``benchmarks/peers/``. The table gives seconds, the ratio peer / ipposaki, and the largest
absolute difference between the peer's per-firm CAR(-10, +10) and ipposaki's.

Then the scale case: 100,000 firm-events on random dates over 20 years x 5,000 symbols.

Reproduce::

    python benchmarks/bench_study.py --setup     # once: one venv per peer under benchmarks/_peers
    .venv/bin/python benchmarks/bench_study.py   # the table (peers at 10,000 firms take long)
    .venv/bin/python benchmarks/bench_study.py --quick --no-peers
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
PEERS_DIR = HERE / "_peers"

#: peer name -> (pip requirement, driver, largest N to run it at)
PEERS: dict[str, tuple[str, str, int]] = {
    "eventstudy": ("eventstudy==0.1a12", "drive_eventstudy.py", 10_000),
    "ffjr-eventstudies": ("ffjr-eventstudies==0.2.0", "drive_ffjr.py", 10_000),
    "easy-es": ("easy-es==0.1.2", "drive_easy_es.py", 1_000),
    "event-study-toolkit": ("event-study-toolkit==1.0.0", "drive_toolkit.py", 1_000),
    # myeventstudy breaks under pandas 3 (its groupby.apply drops the key it then deletes).
    "myeventstudy": ("myeventstudy==0.1.4 openpyxl pandas<3", "drive_myeventstudy.py", 1_000),
    "easyeventstudies": ("easyeventstudies==2.0", "drive_easyeventstudies.py", 1_000),
    "py-event-studies": ("py-event-studies==0.3.0", "drive_py_event_studies.py", 1_000),
}
#: py-event-studies' event window is -10..+9 (see its driver); it is compared on that window.
WINDOW_OF = {"py-event-studies": "-10:9"}


def setup() -> None:
    """Create one virtual environment per peer and install it there."""
    PEERS_DIR.mkdir(exist_ok=True)
    for name, (requirement, _, _) in PEERS.items():
        venv = PEERS_DIR / name
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        proc = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", *requirement.split()],
            capture_output=True,
            text=True,
        )
        status = "ok" if proc.returncode == 0 else f"install error: {proc.stderr.strip()[-300:]}"
        print(f"{name:<22} {status}")


def make_data(
    n_firms: int, folder: Path | None, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic market-model returns on NYSE sessions and one common event; written to
    ``folder`` as returns.csv and events.csv unless it is None."""
    from ipposaki.calendars import sessions

    rng = np.random.default_rng(seed)
    idx = sessions("XNYS", "2021-06-01", "2022-12-30")
    market = rng.normal(0.0003, 0.01, len(idx))
    beta = rng.uniform(0.5, 1.5, n_firms)
    data = market[:, None] * beta + rng.normal(0.0, 0.02, (len(idx), n_firms))
    returns = pd.DataFrame(data, index=idx, columns=[f"S{i:05d}" for i in range(n_firms)])
    returns["MKT"] = market
    event_day = idx[300]
    events = pd.DataFrame({"symbol": returns.columns[:-1], "event_date": event_day})
    if folder is None:
        return returns, events
    folder.mkdir(parents=True, exist_ok=True)
    returns.rename_axis("date").to_csv(folder / "returns.csv", date_format="%Y-%m-%d")
    events.to_csv(folder / "events.csv", index=False, date_format="%Y-%m-%d")
    return returns, events


def time_ipposaki(
    returns: pd.DataFrame, events: pd.DataFrame, repeat: int = 3
) -> tuple[float, pd.Series]:
    """Best of ``repeat`` runs of the full study; returns seconds and CAR(-10, +10) per firm."""
    from ipposaki.study import run_study

    best = np.inf
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run_study(
            returns,
            events,
            market="MKT",
            estimation_window="-260:-11",
            event_window="-10:10",
            car_windows=["-10:10", "-10:9", "0:0", "0:1", "-1:1"],
        )
        best = min(best, time.perf_counter() - start)
    assert result is not None
    car = result.car.pivot(index="symbol", columns="window", values="car")
    assert len(result.tests) > 0
    return best, car.astype(float)


def run_peer(name: str, folder: Path, timeout: float) -> tuple[float, dict[str, float]] | str:
    """Run one peer's driver; return (seconds, CARs) or the reason it did not finish."""
    _, driver, _ = PEERS[name]
    python = PEERS_DIR / name / "bin" / "python"
    if not python.exists():
        return "not installed (run --setup)"
    out = folder / f"{name}.json"
    try:
        proc = subprocess.run(
            [str(python), str(HERE / "peers" / driver), str(folder), str(out)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=folder,
        )
    except subprocess.TimeoutExpired:
        return f"over the {timeout:.0f} s budget"
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or ["?"]
        named = [ln for ln in lines if re.match(r"^\w+(Error|Exception): ", ln)]
        return "error: " + (named[0] if named else lines[-1])[:160]
    payload = json.loads(out.read_text())
    return float(payload["seconds"]), {str(k): float(v) for k, v in payload["car"].items()}


def scale_case() -> str:
    """100,000 firm-events on random dates over 20 years x 5,000 symbols: seconds and memory."""
    code = r"""
import time, numpy as np, pandas as pd
from ipposaki.study import run_study
rng = np.random.default_rng(0)
t, s, n = 5040, 5000, 100_000
idx = pd.bdate_range("2005-01-03", periods=t)
m = rng.normal(0.0003, 0.01, t)
frame = pd.DataFrame(m[:, None] * rng.uniform(0.5, 1.5, s) + rng.normal(0, 0.02, (t, s)),
                     index=idx, columns=[f"S{i}" for i in range(s)])
frame["MKT"] = m
ev = pd.DataFrame({"symbol": [f"S{i}" for i in rng.integers(0, s, n)],
                   "event_date": idx[rng.integers(270, t - 20, n)]})
start = time.perf_counter()
res = run_study(frame, ev, market="MKT", estimation_window="-260:-11", event_window="-10:10")
sec = time.perf_counter() - start
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(f"{sec:.2f} s, peak {int(hwm) / 1024**2:.2f} GiB (process), {len(res.params)} pairs, "
      f"{len(res.excluded)} excluded (duplicates)")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return proc.stdout.strip() or proc.stderr.strip()[-300:]


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="create the peer venvs and exit")
    parser.add_argument("--quick", action="store_true", help="N = 10, 100, 1000 only")
    parser.add_argument("--no-peers", action="store_true", help="time ipposaki only")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per peer run")
    opts = parser.parse_args()
    if opts.setup:
        setup()
        return
    sizes = [10, 100, 1_000] if opts.quick else [10, 100, 1_000, 10_000]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            folder = Path(tmp) / f"n{n}"
            returns, events = make_data(n, folder)
            ours, our_car = time_ipposaki(returns, events)
            rows.append(
                {
                    "N": n,
                    "tool": "ipposaki (full battery)",
                    "seconds": ours,
                    "ratio": 1.0,
                    "max |dCAR|": 0.0,
                }
            )
            print(f"N={n:>6}  ipposaki {ours:8.3f} s", flush=True)
            if opts.no_peers:
                continue
            for name, (_, _, max_n) in PEERS.items():
                if n > max_n:
                    rows.append({"N": n, "tool": name, "note": f"not run above N = {max_n:,}"})
                    continue
                got = run_peer(name, folder, opts.timeout)
                if isinstance(got, str):
                    rows.append({"N": n, "tool": name, "note": got})
                    print(f"N={n:>6}  {name:<22} {got}", flush=True)
                    continue
                seconds, cars = got
                theirs = pd.Series(cars)
                ours_w = our_car[WINDOW_OF.get(name, "-10:10")]
                common = ours_w.index.intersection(theirs.index)
                diff = (
                    float(np.max(np.abs(ours_w[common] - theirs[common])))
                    if len(common)
                    else np.nan
                )
                rows.append(
                    {
                        "N": n,
                        "tool": name,
                        "seconds": seconds,
                        "ratio": seconds / ours,
                        "max |dCAR|": diff,
                        "note": f"{len(common)}/{n} firms compared",
                    }
                )
                print(
                    f"N={n:>6}  {name:<22} {seconds:8.3f} s  x{seconds / ours:9.1f}  max|dCAR| {diff:.2e}",
                    flush=True,
                )
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print("CARs compared on -10..+10 (py-event-studies: -10..+9, its window).")
    print()
    print("scale: 100,000 firm-events, 20 years x 5,000 symbols:", scale_case())


if __name__ == "__main__":
    main()
