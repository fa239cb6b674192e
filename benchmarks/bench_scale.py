"""Benchmark the Dask backend on a 10,000-symbol x 30-year partitioned panel (issues #8, #18).

Runs a market-model event study with the full test battery on N firm-events (default
1,000,000) drawn uniformly over each symbol's listed life (distinct symbol-sessions), on a
``LocalCluster`` of 2 worker processes with a 4 GiB memory limit each, then the same study on
the local backend. The Dask run spills the per-pair series to ``benchmarks/_data/spill``
(``DaskBackend(spill_to=...)``; ``--no-spill`` gathers them as before). Each run is a fresh
process, so peak memory (VmHWM / ru_maxrss) is its own. The panel is written by
``benchmarks/make_panel.py`` first if it is missing (not timed).

``--stages`` also records, per stage of the study (planning, blocks, gathering the blocks,
the battery, the read-back GRANK, building the result, reading it), the client's RSS at its
end, its peak during it, and the clock and the client's CPU seconds at its end (the
differences give each stage's time): the kernel's high-water mark (VmHWM) is read and reset
(``/proc/self/clear_refs``, Linux) around the engine's functions, so ``client_peak_gib`` is
then the largest stage peak.

The local backend runs its blocks on threads (one per core, at most four);
``--local-threads 1 0`` times it on one thread and then on its default.

Reproduce::

    .venv/bin/python benchmarks/bench_scale.py --events 1000000 --local-threads 1 0
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "benchmarks" / "_data" / "panel"

CHILD = r"""
import json, os, resource, sys, time
import numpy as np, pandas as pd

def peak_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

def cpu_s():  # user + system seconds of this process: less sensitive to other load than wall
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime

STAGES = []  # (stage, RSS at its end, peak during it, GiB; clock and CPU seconds at its end)

def status_gib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024**2
    return float("nan")

def end_stage(stage):  # close a stage: its end RSS and peak; the next peak starts from the RSS
    STAGES.append((stage, round(status_gib("VmRSS"), 3), round(status_gib("VmHWM"), 3),
                   round(time.perf_counter(), 2), round(cpu_s(), 2)))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

def staged():  # mark the stages around the engine's functions (names as of issue #18)
    import ipposaki.study.engine as engine
    from ipposaki.study.distributed import DaskBackend
    from ipposaki.study.results import EventStudyResult

    def around(owner, name, before, after):
        inner = getattr(owner, name)
        def wrapped(*args, **kwargs):
            if before:
                end_stage(before)
            out = inner(*args, **kwargs)
            end_stage(after)
            return out
        setattr(owner, name, wrapped)

    for owner in (DaskBackend, engine.LocalRunner):
        around(owner, "run", "planning", "blocks")
    around(DaskBackend, "run_spilled", "planning", "blocks")
    around(engine, "_group_tests", "gathering the blocks", "battery")
    around(engine, "spilled_grank", None, "read-back GRANK")
    around(EventStudyResult, "build", "after the tests", "building the result")

def main():
    from ipposaki.panel.partitioned import PartitionedPrices
    from ipposaki.study import run_study
    panel, n, backend, spill = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    stages = sys.argv[5] == "stages"
    threads = int(sys.argv[6]) if sys.argv[6] else None  # the local backend's (None: its default)
    t0 = time.perf_counter()
    src = PartitionedPrices(panel)
    life = src._query(f"SELECT symbol, min(session) AS a, max(session) AS b FROM {src._scan()} "
                      "WHERE symbol <> 'MKT' GROUP BY symbol ORDER BY symbol")
    meta = time.perf_counter() - t0
    pos = src.sessions
    lo = pos.get_indexer(pd.DatetimeIndex(life["a"])) + 260
    hi = pos.get_indexer(pd.DatetimeIndex(life["b"])) - 11
    rng = np.random.default_rng(1)
    m = int(n * 1.1)  # draw more, then keep n distinct (symbol, session) pairs
    pick = rng.integers(0, len(life), m)
    day = (lo[pick] + rng.random(m) * (hi[pick] - lo[pick])).astype(int)
    events = pd.DataFrame({"symbol": life["symbol"].to_numpy()[pick], "event_date": pos[day]})
    events = events.drop_duplicates().iloc[:n].reset_index(drop=True)
    events["basket"] = np.where(rng.random(n) < 0.5, "a", "b")
    out = {"events": n, "backend": backend, "metadata_s": meta, "load_start": os.getloadavg()}
    if stages:
        staged()
        end_stage("setup")
    if backend == "dask":
        from distributed import Client, LocalCluster
        from ipposaki.study.distributed import DaskBackend
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          memory_limit="4GiB", dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            marks = {}
            def mark(done, total):
                marks.setdefault("first", time.perf_counter())
                marks["last"] = time.perf_counter()
            t0 = time.perf_counter()
            backend = DaskBackend(client=client, on_progress=mark, spill_to=spill or None)
            out["spill_to"] = spill
            res = run_study(src, events, market="MKT", backend=backend)
            out["seconds"] = time.perf_counter() - t0
            # until the first block is back: planning, submitting and the first task
            out["first_block_s"] = marks["first"] - t0
            out["blocks_s"] = marks["last"] - t0  # until the last block is back
            out["after_blocks_s"] = out["seconds"] - out["blocks_s"]  # gather, tests, tidy
            rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
            out["worker_peak_gib"] = sorted(v / 1024**2 for v in rss.values())
            out["worker_cpu_s"] = sorted(client.run(cpu_s).values())
    else:
        from ipposaki.study.engine import LocalRunner
        from ipposaki.study.threads import local_threads
        out["local_threads"] = local_threads(threads)
        t0 = time.perf_counter()
        res = run_study(src, events, market="MKT", backend=LocalRunner(threads=threads))
        out["seconds"] = time.perf_counter() - t0
    if stages:
        end_stage("returning")
    out["kept"] = int(res.car.query("window == '0:0'").shape[0])
    out["excluded"] = len(res.excluded)
    out["caar_0_0"] = float(res.caar.query("window == '0:0' and basket == 'all'")["caar"].iloc[0])
    out["client_peak_gib"] = peak_gib()
    if stages:  # the resets above reset ru_maxrss too: the peak is the stages' largest
        end_stage("reading the result")
        out["stages"] = STAGES
        out["client_peak_gib"] = max(stage[2] for stage in STAGES)
    out["client_cpu_s"] = cpu_s()
    out["load_end"] = os.getloadavg()  # 1, 5 and 15 minute load averages: other work skews s
    print(json.dumps(out))

if __name__ == "__main__":
    main()
"""


def _run(
    panel: Path,
    n: int,
    backend: str,
    spill: str = "",
    stages: bool = False,
    threads: int | None = None,
) -> dict[str, Any]:
    argv = [str(panel), str(n), backend, spill, "stages" * stages, str(threads or "")]
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"events": n, "backend": backend, "error": proc.stderr.strip().splitlines()[-1]}
    # the last JSON object: a progress bar may share its line
    result: dict[str, Any] = json.JSONDecoder().raw_decode(
        proc.stdout[proc.stdout.rfind('{"events"') :]
    )[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", type=Path, default=PANEL)
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--skip-local", action="store_true")
    parser.add_argument(
        "--no-spill", action="store_true", help="Gather every per-pair series (before #18)."
    )
    parser.add_argument(
        "--spill-to",
        type=Path,
        default=ROOT / "benchmarks" / "_data" / "spill",
        help="The Dask run's spill folder (its parts are replaced).",
    )
    parser.add_argument(
        "--stages", action="store_true", help="The client's RSS and peak per stage (Linux)."
    )
    parser.add_argument(
        "--local-threads",
        type=int,
        nargs="+",
        default=[0],
        help="The local runs' threads (0: LocalRunner's default, one per core up to four).",
    )
    args = parser.parse_args()
    if not args.panel.exists():
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "make_panel.py"), "--out", str(args.panel)],
            check=True,
        )
    for n in args.events:
        spill = "" if args.no_spill else str(args.spill_to)
        dask = _run(args.panel, n, "dask", spill, args.stages)
        print(json.dumps(dask))
        for threads in [] if args.skip_local else args.local_threads:
            local = _run(args.panel, n, "local", stages=args.stages, threads=threads or None)
            print(json.dumps(local))
            if "seconds" in dask and "seconds" in local:
                ratio = float(local["seconds"]) / float(dask["seconds"])
                print(
                    f"{n:,} firm-events: dask {dask['seconds']:.1f} s "
                    f"({n / float(dask['seconds']):,.0f} firm-events/s, workers peak "
                    f"{max(dask['worker_peak_gib']):.2f} GiB, client peak "
                    f"{dask['client_peak_gib']:.2f} GiB), local on {local['local_threads']} "
                    f"thread(s) {local['seconds']:.1f} s (peak {local['client_peak_gib']:.2f} "
                    f"GiB); local/dask = {ratio:.2f}x"
                )


if __name__ == "__main__":
    main()
