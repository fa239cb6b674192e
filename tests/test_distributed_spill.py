"""A Dask run whose workers write the per-pair series to disk (``DaskBackend(spill_to=...)``).

The reference is the local backend (checked elsewhere against hand formulas and independent
implementations): spilling changes where the AR rows and estimation residuals live, not the
numbers (≤ 1e-12, summation order only). The generalized rank test read back block by block
is checked against the in-memory one on the same arrays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from ipposaki.errors import InputError
from ipposaki.study import run_study
from ipposaki.study.distributed import DaskBackend
from ipposaki.study.sink import AR_DIR, SAR_DIR, SpilledPairs, _row_counts
from ipposaki.study.statistics import _grank, _ranks_zero, grank_sums
from test_distributed import _synthetic as synthetic_panel
from test_distributed import assert_results_equal


def _synthetic(seed: int, n_ev: int = 900) -> tuple[pd.DataFrame, pd.DataFrame]:
    """test_distributed's gappy market-model panel, smaller."""
    return synthetic_panel(seed, n_sym=80, n_ses=700, n_ev=n_ev)


@pytest.fixture
def client(dask_client: Any) -> Any:
    """The session's LocalCluster client (tests/conftest.py)."""
    return dask_client


def test_grank_read_back_by_block_equals_the_in_memory_test(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n, width, k = 700, 60, 3
    sar_est = rng.standard_t(5, (n, width)).astype(np.float32)
    sar_est[rng.random(sar_est.shape) < 0.05] = np.nan
    sar_est[:5, 3:] = np.nan  # pairs with too few residuals for the test
    scar = rng.normal(0.1, 1.0, (n, k))
    scar[rng.random(scar.shape) < 0.03] = np.nan
    members = [np.ones(n, dtype=bool), rng.random(n) < 0.4]  # "all" and one group
    expected, u_base, n_base = [], [], []
    for member in members:
        sar, sc = sar_est[member], scar[member]
        present = (~np.isnan(sar)).astype(np.float64)
        ranks = _ranks_zero(sar.astype(np.float64))[0]
        u, m = (x[0] for x in grank_sums(np.ones((1, len(sc))), ranks, present, sc))
        expected.append(_grank(sc, sar, None, u, m))
        u_base.append(u)
        n_base.append(m)

    kept = np.sort(rng.choice(5 * n, n, replace=False))  # the pairs' rows in a larger study
    (tmp_path / SAR_DIR).mkdir()
    order = rng.permutation(n)  # parts hold the pairs in another order than the pair table
    for b, rows in enumerate(np.array_split(order, 4)):
        np.savez(
            tmp_path / SAR_DIR / f"part-{b:05d}.npz",
            pair=kept[rows],
            n_valid=np.sum(~np.isnan(sar_est[rows]), axis=1),
            sar_est=sar_est[rows],
        )
    got = SpilledPairs(tmp_path, 4).grank(kept, members, scar, u_base, n_base)
    for (stat, dof), (stat_e, dof_e) in zip(got, expected, strict=True):
        assert np.isfinite(stat).all()
        np.testing.assert_allclose(stat, stat_e, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(dof, dof_e)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "thin", "convention"),
    [
        ("market", "none", "ipposaki"),
        ("market", "dimson", "ipposaki"),
        ("constant-mean", "none", "ipposaki"),
        ("market", "none", "estudy2"),  # needs every series: spill_to is ignored
    ],
    ids=["market", "market-dimson", "constant-mean", "estudy2"],
)
def test_spilled_run_equals_local_and_leaves_complete_parts(
    client: Any, tmp_path: Path, model: str, thin: str, convention: str
) -> None:
    frame, events = _synthetic(seed=len(model) + len(thin))
    kwargs: dict[str, Any] = {
        "model": model,
        "market": "MKT",
        "thin_trading": thin,
        "estimation_window": "-120:-11",
        "min_estimation_obs": 60,
        "convention": convention,
    }
    local = run_study(frame, events, **kwargs)
    spill = tmp_path / "spill"  # tasks of 3 blocks on one read, each block its own parts
    backend = DaskBackend(client=client, chunk_pairs=97, blocks_per_task=3, spill_to=spill)
    dask = run_study(frame, events, backend=backend, **kwargs)
    assert len(dask.excluded) > 0  # the edge events are excluded, with reasons
    assert_results_equal(local, dask, atol=1e-12)
    if convention == "estudy2":
        return
    grank = dask.tests.query("test == 'grank'")["statistic"]
    assert grank.notna().sum() >= 4  # the CAR windows of each group, read back from the parts

    ar_parts = sorted((tmp_path / "spill" / AR_DIR).glob("part-*.parquet"))
    sar_parts = sorted((tmp_path / "spill" / SAR_DIR).glob("part-*.npz"))
    kept_pairs = len(local.car) // local.car["window"].nunique()
    blocks = -(-kept_pairs // 97)  # at least this many blocks of 97 pairs
    assert len(ar_parts) == len(sar_parts) >= blocks > 1
    assert [p.stem for p in ar_parts] == [f"part-{b:05d}" for b in range(len(ar_parts))]
    written = pd.read_parquet(tmp_path / "spill" / AR_DIR)
    assert len(written) == len(local.ar)
    assert not written.duplicated(["pair", "rel_day"]).any()
    expected = local.ar.astype({c: str for c in ("event_id", "symbol", "basket")})
    got = written.sort_values(["pair", "rel_day"], kind="stable").drop(columns="pair")
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), expected, check_dtype=False, rtol=0, atol=1e-12
    )
    pairs = np.concatenate([np.load(p)["pair"] for p in sar_parts])
    assert len(pairs) == len(np.unique(pairs)) == written["pair"].nunique()


@pytest.mark.slow
def test_a_second_run_in_the_folder_replaces_the_parts(client: Any, tmp_path: Path) -> None:
    frame, events = _synthetic(seed=3, n_ev=400)
    first = run_study(
        frame,
        events,
        market="MKT",
        backend=DaskBackend(client=client, chunk_pairs=50, spill_to=tmp_path),
    )
    first_ar = first.ar  # read before the folder is reused
    second = run_study(
        frame,
        events,
        market="MKT",
        backend=DaskBackend(client=client, chunk_pairs=200, spill_to=tmp_path),
    )
    assert (
        len(list((tmp_path / AR_DIR).glob("part-*")))
        == 2
        == len(list((tmp_path / SAR_DIR).glob("part-*")))
    )
    pd.testing.assert_frame_equal(first_ar, second.ar, rtol=0, atol=1e-12)


@pytest.mark.slow
def test_a_spilled_result_offers_the_wild_bootstrap_not_the_stationary_one(
    client: Any, tmp_path: Path
) -> None:
    frame, events = _synthetic(seed=8, n_ev=300)
    backend = DaskBackend(client=client, chunk_pairs=80, spill_to=tmp_path)
    result = run_study(frame, events, market="MKT", backend=backend)
    with pytest.raises(InputError, match="stationary"):
        result.with_inference(bootstrap="stationary", draws=99, seed=1)
    local = run_study(frame, events, market="MKT")
    a = result.with_inference(bootstrap="wild", draws=99, seed=1).caar
    b = local.with_inference(bootstrap="wild", draws=99, seed=1).caar
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=1e-12)


def test_spill_to_a_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    taken = tmp_path / "prices.csv"
    taken.write_text("kept\n", encoding="utf-8")
    with pytest.raises(InputError, match="^spill_to=.*prices.csv.*a folder") as err:
        DaskBackend(client=object(), spill_to=taken)
    assert "\n" not in str(err.value)
    assert taken.read_text(encoding="utf-8") == "kept\n"


@pytest.mark.parametrize("width", [8, 60, 240, 2040, 2048, 3000], ids=lambda w: f"width={w}")
def test_row_counts_equal_numpys_sum(width: int) -> None:
    rng = np.random.default_rng(width)
    mask = (rng.random((300, width)) < 0.7).astype(np.uint8)
    mask[0] = 1  # a full row: the largest count
    mask[1] = 0
    expected = mask.sum(axis=1, dtype=np.int64)
    got: Any = _row_counts(mask)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(_row_counts(mask[:, : width // 2]), mask[:, : width // 2].sum(1))
