"""The engine's results do not depend on how the pairs are cut into blocks (#18).

The engine works in blocks of pairs and adds their sums; a faster kernel must not make a
result depend on the block size. Also: a design whose average abnormal return is zero by
construction gets no portfolio (crude-dependence) statistic instead of rounding noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ipposaki.calendars import sessions
from ipposaki.study import run_study
from ipposaki.study.engine import LocalRunner


def _panel(n_firms: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Market-model returns with gaps, log-normal volumes and events on three dates."""
    rng = np.random.default_rng(seed)
    idx = sessions("XNYS", "2022-01-03", "2023-06-30")
    market = rng.normal(0.0003, 0.01, len(idx))
    beta = rng.uniform(0.5, 1.5, n_firms)
    data = market[:, None] * beta + rng.normal(0.0, 0.02, (len(idx), n_firms))
    data[rng.random(data.shape) < 0.03] = np.nan  # missing returns
    names = [f"F{i:03d}" for i in range(n_firms)]
    returns = pd.DataFrame(data, index=idx, columns=names)
    returns["MKT"] = market
    volume = pd.DataFrame(
        np.floor(np.exp(rng.normal(12.0, 0.5, (len(idx), n_firms)))), index=idx, columns=names
    )
    days = idx[[280, 280, 300]]  # two events share a date
    events = pd.DataFrame({"symbol": names, "event_date": days[np.arange(n_firms) % 3]})
    return returns, volume, events


@pytest.mark.parametrize(
    "kwargs",
    [
        {"market": "MKT"},
        {"market": "MKT", "measure": "volatility"},
        {"model": "constant-mean", "measure": "volume"},
        {"model": "market", "measure": "volume"},
    ],
    ids=["return", "volatility", "volume-mean", "volume-market"],
)
def test_block_size_does_not_change_the_result(kwargs: dict[str, str]) -> None:
    returns, volume, events = _panel(40, seed=11)
    extra = {"volume": volume} if kwargs.get("measure") == "volume" else {}
    whole = run_study(returns, events, **kwargs, **extra)
    blocks = run_study(returns, events, backend=LocalRunner(chunk_pairs=7), **kwargs, **extra)
    for name in ("ar", "car", "caar", "tests", "params"):
        pd.testing.assert_frame_equal(
            getattr(whole, name), getattr(blocks, name), rtol=0, atol=1e-12, obj=name
        )


def test_zero_aar_by_construction_has_no_portfolio_statistic() -> None:
    """Log volume on the equal-weighted mean of the same firms: sum_i b_i = N and
    sum_i a_i = 0 (OLS on a regressor that is the firms' own average), so every day's
    average abnormal volume is 0 and Brown-Warner 1985 and Lamb would divide rounding noise
    by rounding noise."""
    returns, volume, events = _panel(30, seed=4)
    events = events.assign(event_date=events["event_date"].iloc[0])  # one date: all firms
    res = run_study(returns, events, model="market", measure="volume", volume=volume)
    caar = res.caar
    assert np.abs(caar["caar"]).max() < 1e-12  # the identity the test relies on
    tests = res.tests
    for name in ("brown_warner_1985", "lamb"):
        assert tests.loc[tests["test"] == name, "statistic"].isna().all(), name
    assert tests.loc[tests["test"] == "corrado_rank", "statistic"].notna().all()


@pytest.mark.parametrize("measure", ["return", "volume"])
def test_blocks_on_threads_equal_blocks_in_turn(
    measure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks run on threads are computed alone and gathered in order: every frame equals the
    serial run's exactly (a block put in another's place would move the CARs and the sums).
    The battery's blocks of windows too: cut here at 100 pair-window values, as a study of a
    million pairs cuts them at 2**20, so its windows run in eight blocks."""
    import ipposaki.study.group_tests as group_tests

    monkeypatch.setattr(group_tests, "_BLOCK_VALUES", 100)
    returns, volume, events = _panel(60, seed=7)
    kwargs = {"market": "MKT"} if measure == "return" else {"measure": "volume", "volume": volume}
    frames = [
        run_study(returns, events, backend=LocalRunner(chunk_pairs=7, threads=n), **kwargs)
        for n in (1, 3)
    ]
    for name in ("ar", "car", "aar", "caar", "tests", "params", "excluded"):
        pd.testing.assert_frame_equal(
            getattr(frames[0], name), getattr(frames[1], name), check_exact=True, obj=name
        )


def test_threads_must_be_positive() -> None:
    from ipposaki.errors import InputError

    with pytest.raises(InputError, match="threads=0"):
        LocalRunner(threads=0)
