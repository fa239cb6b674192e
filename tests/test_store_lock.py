"""Two processes and one store (issue #15): a busy store is waited for, then named.

Another process holds DuckDB's write lock on the store; ``ipposaki data import`` prints one note
that it waits, then either succeeds once the lock is released or, after ``--lock-timeout``,
exits 2 with one line naming the holder. The store is as the holder left it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipposaki.errors import InputError, StoreError
from ipposaki.store import Store
from ipposaki.store.store import check_lock_timeout

GOOD = "date,symbol,close\n2025-01-24,NVDA,142.62\n2025-01-27,NVDA,118.42\n"

HOLDER = """
import select, sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
if sys.argv[2] == "until-told":  # a line on stdin releases it (at most 60 s)
    select.select([sys.stdin], [], [], 60.0)
else:
    time.sleep(float(sys.argv[2]))
con.close()
"""


def _hold(store: Path, seconds: float | str) -> subprocess.Popen[str]:
    """Start a process that holds the store's write lock for ``seconds`` (``"until-told"``:
    until a line is written to its stdin)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store), str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _ipposaki(*args: str) -> subprocess.CompletedProcess[str]:
    cli = Path(sys.executable).with_name("ipposaki")
    return subprocess.run([str(cli), *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    prices = tmp_path / "p.csv"
    prices.write_text(GOOD)
    Store(path).import_files([prices])
    return path


def test_a_busy_store_times_out_naming_its_holder(store: Path, tmp_path: Path) -> None:
    (tmp_path / "new.csv").write_text("date,symbol,close\n2025-01-28,NVDA,128.99\n")
    before = store.read_bytes()
    holder = _hold(store, 30)
    try:
        t0 = time.monotonic()
        res = _ipposaki(
            "--lock-timeout",
            "1",
            "data",
            "import",
            str(tmp_path / "new.csv"),
            "--store",
            str(store),
        )
        waited = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2, lines  # the note that it waits, then the error
    assert lines[0].startswith("note: store ") and "waiting up to 1 s" in lines[0]
    assert lines[1].startswith("error: store ") and "busy" in lines[1]
    assert f"PID {holder.pid}" in lines[1]  # DuckDB names the holding process
    assert "waited 1 s (--lock-timeout)" in lines[1]
    assert waited < 30  # it did not wait for the holder to finish
    assert store.read_bytes() == before


def test_an_import_waits_for_the_lock_and_then_lands(store: Path, tmp_path: Path) -> None:
    """The lock is released once the import says it waits (not after a fixed time: a slow
    start of the command under load would find the store free and never wait)."""
    (tmp_path / "new.csv").write_text("date,symbol,close\n2025-01-28,NVDA,128.99\n")
    holder = _hold(store, "until-told")
    cli = Path(sys.executable).with_name("ipposaki")
    args = ["--lock-timeout", "60", "data", "import", str(tmp_path / "new.csv")]
    importer = subprocess.Popen(
        [str(cli), *args, "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert importer.stderr is not None and holder.stdin is not None
    try:
        note = importer.stderr.readline()  # the importer cannot have the lock yet
    finally:
        holder.stdin.write("release\n")
        holder.stdin.flush()
        holder.wait(timeout=60)
    _, rest = importer.communicate(timeout=120)
    assert importer.returncode == 0, note + rest
    assert "waiting up to 60 s" in note
    close = Store(store).prices(["NVDA"])["close"].tolist()
    assert close == [142.62, 118.42, 128.99]


def test_the_environment_sets_the_wait_and_a_bad_value_is_named(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPPOSAKI_LOCK_TIMEOUT", "0.2")
    holder = _hold(store, 30)
    try:
        with pytest.raises(StoreError, match=r"waited 0.2 s \(IPPOSAKI_LOCK_TIMEOUT\)"):
            Store(store).symbols()
        with pytest.raises(StoreError, match=r"waited 0 s \(`lock_timeout`\)"):
            Store(store, lock_timeout=0).symbols()
    finally:
        holder.kill()
        holder.wait()
    monkeypatch.setenv("IPPOSAKI_LOCK_TIMEOUT", "soon")
    with pytest.raises(InputError, match="IPPOSAKI_LOCK_TIMEOUT='soon'"):
        Store(store).symbols()
    for bad in (-1, float("nan"), float("inf"), "x"):
        with pytest.raises(InputError, match="seconds >= 0"):
            check_lock_timeout(bad)


def test_the_cli_refuses_a_negative_lock_timeout(store: Path) -> None:
    res = _ipposaki("--lock-timeout", "-5", "data", "info", "--store", str(store))
    assert res.returncode == 2
    assert res.stderr.strip() == (
        "error: --lock-timeout='-5' is not allowed: expected a number of seconds >= 0"
    )
