"""An ingest killed with SIGKILL at a random moment leaves the store as before or as after."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ipposaki.sources.synthetic import synthetic_panel
from ipposaki.store import Store

BASE = """date,symbol,close
2025-01-24,NVDA,142.62
2025-01-27,NVDA,118.42
"""


def fingerprint(path: Path) -> tuple[object, ...]:
    """Contents of the store, as the next process to open it sees them (WAL replayed)."""
    con = duckdb.connect(str(path))
    try:
        prices = con.execute(
            "SELECT count(*), count(DISTINCT symbol), "
            "bit_xor(hash(symbol, session, close, open, adj_close, volume)) FROM prices"
        ).fetchone()
        nvda = con.execute(
            "SELECT close FROM prices WHERE symbol = 'NVDA' ORDER BY session"
        ).fetchall()
        inst = con.execute("SELECT count(*) FROM instruments").fetchone()
        return (prices, tuple(nvda), inst)
    finally:
        con.close()


def import_cmd(data: Path, store: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ipposaki.cli.main",
        "data",
        "import",
        str(data),
        "--store",
        str(store),
    ]


@pytest.mark.slow
def test_sigkill_mid_import_leaves_before_or_after(tmp_path: Path) -> None:
    base = tmp_path / "base.duckdb"
    (tmp_path / "base.csv").write_text(BASE)
    Store(base).import_files([tmp_path / "base.csv"])
    big = synthetic_panel(n_symbols=400, n_sessions=2500, seed=7)
    # One row overlaps the base store, so "after" also changes an existing row.
    extra = big.iloc[:1].assign(symbol="NVDA", session=big["session"].iloc[0], close=999.0)
    data = tmp_path / "big.parquet"
    import pandas as pd

    pd.concat([big, extra.assign(session=pd.Timestamp("2025-01-24"))]).to_parquet(data)

    after_path = tmp_path / "after.duckdb"
    shutil.copy(base, after_path)
    started = time.perf_counter()
    subprocess.run(import_cmd(data, after_path), check=True, capture_output=True)
    duration = time.perf_counter() - started
    before, after = fingerprint(base), fingerprint(after_path)
    assert before != after

    rng = random.Random(20250127)
    seen = []
    for trial in range(6):
        path = tmp_path / f"trial{trial}.duckdb"
        shutil.copy(base, path)
        proc = subprocess.Popen(
            import_cmd(data, path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.2, 1.05) * duration)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = fingerprint(path)
        assert state in (before, after), f"trial {trial}: store is neither before nor after"
        seen.append("before" if state == before else "after")
    # Not an assertion on timing, only a record of what the kills hit.
    print(f"import took {duration:.2f}s; kills left the store: {seen}")
