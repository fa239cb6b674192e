"""The Dask backend equals the local one, on a real LocalCluster (2 worker processes).

The reference here is the local backend, which the other test modules check against hand
formulas and independent implementations; this module checks that moving the blocks to Dask
changes nothing beyond summation order (≤ 1e-12), including when a worker dies mid-run.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from distributed import Client

from ipposaki.errors import InputError
from ipposaki.store import Store
from ipposaki.study import run_study
from ipposaki.study.distributed import DaskBackend, parse_scheduler, sliced_chunk, sliced_chunks
from ipposaki.study.engine import LocalRunner

REPO = Path(__file__).resolve().parents[1]


def assert_results_equal(a: Any, b: Any, atol: float) -> None:
    """Same pairs, same exclusions, and every number within ``atol``."""
    pd.testing.assert_frame_equal(a.excluded, b.excluded)
    for name in ("ar", "car", "aar", "caar", "tests"):
        left, right = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(left, right, rtol=0, atol=atol, obj=name)


@pytest.fixture
def client(dask_client: Any) -> Any:
    """The session's LocalCluster (tests/conftest.py)."""
    return dask_client


def _synthetic(seed: int, n_sym: int = 120, n_ses: int = 900, n_ev: int = 1500):
    """Market-model returns with 4% NaN gaps, and events near both ends of the data."""
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2010-01-04", periods=n_ses)
    mkt = rng.normal(0.0003, 0.01, n_ses)
    beta = rng.uniform(0.3, 1.7, n_sym)
    ret = mkt[:, None] * beta + rng.standard_t(4, (n_ses, n_sym)) * 0.015
    frame = pd.DataFrame(ret, index=idx, columns=[f"S{i:03d}" for i in range(n_sym)])
    frame = frame.mask(rng.random(frame.shape) < 0.04)
    frame["MKT"] = mkt
    frame["F2"] = rng.normal(0, 0.008, n_ses)
    events = pd.DataFrame(
        {
            "symbol": rng.choice(frame.columns[:n_sym], n_ev),
            # some windows run outside the data: those pairs must be excluded identically
            "event_date": idx[rng.integers(150, n_ses, n_ev)],
            "basket": rng.choice(["a", "b", "c"], n_ev),
        }
    )
    return frame, events


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "thin"),
    [("market", "none"), ("market", "dimson"), ("constant-mean", "none"), ("factor", "none")],
)
def test_dask_equals_local_on_synthetic_panels_with_gaps(client: Any, model: str, thin: str):
    frame, events = _synthetic(seed=len(model) + len(thin))
    kwargs: dict[str, Any] = {
        "model": model,
        "market": "MKT",
        "thin_trading": thin,
        "estimation_window": "-120:-11",
        "min_estimation_obs": 60,
    }
    if model == "factor":
        kwargs["factors"] = frame[["MKT", "F2"]]
    local = run_study(frame, events, **kwargs)
    backend = DaskBackend(client=client, chunk_pairs=97, blocks_per_task=4)  # 4 on one read
    dask = run_study(frame, events, backend=backend, **kwargs)
    assert len(dask.excluded) > 0  # the edge events are excluded, with reasons
    assert_results_equal(local, dask, atol=1e-12)


@pytest.mark.slow
def test_dask_equals_local_on_real_prices(client: Any, shared_store: Store) -> None:
    """Every US stock in the store around every catalogued event, on the XNYS calendar."""
    from ipposaki.events import load_catalog
    from ipposaki.panel import build_panel

    inst = shared_store.instruments()
    us = inst.loc[(inst["exchange"] == "XNYS") & (inst["kind"] == "stock"), "symbol"].tolist()
    panel = build_panel(shared_store, "XNYS", us + ["SPY"], "2015-01-01", "2026-06-30")
    sessions = {
        ev.id: ev.sessions(("XNYS",))["event_session"].iloc[0] for ev in load_catalog().events
    }
    events = pd.DataFrame(
        [(s, day, ev) for s in us for ev, day in sessions.items()],
        columns=["symbol", "event_date", "basket"],
    )
    local = run_study(panel.returns, events, market="SPY")
    backend = DaskBackend(client=client, chunk_pairs=64)
    dask = run_study(panel.returns, events, market="SPY", backend=backend)
    assert len(local.car) > 300
    assert_results_equal(local, dask, atol=1e-12)


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(client: Any) -> None:
    frame, events = _synthetic(seed=7, n_ev=4000)
    local = run_study(frame, events, market="MKT")
    pids = client.run(os.getpid)
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        if done == 3 and not killed:  # a few blocks in, many still queued or running
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    backend = DaskBackend(client=client, chunk_pairs=50, on_progress=kill_one)
    dask = run_study(frame, events, market="MKT", backend=backend)
    assert killed, "the run finished before a worker could be killed"
    assert_results_equal(local, dask, atol=1e-12)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the worker for later tests


def test_slice_reads_what_the_whole_matrix_reads() -> None:
    """A block run on its slice equals the block run on the whole matrix, bit for bit."""
    from ipposaki.study import engine

    frame, events = _synthetic(seed=3, n_ev=600)
    captured: dict[str, Any] = {}

    class Capture(LocalRunner):
        def run(self, jobs, context, matrix, factors):  # type: ignore[no-untyped-def]
            captured.update(jobs=jobs, context=context, matrix=matrix)
            return super().run(jobs, context, matrix, factors)

    run_study(frame, events, market="MKT", thin_trading="scholes-williams", backend=Capture())
    jobs, context, matrix = captured["jobs"], captured["context"], captured["matrix"]
    whole = engine.run_chunk(jobs[0], context, engine._PaddedReturns(matrix, context.pad), None)
    part = sliced_chunk(jobs[0], context, matrix, None)
    for name in ("coef", "ar", "sar", "car", "car_se", "bhar", "days"):
        np.testing.assert_array_equal(getattr(part, name), getattr(whole, name), err_msg=name)


def _partitioned(frame: pd.DataFrame, path: Path) -> Path:
    """``frame``'s returns as NYSE closes in a year-partitioned Parquet directory (NaN gaps
    become missing rows), on the NYSE sessions from 2019."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ipposaki.calendars import sessions

    days = pd.DatetimeIndex(sessions("XNYS", "2019-01-01", "2022-12-31"))[: len(frame)]
    close = 100.0 * np.cumprod(1.0 + frame.fillna(0.0).to_numpy(), axis=0)
    close[frame.isna().to_numpy()] = np.nan
    long = pd.DataFrame(close, index=days, columns=frame.columns).stack().rename("close")
    long = long.rename_axis(["session", "symbol"]).reset_index()
    for year, rows in long.groupby(long["session"].dt.year):
        (path / f"year={year}").mkdir(parents=True)
        table = pa.table(
            {
                "symbol": rows["symbol"].to_numpy(),
                "session": rows["session"].dt.date.to_numpy(),
                "close": rows["close"].to_numpy(),
                "exchange": np.full(len(rows), "XNYS"),
            }
        )
        pq.write_table(table, path / f"year={year}" / "part-0.parquet")
    return path


def test_blocks_sharing_one_read_equal_their_own_reads(tmp_path: Path) -> None:
    """Consecutive blocks run on one read of the union of their slices give, bit for bit,
    what each gives on its own slice: from a partitioned Parquet directory (a return made from
    the session's and the previous session's prices, whichever session the read starts at) and
    from an in-memory matrix."""
    from ipposaki.panel.partitioned import PartitionedPrices

    frame, events = _synthetic(seed=9, n_sym=40, n_ses=700, n_ev=500)
    source = PartitionedPrices(_partitioned(frame, tmp_path / "prices"))
    events["event_date"] = source.sessions[frame.index.get_indexer(events["event_date"])]
    frame.index = source.sessions
    captured: list[Any] = []

    class Capture(LocalRunner):
        def run(self, jobs, context, matrix, factors):  # type: ignore[no-untyped-def]
            captured.append((jobs, context, matrix))
            return super().run(jobs, context, matrix, factors)

    runner = Capture(chunk_pairs=60, time_ordered=True)
    run_study(source, events, market="MKT", thin_trading="dimson", backend=runner)
    run_study(frame, events, market="MKT", thin_trading="dimson", backend=runner)
    assert [type(c[2]) for c in captured] == [PartitionedPrices, np.ndarray]
    for jobs, context, matrix in captured:
        group = jobs[1:5]  # blocks that start after the first session
        together = list(sliced_chunks(group, context, matrix, None))
        for job, got in zip(group, together, strict=True):
            alone = sliced_chunk(job, context, matrix, None)
            for name in ("keep", "coef", "ar", "sar", "car", "car_se", "bhar", "days", "sar_est"):
                np.testing.assert_array_equal(getattr(got, name), getattr(alone, name), name)
            assert np.isfinite(alone.car).any()
        first = list(sliced_chunks(jobs[:3], context, matrix, None))  # from session 0
        np.testing.assert_array_equal(
            first[0].car, sliced_chunk(jobs[0], context, matrix, None).car
        )


def test_bad_scheduler_values_get_one_line_errors() -> None:
    with pytest.raises(InputError, match=r"^scheduler.*'spark://'.*local, local:N"):
        DaskBackend("spark://")
    with pytest.raises(InputError, match="^scheduler="):
        parse_scheduler("local:0")
    # a 20-digit worker count started processes until the kernel killed the run (~24 GB)
    with pytest.raises(InputError, match=r"^scheduler='local:99999999999999999999'.*<= 64"):
        parse_scheduler("local:99999999999999999999")
    assert parse_scheduler("local:3") == ("local", 3)
    assert parse_scheduler("local:64") == ("local", 64)
    assert parse_scheduler("tcp://10.0.0.5:8786") == ("remote", None)


@pytest.mark.slow
def test_unreachable_scheduler_times_out_with_a_clear_error() -> None:
    frame, events = _synthetic(seed=1, n_ev=20)
    backend = DaskBackend("tcp://127.0.0.1:9", timeout=2)
    with pytest.raises(InputError) as info:
        run_study(frame, events, market="MKT", backend=backend)
    message = str(info.value)
    assert "tcp://127.0.0.1:9" in message and "answers within 2 s" in message
    assert "\n" not in message


@pytest.mark.slow
def test_cli_dask_backend_writes_the_same_tables(tmp_path: Path) -> None:
    from ipposaki.cli.main import run

    frame, events = _synthetic(seed=5, n_ev=200)
    frame.rename_axis("date").to_csv(tmp_path / "returns.csv")
    events.to_csv(tmp_path / "events.csv", index=False)
    args = ["study", "--returns", str(tmp_path / "returns.csv"), "--events"]
    args += [str(tmp_path / "events.csv"), "--market", "MKT", "--min-estimation-obs", "60"]
    assert run([*args, "--out", str(tmp_path / "local")]) == 0
    dask_args = ["--backend", "dask", "--scheduler", "local:2", "--out", str(tmp_path / "dask")]
    assert run([*args, *dask_args]) == 0
    a = pd.read_csv(tmp_path / "local" / "car.csv")
    b = pd.read_csv(tmp_path / "dask" / "car.csv")
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=1e-12)
    assert run([*args, "--backend", "spark", "--out", str(tmp_path / "x")]) == 2


@pytest.mark.slow
def test_remote_scheduler_started_like_a_cluster_node(tmp_path: Path) -> None:
    """`dask scheduler` and `dask worker` as separate processes, reached by address."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    scheduler = subprocess.Popen(
        [
            bin_dir / "dask",
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [
            bin_dir / "dask",
            "worker",
            address,
            "--nworkers",
            "1",
            "--nthreads",
            "1",
            "--memory-limit",
            "2GiB",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as probe:
                    probe.wait_for_workers(1, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        frame, events = _synthetic(seed=11, n_ev=300)
        local = run_study(frame, events, market="MKT")
        remote = run_study(frame, events, market="MKT", backend=DaskBackend(address))
        assert_results_equal(local, remote, atol=1e-12)
    finally:
        worker.terminate()
        scheduler.terminate()
        worker.wait(timeout=30)
        scheduler.wait(timeout=30)


@pytest.mark.parametrize("name", ["chunk_pairs", "blocks_per_task"])
@pytest.mark.parametrize("value", [0, -3, 2.5, "4", True])
def test_block_counts_must_be_positive_integers(name: str, value: object) -> None:
    with pytest.raises(InputError) as info:
        DaskBackend(**{name: value})  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith(f"{name}=") and "an integer >= 1" in message
    assert repr(value) in message and "\n" not in message
