"""Benchmark the foundation: importing prices and building returns panels.

Targets (issue #2):

* import 10 million synthetic price rows, long Parquet and long CSV: report rows/s and peak
  memory; at least 1M rows/s for Parquet;
* build the returns panel for 5,000 symbols x 2,500 sessions in under 2 s and under 2 GiB.

Each measurement runs in a fresh subprocess, so its peak resident memory (``VmHWM`` of
``/proc/self/status``) is its own. Run::

    .venv/bin/python benchmarks/bench_store.py            # the full sizes (a few minutes)
    .venv/bin/python benchmarks/bench_store.py --quick    # small sizes, a smoke run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
task, *args = sys.argv[1:]
from ipposaki.store import Store
if task == "import":
    data, store = args
    t0 = time.perf_counter()
    result = Store(store).import_files([data])
    seconds = time.perf_counter() - t0
    out = {"rows": result.rows_written, "seconds": seconds}
elif task == "panel":
    store = args[0]
    from ipposaki.panel import build_panel
    st = Store(store)
    symbols = st.symbols()
    times = []
    for _ in range(int(args[1]) if len(args) > 1 else 1):
        t0 = time.perf_counter()
        panel = build_panel(st, "XNYS", symbols)
        times.append(time.perf_counter() - t0)
        shape = list(panel.returns.shape)
        del panel
    out = {"shape": shape, "seconds": times[0], "warm": min(times[1:] or times)}
# VmHWM, not ru_maxrss: ru_maxrss carries the parent's size across fork and exec.
with open("/proc/self/status") as fh:
    hwm = next(line for line in fh if line.startswith("VmHWM:"))
out["peak_mib"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def child(*args: str) -> dict[str, object]:
    """Run one measurement in a fresh interpreter and return its JSON line."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def make_files(folder: Path, n_symbols: int, n_sessions: int) -> tuple[Path, Path]:
    """Write the synthetic panel as long Parquet and long CSV."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from ipposaki.sources.synthetic import synthetic_panel

    frame = synthetic_panel(n_symbols, n_sessions, seed=1)
    frame = frame.rename(columns={"session": "date"})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(
        table.schema.get_field_index("date"), "date", table.column("date").cast(pa.date32())
    )
    parquet, csv = folder / "prices.parquet", folder / "prices.csv"
    pq.write_table(table, parquet)
    pacsv.write_csv(table, csv)
    return parquet, csv


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    opts = parser.parse_args()
    import_size = (400, 2500) if opts.quick else (4000, 2500)  # 1M or 10M rows
    panel_size = (500, 2500) if opts.quick else (5000, 2500)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        parquet, csv = make_files(folder, *import_size)
        print(f"wrote {import_size[0] * import_size[1]:,} rows in {time.perf_counter() - t0:.1f}s")
        rows = []
        for label, path in (("import Parquet", parquet), ("import CSV", csv)):
            res = child("import", str(path), str(folder / f"{label[-3:]}.duckdb"))
            rate = float(res["rows"]) / float(res["seconds"])  # type: ignore[arg-type]
            rows.append((label, f"{res['rows']:,} rows", res["seconds"], rate, res["peak_mib"]))
        pq_panel, _ = make_files(_sub(folder, "panel"), *panel_size)
        child("import", str(pq_panel), str(folder / "panel.duckdb"))
        # One build in a fresh process: its time and its peak memory are the ones that count.
        res = child("panel", str(folder / "panel.duckdb"))
        shape = "x".join(str(x) for x in res["shape"])  # type: ignore[attr-defined]
        rows.append(("panel, 1st call", shape, res["seconds"], float("nan"), res["peak_mib"]))
        res = child("panel", str(folder / "panel.duckdb"), "4")
        rows.append(("panel, warm best", shape, res["warm"], float("nan"), res["peak_mib"]))
    print(f"{'step':<16} {'size':>18} {'seconds':>8} {'rows/s':>12} {'peak MiB':>9}")
    for label, size, secs, rate, mib in rows:
        rate_s = "" if rate != rate else f"{rate:,.0f}"
        print(f"{label:<16} {size:>18} {float(secs):>8.2f} {rate_s:>12} {float(mib):>9.0f}")  # type: ignore[arg-type]


def _sub(folder: Path, name: str) -> Path:
    path = folder / name
    path.mkdir()
    return path


if __name__ == "__main__":
    main()
