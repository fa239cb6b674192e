"""Time a cold ``ipposaki demo`` (issue #7): a fresh store and output folder, after install.

Cold means nothing is cached by ipposaki: the prices are ingested into a new DuckDB store, both
panels and studies are built, the forecast, scan and scenarios run, and both reports are
written. Target: under 30 s on the 2-core reference machine. Reproduce::

    .venv/bin/python benchmarks/bench_demo.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRICES = ROOT.parent / "shared" / "data" / "prices"


def main() -> None:
    ipposaki = Path(sys.executable).parent / "ipposaki"
    runs = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [str(ipposaki), "demo", "--data", str(PRICES), "--out", f"{tmp}/out"]
            cmd += ["--store", f"{tmp}/store.duckdb"]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            runs.append(time.perf_counter() - t0)
    best = min(runs)
    print(f"cold demo, both reports: {', '.join(f'{r:.1f}' for r in runs)} s; best {best:.1f} s")
    print(f"target 30 s: {'met' if best < 30 else 'NOT met'} ({30 / best:.1f}x headroom)")


if __name__ == "__main__":
    main()
