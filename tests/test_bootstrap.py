"""Bootstrap inference (ipposaki.study.bootstrap) and the study's inference add-ons.

Coverage and size are checked by simulation against the true mean, which the simulation sets;
the adjusted p-values of a study against statsmodels' ``multipletests``; nothing is compared
with a value the code under test produced earlier.
"""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from ipposaki.cli.main import run
from ipposaki.errors import InputError
from ipposaki.study import run_study
from ipposaki.study.bootstrap import (
    stationary_car,
    stationary_sums,
    wild_mean,
    wild_weights,
)

# -- simulation helpers -----------------------------------------------------------------------


def _sample(rng: np.random.Generator, dist: str, n: int) -> np.ndarray:
    """n CARs with mean 0.01 and sd 0.02 from a named distribution."""
    if dist == "normal":
        z = rng.standard_normal(n)
    elif dist == "t4":  # fat tails, variance 2 -> scaled to 1
        z = rng.standard_t(4, n) / np.sqrt(2.0)
    else:  # "chi2": right-skewed (skewness 1.63), centred and scaled
        z = (rng.chisquare(3, n) - 3.0) / np.sqrt(6.0)
    return 0.01 + 0.02 * z


def _wild_rates(dist: str, n: int, samples: int, draws: int, seed: int) -> tuple[float, float]:
    """Coverage of the true mean, and rejection rate at 5% under the null."""
    rng = np.random.default_rng(seed)
    cover = reject = 0
    for _ in range(samples):
        x = _sample(rng, dist, n)
        out = wild_mean(x, draws=draws, seed=rng)
        cover += out.low <= 0.01 <= out.high
        reject += wild_mean(x - 0.01, draws=draws, seed=rng).p_value <= 0.05
    return cover / samples, reject / samples


def _ar1(rng: np.random.Generator, phi: float, length: int) -> np.ndarray:
    e = rng.normal(0.0, 0.02, length + 50)
    y = np.empty_like(e)
    y[0] = e[0]
    for t in range(1, len(e)):
        y[t] = phi * y[t - 1] + e[t]
    return y[50:]


def _stationary_rates(phi: float, samples: int, draws: int, seed: int) -> tuple[float, float]:
    """One firm: 240 estimation residuals, an 11-day CAR with true abnormal mean 0.002/day."""
    rng = np.random.default_rng(seed)
    cover = reject = 0
    for _ in range(samples):
        y = _ar1(rng, phi, 251)
        est, noise = y[:240], y[240:].sum()
        out = stationary_car([noise + 11 * 0.002], est[None, :], [11], draws=draws, seed=rng)
        cover += out.low <= 11 * 0.002 <= out.high
        reject += stationary_car([noise], est[None, :], [11], draws=draws, seed=rng).p_value <= 0.05
    return cover / samples, reject / samples


# -- wild bootstrap ---------------------------------------------------------------------------


def test_wild_coverage_and_size_fast() -> None:
    """200 samples: coverage of the 95% interval and size at 5%, with Monte Carlo room."""
    cover, size = _wild_rates("normal", 20, samples=200, draws=199, seed=11)
    assert 0.91 <= cover <= 0.99
    assert 0.01 <= size <= 0.10


SKEWED_SMALL = pytest.mark.xfail(
    reason="right-skewed CARs (chi2(3), skewness 1.6) and only 30 firms: 92-93% over three "
    "seeds, Rademacher and Mammen weights alike; the Student t interval gives 93.1% on the "
    "same design (12,000 samples). With 100 firms: 93.1-94.4%.",
    strict=False,
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dist", "n"),
    [
        ("normal", 30),
        ("t4", 30),
        ("chi2", 100),
        pytest.param("chi2", 30, marks=SKEWED_SMALL),
    ],
    ids=["normal-30", "t4-30", "chi2-100", "chi2-30"],
)
def test_wild_coverage_at_nominal_rate(dist: str, n: int) -> None:
    """1,000 simulated samples: 95% intervals cover the true mean within 2 points, size 3-7%."""
    cover, size = _wild_rates(dist, n, samples=1000, draws=999, seed=2026)
    assert abs(cover - 0.95) <= 0.02, cover
    assert 0.03 <= size <= 0.07, size


def test_wild_pvalues_uniform_under_the_null() -> None:
    """Under the null the p-values spread over (0, 1]: each fifth holds about a fifth."""
    rng = np.random.default_rng(8)
    p = np.array([wild_mean(rng.normal(0, 1, 25), 199, rng).p_value for _ in range(400)])
    shares = np.histogram(p, bins=5, range=(0, 1))[0] / len(p)
    assert np.all(np.abs(shares - 0.2) <= 0.06), shares


def test_rademacher_null_is_the_sign_flip_test() -> None:
    """With ±1 weights and the null imposed, |t*| only takes the sign-flip values; with all
    CARs positive and equal in size, only the all-positive and all-negative flips reach |t|,
    so p = (1 + B * 2 / 2^N) / (B + 1) on average (here 2^N = 16)."""
    x = np.array([1.0, 1.0, 1.0, 1.0])  # sd 0: no t statistic
    assert np.isnan(wild_mean(x, 999, 1).p_value)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    p = wild_mean(x, 10**5, 3).p_value
    assert p == pytest.approx(2 / 16, abs=0.01)  # flips (+,+,+,+) and (-,-,-,-) only


def test_wild_weights_moments() -> None:
    rng = np.random.default_rng(4)
    for kind, third in (("rademacher", 0.0), ("mammen", 1.0)):
        w = wild_weights(rng, (2_000_000,), kind)  # type: ignore[arg-type]
        assert abs(w.mean()) < 0.003
        assert w.var() == pytest.approx(1.0, abs=0.005)
        assert (w**3).mean() == pytest.approx(third, abs=0.01)
    assert set(np.unique(wild_weights(rng, (100,), "mammen")).round(6)) == {-0.618034, 1.618034}


def test_wild_reproducible_with_the_seed() -> None:
    x = np.random.default_rng(0).normal(0.01, 0.02, 40)
    a, b = wild_mean(x, 999, seed=5), wild_mean(x, 999, seed=5)
    assert a == b
    assert wild_mean(x, 999, seed=6) != a
    assert wild_mean(x, 999, seed=np.random.default_rng(5)) == a  # a Generator works too


def test_wild_chunks_give_the_same_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory-bounded chunks of the (B x N) weights do not change the result."""
    import ipposaki.study.bootstrap as bootstrap

    x = np.random.default_rng(1).normal(0.0, 1.0, 50)
    whole = wild_mean(x, 999, seed=2)
    monkeypatch.setattr(bootstrap, "CHUNK_CELLS", 50 * 7)  # seven draws at a time
    assert wild_mean(x, 999, seed=2) == whole


def test_wild_too_few() -> None:
    out = wild_mean([0.01, np.nan], 99, 1)
    assert out.n == 1 and out.estimate == 0.01 and np.isnan(out.p_value) and np.isnan(out.low)


# -- stationary bootstrap ---------------------------------------------------------------------


def test_stationary_sums_are_circular_window_sums_with_long_blocks() -> None:
    """With a mean block far longer than the series no block restarts within 5 steps, so each
    draw is the sum of 5 consecutive (circular) recentred residuals."""
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 1.0, 30)
    xc = x - x.mean()
    circular = {round(float(sum(xc[(s + j) % 30] for j in range(5))), 10) for s in range(30)}
    sums = stationary_sums(x[None, :], [5], draws=500, seed=1, block=1e12)[:, 0]
    assert {round(float(v), 10) for v in sums} <= circular


def test_stationary_iid_blocks_variance() -> None:
    """Mean block 1 is the i.i.d. bootstrap: Var(sum of k) = k * (population variance)."""
    x = np.random.default_rng(9).normal(0.0, 1.0, 200)
    sums = stationary_sums(x[None, :], [11], draws=200_000, seed=2, block=1.0)[:, 0]
    assert sums.var() == pytest.approx(11 * x.var(), rel=0.02)
    assert abs(sums.mean()) < 0.03  # recentred


def test_stationary_missing_sessions_and_lengths() -> None:
    x = np.array([[1.0, np.nan, -1.0, 2.0, -2.0], [np.nan] * 5])
    sums = stationary_sums(x, [2, 3], draws=99, seed=0)
    assert sums.shape == (99, 2) and np.isnan(sums[:, 1]).all()
    values = {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, -4.0}  # sums of two of 1, -1, 2, -2
    assert set(np.round(sums[:, 0], 12)) <= values


@pytest.mark.parametrize("phi", [0.0, 0.2], ids=["iid", "ar1-0.2"])
def test_stationary_coverage_fast(phi: float) -> None:
    cover, size = _stationary_rates(phi, samples=200, draws=199, seed=21)
    assert 0.89 <= cover <= 0.99
    assert 0.01 <= size <= 0.11


DEPENDENT = pytest.mark.xfail(
    reason="AR(1) residuals with phi 0.2: 93.2% in 4,000 samples (92.8% in these 1,000); the "
    "mean block L^(1/3) ~ 6 weights the lag-1 autocovariance by 5/6, and the block variance is "
    "noisier than the i.i.d. one",
    strict=False,
)


@pytest.mark.slow
@pytest.mark.parametrize("phi", [0.0, pytest.param(0.2, marks=DEPENDENT)], ids=["iid", "ar1-0.2"])
def test_stationary_coverage_at_nominal_rate(phi: float) -> None:
    """1,000 single-firm samples (240 residuals, an 11-day CAR): within 2 points of 95%."""
    cover, size = _stationary_rates(phi, samples=1000, draws=999, seed=2026)
    assert abs(cover - 0.95) <= 0.02, cover
    assert 0.03 <= size <= 0.08, size


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: wild_mean([1.0, 2.0], draws=0), "draws"),
        (lambda: wild_mean([1.0, 2.0], draws=10**7), "draws"),
        (lambda: wild_mean([1.0, 2.0], draws=99.5), "draws"),  # type: ignore[arg-type]
        (lambda: wild_mean([1.0, 2.0], seed=-1), "seed"),
        (lambda: wild_mean([1.0, 2.0], seed="x"), "seed"),  # type: ignore[arg-type]
        (lambda: wild_mean([1.0, 2.0], weights="gauss"), "weights"),  # type: ignore[arg-type]
        (lambda: wild_mean([1.0, 2.0], level=1.5), "level"),
        (lambda: stationary_sums([[1.0, 2.0]], [1], block=0.5), "block"),
        (lambda: stationary_sums([[1.0, 2.0]], [1, 2]), "lengths"),
    ],
    ids=["draws-0", "draws-huge", "draws-float", "seed-neg", "seed-str", "weights", "level",
         "block", "lengths"],
)  # fmt: skip
def test_refused_by_name(call, argument: str) -> None:
    with pytest.raises(InputError) as err:
        call()
    assert err.value.argument == argument


# -- the study ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(17)
    idx = pd.bdate_range("2023-01-02", periods=330)
    m = rng.normal(0.0, 0.01, len(idx))
    data = {"MKT": m}
    for i in range(24):
        data[f"S{i}"] = 0.9 * m + rng.normal(0.0, 0.02, len(idx))
    returns = pd.DataFrame(data, index=idx)
    events = pd.DataFrame(
        {
            "symbol": [f"S{i}" for i in range(24)],
            "event_date": [idx[290 + (i % 4) * 5] for i in range(24)],
            "basket": ["a" if i % 3 else "b" for i in range(24)],
        }
    )
    return returns, events


@pytest.fixture(scope="module")
def study(panel: tuple[pd.DataFrame, pd.DataFrame]):
    returns, events = panel
    return run_study(returns, events, market="MKT")


@pytest.fixture()
def _no_gc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc, "collect", lambda *args: 0)  # statsmodels collects on every call


@pytest.mark.usefixtures("_no_gc")
@pytest.mark.parametrize(("adjust", "sm"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_study_adjusts_per_test_like_statsmodels(study, adjust: str, sm: str) -> None:
    res = study.with_inference(adjust=adjust)
    tests = res.tests
    assert list(tests.columns[4:7]) == ["p_value", "p_value_adj", "adjust"]
    assert len(tests) == len(study.tests)  # no bootstrap rows without a bootstrap
    for _, family in tests.groupby("test"):
        ok = family["p_value"].notna()
        expected = multipletests(family.loc[ok, "p_value"], method=sm)[1]
        np.testing.assert_allclose(family.loc[ok, "p_value_adj"], expected, rtol=1e-12)
        assert family.loc[~ok, "p_value_adj"].isna().all()
    all_at_once = study.with_inference(adjust=adjust, adjust_across="all").tests
    ok = all_at_once["p_value"].notna()
    expected = multipletests(all_at_once.loc[ok, "p_value"], method=sm)[1]
    np.testing.assert_allclose(all_at_once.loc[ok, "p_value_adj"], expected, rtol=1e-12)
    assert "adjusted for multiple testing" in res.summary and "p KP adj" in res.summary
    assert "p_value_adj" not in study.tests.columns  # the original is left as it was


@pytest.mark.parametrize("method", ["wild", "stationary"])
def test_study_bootstrap_rows_and_intervals(study, method: str) -> None:
    res = study.with_inference(bootstrap=method, draws=499, seed=4)
    caar = res.caar
    assert caar[["ci_boot_low", "ci_boot_high"]].notna().all().all()
    assert ((caar["ci_boot_low"] < caar["caar"]) & (caar["caar"] < caar["ci_boot_high"])).all()
    boot = res.tests.query(f"test == '{method}_bootstrap'")
    assert len(boot) == len(caar)  # one per group and CAR window
    assert boot["p_value"].between(1 / 500, 1).all()
    assert boot["nobs"].tolist() == caar["nobs"].tolist()
    again = study.with_inference(bootstrap=method, draws=499, seed=4)
    pd.testing.assert_frame_equal(again.caar, caar)
    pd.testing.assert_frame_equal(again.tests, res.tests)
    assert res.manifest["inference"]["seed"] == 4
    assert res.test(f"{method}_bootstrap", "0:1", "b").null == "CAAR = 0"
    assert "ci_boot_low" not in study.caar.columns


def test_study_bootstrap_without_seed_records_one(study) -> None:
    res = study.with_inference(bootstrap="wild", draws=99)
    seed = res.manifest["inference"]["seed"]
    again = study.with_inference(bootstrap="wild", draws=99, seed=seed)
    pd.testing.assert_frame_equal(again.caar, res.caar)


def test_single_firm_stationary_matches_the_module(
    panel: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """A one-firm study: the interval is the stationary bootstrap of that firm's residuals."""
    returns, events = panel
    res = run_study(returns, events.iloc[:1], market="MKT")
    out = res.with_inference(bootstrap="stationary", draws=999, seed=1)
    row = out.caar.query("window == '0:10'").iloc[0]
    # The firm's own residuals, from an independent OLS on its estimation window.
    day0 = returns.index.get_loc(events.loc[0, "event_date"])
    est = returns.iloc[day0 - 250 : day0 - 10]
    beta, alpha = np.polyfit(est["MKT"], est["S0"], 1)
    resid = est["S0"] - alpha - beta * est["MKT"]
    null = stationary_sums(resid.to_numpy()[None, :], [11], draws=20_000, seed=9)[:, 0]
    width = np.quantile(null, 0.975) - np.quantile(null, 0.025)
    assert row["ci_boot_high"] - row["ci_boot_low"] == pytest.approx(width, rel=0.1)
    assert np.isnan(out.test("stationary_bootstrap", "0:10").df)
    wild = res.with_inference(bootstrap="wild", draws=99, seed=1).caar
    assert wild["ci_boot_low"].isna().all()  # one CAR has no cross-section to resample


@pytest.mark.parametrize("method", ["wild", "stationary"])
def test_study_without_pairs(tmp_path: Path, method: str) -> None:
    """Every pair excluded: the add-ons give empty tables and the files are still written."""
    idx = pd.bdate_range("2024-01-01", periods=300)
    m = np.random.default_rng(1).normal(0.0, 0.01, len(idx))
    returns = pd.DataFrame({"MKT": 0.001, "F0": m}, index=idx)  # a constant market: no fit
    res = run_study(returns, pd.DataFrame({"symbol": ["F0"], "event_date": idx[280]}), market="MKT")
    out = res.with_inference(adjust="holm", bootstrap=method, draws=99, seed=1)
    assert out.caar.empty and {"ci_boot_low", "ci_boot_high"} <= set(out.caar.columns)
    assert out.tests.empty and "p_value_adj" in out.tests.columns
    assert "No pair could be studied" in out.summary
    assert (tmp_path / "caar.csv") in out.to_dir(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"adjust": "bonferroni"}, "adjust"),
        ({"adjust_across": "groups"}, "adjust_across"),
        ({"bootstrap": "pairs"}, "bootstrap"),
        ({"bootstrap": "wild", "draws": 0}, "draws"),
        ({"bootstrap": "wild", "seed": -3}, "seed"),
        ({"bootstrap": "wild", "weights": "normal"}, "weights"),
        ({"bootstrap": "stationary", "block": 0}, "block"),
    ],
    ids=["adjust", "across", "bootstrap", "draws", "seed", "weights", "block"],
)
def test_study_refuses_by_name(study, kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(InputError) as err:
        study.with_inference(**kwargs)
    assert err.value.argument == argument


def test_docs_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The Python example of docs/inference.md runs; its 1% event-day return is found."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "inference.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1
    namespace: dict[str, object] = {}
    exec(blocks[0], namespace)
    inferred = namespace["inferred"]
    day0 = inferred.caar.query("window == '0:0'").iloc[0]  # type: ignore[attr-defined]
    assert day0["ci_boot_low"] < 0.01 < day0["ci_boot_high"] and day0["ci_boot_low"] > 0
    assert "p_value_adj" in capsys.readouterr().out


# -- the command line -------------------------------------------------------------------------


@pytest.mark.usefixtures("_no_gc")
def test_cli_writes_adjusted_pvalues(
    tmp_path: Path, panel: tuple[pd.DataFrame, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    returns, events = panel
    rpath, epath = tmp_path / "r.csv", tmp_path / "e.csv"
    returns.rename_axis("date").to_csv(rpath)
    events.assign(event_date=events["event_date"].dt.strftime("%Y-%m-%d")).to_csv(
        epath, index=False
    )
    base = ["study", "--returns", str(rpath), "--events", str(epath), "--market", "MKT"]
    out = tmp_path / "o"
    args = [*base, "--out", str(out), "--adjust", "holm", "--bootstrap", "wild"]
    assert run([*args, "--draws", "199", "--seed", "7"]) == 0
    tests = pd.read_csv(out / "tests.csv")
    assert {"p_value", "p_value_adj", "adjust"} <= set(tests.columns)
    for _, family in tests.groupby("test"):
        ok = family["p_value"].notna()
        expected = multipletests(family.loc[ok, "p_value"], method="holm")[1]
        np.testing.assert_allclose(family.loc[ok, "p_value_adj"], expected, rtol=1e-9)
    assert (tests["test"] == "wild_bootstrap").sum() == 12  # 3 groups x 4 CAR windows
    assert "Holm (1979)" in (out / "summary.txt").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inference"]["seed"] == 7 and manifest["inference"]["draws"] == 199
    assert {"ci_boot_low", "ci_boot_high"} <= set(pd.read_csv(out / "caar.csv").columns)
    capsys.readouterr()
    for flag, value in (("--draws", "5"), ("--adjust", "sidak"), ("--bootstrap", "block")):
        assert run([*base, "--out", str(tmp_path / "x"), flag, value]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and err.count(f"{flag}=") == 1, err
    assert not (tmp_path / "x").exists()


@pytest.mark.usefixtures("_no_gc")
def test_cli_spec_applies_inference_to_each_exchange(shared_store, tmp_path: Path) -> None:
    """A SPEC gives one study per exchange; each gets its bootstrap and adjusted p-values."""
    repo = Path(__file__).resolve().parents[1]
    out = tmp_path / "ds"
    args = ["study", str(repo / "examples" / "deepseek.toml"), "--store", str(shared_store.path)]
    opts = ["--adjust", "bh", "--bootstrap", "wild", "--draws", "199", "--seed", "3"]
    assert run([*args, "--out", str(out), *opts]) == 0
    for mic in ("XNYS", "XTKS"):
        tests = pd.read_csv(out / mic / "tests.csv")
        assert (tests["test"] == "wild_bootstrap").any()
        for _, family in tests.groupby("test"):
            ok = family["p_value"].notna()
            expected = multipletests(family.loc[ok, "p_value"], method="fdr_bh")[1]
            np.testing.assert_allclose(family.loc[ok, "p_value_adj"], expected, rtol=1e-9)
        summary = (out / mic / "summary.txt").read_text(encoding="utf-8")
        assert "Benjamini-Hochberg (1995)" in summary and "seed 3" in summary
